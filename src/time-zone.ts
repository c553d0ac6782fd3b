import { z } from 'zod';

/** An IANA time zone the runtime knows (Asia/Seoul, America/New_York, UTC, …). */
export const timeZoneSchema = z.string().refine((zone) => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}, 'expected an IANA time zone such as Asia/Seoul');

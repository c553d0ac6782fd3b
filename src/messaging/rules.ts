// The rules every send obeys, as pure functions (the guarded send in activities/messages.ts
// applies them): quiet hours, SMS/LMS and AlimTalk/FriendTalk variants, the Korean
// advertising format.
import iconv from 'iconv-lite';
import { DateTime } from 'luxon';
import type { Channel } from '../config';

export interface HoursWindow {
  /** Local `HH:MM`; the window may cross midnight (21:00-08:00). */
  start: string;
  end: string;
}

const minutesOf = (hhmm: string) => {
  const [hours, minutes] = hhmm.split(':').map(Number);
  return hours * 60 + minutes;
};

/** If `now` is inside the window in `timezone`, the instant the window ends; otherwise null. */
export function endOfWindow(now: Date, timezone: string, window: HoursWindow): Date | null {
  const local = DateTime.fromJSDate(now, { zone: timezone });
  const minute = local.hour * 60 + local.minute;
  const start = minutesOf(window.start);
  const end = minutesOf(window.end);
  if (start === end) return null;
  const inside = start < end ? minute >= start && minute < end : minute >= start || minute < end;
  if (!inside) return null;
  let endAt = local.set({ hour: Math.floor(end / 60), minute: end % 60, second: 0, millisecond: 0 });
  if (endAt <= local) endAt = endAt.plus({ days: 1 });
  return endAt.toJSDate();
}

export interface QuietHoursInput {
  now: Date;
  timezone: string;
  variant: string | null;
  nightTimeConsent: boolean;
  quietHours: HoursWindow;
  friendTalkQuietHours: HoursWindow;
}

/**
 * When a marketing message must wait until, or null to send now. Night-time consent lifts
 * the general quiet hours but not FriendTalk's, which its providers enforce regardless.
 */
export function quietHoursHold(input: QuietHoursInput): Date | null {
  const general = input.nightTimeConsent ? null : endOfWindow(input.now, input.timezone, input.quietHours);
  const friendTalk = input.variant === 'friendtalk' ? endOfWindow(input.now, input.timezone, input.friendTalkQuietHours) : null;
  if (!general) return friendTalk;
  if (!friendTalk) return general;
  return general > friendTalk ? general : friendTalk;
}

/** Korean carriers count SMS length in EUC-KR bytes: 90 bytes is one SMS, longer is an LMS. */
export const SMS_MAX_BYTES = 90;

export function eucKrBytes(text: string): number {
  return iconv.encode(text, 'euc-kr').length;
}

/** How a channel carries a message: SMS or LMS by length, AlimTalk (informational) or FriendTalk (marketing). */
export function variantFor(channel: Channel, purpose: 'marketing' | 'informational', content: string): string | null {
  if (channel === 'sms') return eucKrBytes(content) > SMS_MAX_BYTES ? 'lms' : 'sms';
  if (channel === 'kakao') return purpose === 'marketing' ? 'friendtalk' : 'alimtalk';
  return null;
}

/**
 * Korean advertising format (정보통신망법 §50) for marketing messages: "(광고)" first, the
 * sender named, and a free way to opt out.
 */
export function formatAdvertising(content: string, { senderName, optOutUrl }: { senderName: string; optOutUrl: string }): string {
  return `(광고) ${content}\n\n보낸 곳: ${senderName}\n무료 수신거부: ${optOutUrl}`;
}

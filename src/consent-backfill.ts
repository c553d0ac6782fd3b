// Consents given before the consent re-confirmation journey existed have no `consent_changed`
// event, so no journey watches them. At start-up, until done once, each such customer gets one
// `consent_changed` event (their current marketing grant) with its journey delivery: the
// dispatcher then starts their journey, which reads the consents from the database and sends
// the notice when it is due (at once, for a grant older than CONSENT_RECONFIRM_EVERY).
import type pg from 'pg';
import { storeEvents } from './api/events/service';
import type { Config } from './config';
import { inTransaction } from './db';

export const CONSENT_BACKFILL = 'consent-reconfirmation-journeys';

/** The event's idempotency key: a second run (or a crash and a rerun) stores nothing new. */
export const backfillEventId = (customerId: string) => `consent-backfill:${customerId}`;

// Customers with a standing marketing grant and no consent_changed event, in id order from a
// cursor (keyset pages: a page costs the same however far in). One row per customer.
const PAGE_SQL = `
  SELECT DISTINCT ON (c."customerId") c."customerId", c.channel::text AS channel, c."nightTime"
  FROM "CurrentConsent" c
  WHERE c.purpose = 'marketing' AND c.granted AND c."customerId" > $1
    AND NOT EXISTS (SELECT 1 FROM "Event" e WHERE e."customerId" = c."customerId" AND e.type = 'consent_changed')
  ORDER BY c."customerId", c.channel::text
  LIMIT $2`;

export interface BackfillResult {
  /** False if an earlier start already did it. */
  ran: boolean;
  /** Customers given a journey this time. */
  customers: number;
}

/**
 * Starts the consent re-confirmation journeys of consents that predate it, once per database
 * (recorded in "Backfill"). Each page is its own transaction; a crash part-way resumes on the
 * next start without repeating a customer (their event now exists).
 */
export async function backfillConsentReconfirmations(
  pool: pg.Pool,
  config: Config,
  { pageSize = 1000, log = () => undefined, now = () => new Date() }: { pageSize?: number; log?: (line: string) => void; now?: () => Date } = {},
): Promise<BackfillResult> {
  const done = await pool.query(`SELECT 1 FROM "Backfill" WHERE name = $1`, [CONSENT_BACKFILL]);
  if (done.rowCount) return { ran: false, customers: 0 };

  let cursor = '';
  let customers = 0;
  for (;;) {
    const page = await inTransaction(pool, async (client) => {
      const rows = (await client.query<{ customerId: string; channel: string; nightTime: boolean }>(PAGE_SQL, [cursor, pageSize])).rows;
      if (rows.length) {
        const at = now();
        const events = rows.map((row) => ({
          id: backfillEventId(row.customerId),
          type: 'consent_changed',
          customerId: row.customerId,
          occurredAt: at.toISOString(),
          properties: { channel: row.channel, purpose: 'marketing', granted: true, nightTime: row.nightTime, backfill: true },
        }));
        await storeEvents(client, config, events, at, { activity: false });
      }
      return rows;
    });
    if (page.length === 0) break;
    customers += page.length;
    cursor = page[page.length - 1].customerId;
    log(`  consent re-confirmation: journeys for ${customers} customers whose consents predate it…`);
  }
  await pool.query(`INSERT INTO "Backfill" (name, affected, "completedAt") VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING`, [CONSENT_BACKFILL, customers, now()]);
  return { ran: true, customers };
}

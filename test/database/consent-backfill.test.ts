// Consents given before the re-confirmation journey existed get a journey at start-up, once
// (src/consent-backfill.ts), against a real migrated database.
import { beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { upsertCustomer } from '../../src/api/customers/service';
import { loadConfig } from '../../src/config';
import { recordConsentChanges } from '../../src/consent';
import { backfillConsentReconfirmations, CONSENT_BACKFILL } from '../../src/consent-backfill';
import { useTestDatabase } from '../helpers/use-database';

const database = useTestDatabase('consent-backfill');
const config = loadConfig({});
let pool: pg.Pool;
beforeAll(() => {
  pool = database.pool;
});

/** A customer whose consents were recorded without events, as before the journey existed. */
async function olderCustomer(id: string, consents: Parameters<typeof recordConsentChanges>[2]) {
  await database.db.customer.create({ data: { id } });
  await recordConsentChanges(database.db, id, consents, 'import', new Date('2023-05-01T00:00:00Z'));
}

describe('backfillConsentReconfirmations', () => {
  it('queues one start of consent-reconfirmation:<id> per customer with a standing marketing grant and no consent event, in pages, once per database', async () => {
    await olderCustomer('c-old-1', [{ channel: 'kakao', purpose: 'marketing', granted: true, nightTime: true }, { channel: 'sms', purpose: 'marketing', granted: true }]);
    await olderCustomer('c-old-2', [{ channel: 'email', purpose: 'marketing', granted: true }]);
    await olderCustomer('c-old-3', [{ channel: 'email', purpose: 'marketing', granted: true }]);
    // Not these: informational only; marketing revoked; already watched (granted through the API).
    await olderCustomer('c-info', [{ channel: 'email', purpose: 'informational', granted: true }]);
    await olderCustomer('c-revoked', [{ channel: 'sms', purpose: 'marketing', granted: true }]);
    await recordConsentChanges(database.db, 'c-revoked', [{ channel: 'sms', purpose: 'marketing', granted: false }], 'unsubscribe');
    await upsertCustomer(database.db, config, 'c-new', { consents: [{ channel: 'kakao', purpose: 'marketing', granted: true }] });

    const lines: string[] = [];
    expect(await backfillConsentReconfirmations(pool, config, { pageSize: 2, log: (line) => lines.push(line) })).toEqual({ ran: true, customers: 3 });
    expect(lines).toHaveLength(2); // two pages: progress after each

    const events = await database.db.event.findMany({ where: { type: 'consent_changed' }, include: { deliveries: true }, orderBy: { customerId: 'asc' } });
    expect(events.map((e) => [e.customerId, e.idempotencyKey, e.deliveries.map((d) => [d.workflowId, d.mode])])).toEqual([
      ['c-new', expect.any(String), [['consent-reconfirmation:c-new', 'start']]],
      ['c-old-1', 'consent-backfill:c-old-1', [['consent-reconfirmation:c-old-1', 'start']]],
      ['c-old-2', 'consent-backfill:c-old-2', [['consent-reconfirmation:c-old-2', 'start']]],
      ['c-old-3', 'consent-backfill:c-old-3', [['consent-reconfirmation:c-old-3', 'start']]],
    ]);
    expect(events.find((e) => e.customerId === 'c-old-1')!.properties).toEqual({ channel: 'kakao', purpose: 'marketing', granted: true, nightTime: true, backfill: true });
    // Not the customers' activity: no dormancy clock.
    expect((await database.db.customer.findUniqueOrThrow({ where: { id: 'c-old-1' } })).lastSeenAt).toBeNull();
    expect(await database.db.backfill.findUniqueOrThrow({ where: { name: CONSENT_BACKFILL } })).toMatchObject({ affected: 3 });

    // Done once: a later start (even with a new pre-journey consent) does nothing.
    await olderCustomer('c-old-4', [{ channel: 'sms', purpose: 'marketing', granted: true }]);
    expect(await backfillConsentReconfirmations(pool, config)).toEqual({ ran: false, customers: 0 });
    expect(await database.db.event.count({ where: { customerId: 'c-old-4' } })).toBe(0);
  });

  it('resumes after a crash part-way without repeating a customer', async () => {
    await database.db.backfill.deleteMany();
    // c-old-4 is the one customer left without an event; the others were done by the earlier run.
    expect(await backfillConsentReconfirmations(pool, config, { pageSize: 1 })).toEqual({ ran: true, customers: 1 });
    expect(await database.db.event.count({ where: { type: 'consent_changed', idempotencyKey: { startsWith: 'consent-backfill:' } } })).toBe(4);
  });
});

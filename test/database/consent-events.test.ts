// A consent change is also an event, `consent_changed`, stored with its planned journey
// deliveries in the transaction that records the change (src/consent.ts).
import { describe, expect, it } from 'vitest';
import { upsertCustomer } from '../../src/api/customers/service';
import { loadConfig } from '../../src/config';
import { changeConsents } from '../../src/consent';
import { useTestDatabase } from '../helpers/use-database';

const database = useTestDatabase('consent-events');
const config = loadConfig({});

const eventsOf = (customerId: string) =>
  database.db.event.findMany({ where: { customerId, type: 'consent_changed' }, include: { deliveries: true }, orderBy: { occurredAt: 'asc' } });

describe('consent_changed events', () => {
  it('stores a marketing grant made through the customers service as an event with a start delivery to consent-reconfirmation:<id>, not as activity', async () => {
    await upsertCustomer(database.db, config, 'c-grant', { consents: [{ channel: 'kakao', purpose: 'marketing', granted: true, nightTime: true }] });
    const [change] = await database.db.consentChange.findMany({ where: { customerId: 'c-grant' } });
    const events = await eventsOf('c-grant');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ occurredAt: change.at, properties: { channel: 'kakao', purpose: 'marketing', granted: true, nightTime: true } });
    expect(events[0].deliveries.map((d) => [d.journey, d.workflowId, d.mode, d.deliveredAt])).toEqual([['consent-reconfirmation', 'consent-reconfirmation:c-grant', 'start', null]]);
    // Not the customer's activity: the dormancy clock and watcher are left alone.
    expect(await database.db.customer.findUniqueOrThrow({ where: { id: 'c-grant' } })).toMatchObject({ lastSeenAt: null, dormancyWatchedAt: null });
  });

  it('stores an event per recorded change only: none for a repeated grant; a revocation and an informational change get one, the latter with no delivery', async () => {
    await upsertCustomer(database.db, config, 'c-changes', { consents: [{ channel: 'email', purpose: 'marketing', granted: true }] });
    await upsertCustomer(database.db, config, 'c-changes', { consents: [{ channel: 'email', purpose: 'marketing', granted: true }] });
    expect(await eventsOf('c-changes')).toHaveLength(1);

    await upsertCustomer(database.db, config, 'c-changes', {
      consents: [
        { channel: 'email', purpose: 'marketing', granted: false },
        { channel: 'sms', purpose: 'informational', granted: true },
      ],
    });
    const events = await eventsOf('c-changes');
    const byChange = events.map((e) => [e.properties, e.deliveries.map((d) => d.workflowId)]);
    expect(byChange).toHaveLength(3);
    expect(byChange).toEqual(
      expect.arrayContaining([
        [{ channel: 'email', purpose: 'marketing', granted: false, nightTime: false }, ['consent-reconfirmation:c-changes']],
        [{ channel: 'sms', purpose: 'informational', granted: true, nightTime: false }, []],
      ]),
    );
  });

  it('writes the event and its delivery in the consent change’s transaction: seen inside it, gone with its rollback', async () => {
    let inside: { changes: number; events: number; deliveries: number } | undefined;
    await expect(
      database.db.$transaction(async (tx) => {
        await tx.customer.create({ data: { id: 'c-rollback' } });
        await changeConsents(tx, config, 'c-rollback', [{ channel: 'sms', purpose: 'marketing', granted: true }], 'api');
        inside = {
          changes: await tx.consentChange.count({ where: { customerId: 'c-rollback' } }),
          events: await tx.event.count({ where: { customerId: 'c-rollback' } }),
          deliveries: await tx.eventDelivery.count({ where: { workflowId: 'consent-reconfirmation:c-rollback' } }),
        };
        throw new Error('abort after the change');
      }),
    ).rejects.toThrow('abort after the change');
    expect(inside).toEqual({ changes: 1, events: 1, deliveries: 1 });
    expect(await database.db.consentChange.count({ where: { customerId: 'c-rollback' } })).toBe(0);
    expect(await database.db.event.count({ where: { customerId: 'c-rollback' } })).toBe(0);
    expect(await database.db.eventDelivery.count({ where: { workflowId: 'consent-reconfirmation:c-rollback' } })).toBe(0);
  });
});

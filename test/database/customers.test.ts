// Customer data on PostgreSQL: consent as a history with the current consent derived from it,
// profile attributes as jsonb, and a send log no customer deletion can erase.
import { describe, expect, it } from 'vitest';
import { getCustomer, upsertCustomer } from '../../src/api/customers/service';
import { loadConfig } from '../../src/config';
import { currentConsents, recordConsentChanges } from '../../src/consent';
import { useTestDatabase } from '../helpers/use-database';

const database = useTestDatabase('customers');
const config = loadConfig({});

describe('consent history', () => {
  it('keeps every grant and revocation with its source and time; the current consent is the latest change', async () => {
    await upsertCustomer(database.db, config, 'c-consent', { consents: [{ channel: 'sms', purpose: 'marketing', granted: true, nightTime: true }, { channel: 'email', purpose: 'marketing', granted: true }] });
    // The same grant again changes nothing, so it is not a new grant.
    await upsertCustomer(database.db, config, 'c-consent', { consents: [{ channel: 'sms', purpose: 'marketing', granted: true }] });
    const revokedAt = new Date(Date.now() + 1000);
    await recordConsentChanges(database.db, 'c-consent', [{ channel: 'sms', purpose: 'marketing', granted: false }], 'unsubscribe', revokedAt);

    const history = await database.db.consentChange.findMany({ where: { customerId: 'c-consent' }, orderBy: { id: 'asc' } });
    expect(history.map((h) => [h.channel, h.granted, h.nightTime, h.source])).toEqual([
      ['sms', true, true, 'api'],
      ['email', true, false, 'api'],
      ['sms', false, true, 'unsubscribe'],
    ]);

    const profile = await getCustomer(database.db, 'c-consent');
    expect(profile.consents).toEqual([
      { channel: 'email', purpose: 'marketing', nightTime: false, granted: true, grantedAt: history[1].at, revokedAt: null, source: 'api' },
      { channel: 'sms', purpose: 'marketing', nightTime: true, granted: false, grantedAt: history[0].at, revokedAt, source: 'unsubscribe' },
    ]);

    // Granted again: a new grant, and the revocation time no longer stands.
    const regrantedAt = new Date(Date.now() + 2000);
    await recordConsentChanges(database.db, 'c-consent', [{ channel: 'sms', purpose: 'marketing', granted: true }], 'import', regrantedAt);
    expect((await currentConsents(database.db, 'c-consent')).find((c) => c.channel === 'sms')).toMatchObject({ granted: true, grantedAt: regrantedAt, revokedAt: null, source: 'import', nightTime: true });
    expect(await database.db.consentChange.count({ where: { customerId: 'c-consent' } })).toBe(4);
  });
});

describe('profiles', () => {
  it('stores attributes as jsonb that SQL can filter on', async () => {
    await upsertCustomer(database.db, config, 'c-seoul', { attributes: { city: 'Seoul', interests: ['shoes'] } });
    await upsertCustomer(database.db, config, 'c-busan', { attributes: { city: 'Busan' } });
    const rows = await database.db.$queryRaw<{ id: string }[]>`SELECT id FROM "Customer" WHERE attributes @> ${JSON.stringify({ city: 'Seoul' })}::jsonb`;
    expect(rows).toEqual([{ id: 'c-seoul' }]);
    expect((await getCustomer(database.db, 'c-seoul')).attributes).toEqual({ city: 'Seoul', interests: ['shoes'] });
  });

  it('refuses to delete a customer with a send log (no cascade erases it)', async () => {
    await database.db.customer.create({ data: { id: 'c-logged' } });
    await database.db.message.create({
      data: { idempotencyKey: 'c-logged/1', customerId: 'c-logged', journey: 'cart-reminder', workflowId: 'cart-reminder:c-logged', step: 'reminder', purpose: 'marketing', content: 'x', status: 'sent', costCurrency: 'KRW' },
    });
    await expect(database.db.customer.delete({ where: { id: 'c-logged' } })).rejects.toThrow(/Foreign key constraint|violates RESTRICT|Message_customerId_fkey/);
    expect(await database.db.message.count({ where: { customerId: 'c-logged' } })).toBe(1);
  });
});

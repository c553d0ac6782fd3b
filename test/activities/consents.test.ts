// What the consent re-confirmation journey reads, against a real (migrated) PostgreSQL database.
import { describe, expect, it } from 'vitest';
import { createConsentActivities } from '../../activities/consents';
import type { MessagingSettings } from '../../activities/messages';
import { OutboxProvider } from '../../src/channels/outbox';
import { recordConsentChanges } from '../../src/consent';
import { verifyUnsubscribeToken } from '../../src/messaging/unsubscribe';
import { useTestDatabase } from '../helpers/use-database';

const database = useTestDatabase('consent-activities');

const messaging = {
  senderName: 'Seoul Shop',
  defaultTimezone: 'Asia/Seoul',
  unsubscribeSecret: 'test-unsubscribe-secret-0123456789',
  publicUrl: 'https://crm.example.com',
} as MessagingSettings;

const activities = () => createConsentActivities({ db: database.db, pool: database.pool, providers: { default: new OutboxProvider(database.db) }, messaging });

describe('marketingConsents', () => {
  it('answers the granted marketing consents only, with the latest grant, its date in the customer’s time zone and a signed opt-out link', async () => {
    await database.db.customer.create({ data: { id: 'c-reads', timezone: 'America/New_York' } });
    const first = new Date('2026-03-01T02:00:00Z'); // 28 February in New York
    const again = new Date('2026-06-10T12:00:00Z');
    await recordConsentChanges(database.db, 'c-reads', [{ channel: 'kakao', purpose: 'marketing', granted: true, nightTime: true }], 'api', first);
    await recordConsentChanges(database.db, 'c-reads', [{ channel: 'sms', purpose: 'marketing', granted: true }, { channel: 'email', purpose: 'informational', granted: true }], 'api', first);
    await recordConsentChanges(database.db, 'c-reads', [{ channel: 'email', purpose: 'marketing', granted: true }], 'api', first);
    await recordConsentChanges(database.db, 'c-reads', [{ channel: 'email', purpose: 'marketing', granted: false }], 'unsubscribe', again);
    await recordConsentChanges(database.db, 'c-reads', [{ channel: 'sms', purpose: 'marketing', granted: false }], 'api', again);
    await recordConsentChanges(database.db, 'c-reads', [{ channel: 'sms', purpose: 'marketing', granted: true }], 'api', new Date(again.getTime() + 1000));

    const { sender, consents } = await activities().marketingConsents({ customerId: 'c-reads' });
    expect(sender).toBe('Seoul Shop');
    expect(consents.map(({ optOutUrl: _, ...consent }) => consent)).toEqual([
      { channel: 'kakao', purpose: 'marketing', grantedAt: first.toISOString(), grantedOn: '2026-02-28', nightTime: true },
      { channel: 'sms', purpose: 'marketing', grantedAt: new Date(again.getTime() + 1000).toISOString(), grantedOn: '2026-06-10', nightTime: false },
    ]);
    for (const consent of consents) {
      const token = consent.optOutUrl.replace('https://crm.example.com/unsubscribe/', '');
      expect(verifyUnsubscribeToken(messaging.unsubscribeSecret, token)).toEqual({ customerId: 'c-reads', channel: consent.channel });
    }
  });

  it('answers none for a customer it does not know', async () => {
    expect(await activities().marketingConsents({ customerId: 'c-nobody' })).toEqual({ sender: 'Seoul Shop', consents: [] });
  });
});

// A campaign's activities and report against a real database: the audience snapshot and its
// holdout, pages through the guarded send (exactly once per customer), attribution, and the
// reference case of DESIGN.md — an RFM thank-you with a coupon whose costs total 513,865 KRW
// and whose attributed revenue is 4,765,121 KRW reports ROAS 927%.
import { MockActivityEnvironment } from '@temporalio/testing';
import type pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { createCampaignActivities } from '../../activities/campaigns';
import { OutboxProvider } from '../../src/channels/outbox';
import { campaignAnalytics } from '../../src/analytics/report';
import { campaignReport, inlineContent } from '../../src/campaigns/service';
import { loadConfig } from '../../src/config';
import { messagingSettings } from '../../src/worker';
import { useTestDatabase } from '../helpers/use-database';

const database = useTestDatabase('campaigns');
const config = loadConfig({ QUIET_HOURS: '00:00-00:00', FREQUENCY_CAP: '100/7d' });
let pool: pg.Pool;
const SEGMENTS = ['champions', 'at risk', 'potential loyalist', 'need attention'];

beforeAll(async () => {
  pool = database.pool;
  const db = database.db;
  // 200 customers: four RFM segments (and 'lost', not in the audience); every fifth has no consent.
  await db.customer.createMany({
    data: Array.from({ length: 200 }, (_, i) => ({ id: `c-${String(i).padStart(3, '0')}`, name: `고객${i}`, email: `c${i}@example.com`, timezone: 'Asia/Seoul' })),
  });
  await db.consentChange.createMany({
    data: Array.from({ length: 200 }, (_, i) => i)
      .filter((i) => i % 5 !== 0)
      .map((i) => ({ customerId: `c-${String(i).padStart(3, '0')}`, channel: 'email' as const, purpose: 'marketing' as const, granted: true, source: 'api' as const })),
  });
  await db.customerRfm.createMany({
    data: Array.from({ length: 200 }, (_, i) => ({
      customerId: `c-${String(i).padStart(3, '0')}`,
      r: 3,
      f: 3,
      m: 3,
      segment: i < 180 ? SEGMENTS[i % 4] : 'lost',
      recencyDays: 10,
      orders: 2,
      revenue: '50000',
      currency: 'KRW',
      scoredAt: new Date(),
    })),
  });
});

const run = <A, R>(fn: (input: A) => Promise<R>, input: A) => new MockActivityEnvironment().run<[A], R, typeof fn>(fn, input);

describe('campaign activities and report', () => {
  it('snapshots the audience once with a stable holdout, sends each recipient once through the guarded send, and the report adds up; the reference case reports ROAS 927', async () => {
    const db = database.db;
    const id = 'cmp_00000000000000aa';
    await db.campaign.create({
      data: {
        id,
        name: 'Thank you, RFM',
        audience: { rules: { rfm: SEGMENTS } },
        content: inlineContent({ ko: '{{ customer.name }}님, 감사합니다. {{ offer.text }} ({{ rfm.segment }})' }),
        purpose: 'marketing',
        channels: ['email'],
        offer: { text: '10% 쿠폰: THANKS10', coupon: 'THANKS10', discount: '5000' },
        holdoutPercent: 10,
        windowDays: 7,
      },
    });
    const activities = createCampaignActivities({ db, pool, providers: { default: new OutboxProvider(db) }, messaging: messagingSettings(config), config });
    const startedAt = new Date(Date.now() - 60_000).toISOString();

    const snapshot = await run((input: Parameters<typeof activities.snapshotCampaign>[0]) => activities.snapshotCampaign(input), { campaignId: id, at: startedAt });
    expect(snapshot.audience).toBe(180);
    expect(await run((input: Parameters<typeof activities.snapshotCampaign>[0]) => activities.snapshotCampaign(input), { campaignId: id, at: startedAt })).toEqual(snapshot);
    const recipients = await db.campaignRecipient.findMany({ where: { campaignId: id }, orderBy: { seq: 'asc' } });
    expect(recipients.map((r) => r.seq)).toEqual(Array.from({ length: 180 }, (_, i) => i + 1));
    expect(recipients.map((r) => r.customerId)).toEqual([...recipients.map((r) => r.customerId)].sort());
    expect(recipients.filter((r) => r.holdout)).toHaveLength(snapshot.holdout);
    // Roughly a tenth, and each held-out customer has a holdout record instead of a send.
    expect(snapshot.holdout).toBeGreaterThan(5);
    expect(snapshot.holdout).toBeLessThan(35);
    expect(await db.message.count({ where: { workflowId: `campaign:${id}`, status: 'holdout' } })).toBe(snapshot.holdout);

    // Two pages, then the first again (a retry): nobody gets two messages.
    await run((input: Parameters<typeof activities.sendCampaignPage>[0]) => activities.sendCampaignPage(input), { campaignId: id, afterSeq: 0, limit: 100 });
    await run((input: Parameters<typeof activities.sendCampaignPage>[0]) => activities.sendCampaignPage(input), { campaignId: id, afterSeq: 100, limit: 100 });
    const again = await run((input: Parameters<typeof activities.sendCampaignPage>[0]) => activities.sendCampaignPage(input), { campaignId: id, afterSeq: 0, limit: 100 });
    expect(again.counts.sent ?? 0).toBeGreaterThan(0); // answered from the recorded messages
    const treated = recipients.filter((r) => !r.holdout);
    const withConsent = treated.filter((r) => Number(r.customerId.slice(2)) % 5 !== 0);
    expect(await db.outboxEntry.count()).toBe(withConsent.length);
    const sample = await db.message.findFirstOrThrow({ where: { workflowId: `campaign:${id}`, customerId: withConsent[0].customerId } });
    expect(sample.content).toContain(`${await db.customer.findUniqueOrThrow({ where: { id: withConsent[0].customerId } }).then((c) => c.name)}님, 감사합니다. 10% 쿠폰: THANKS10 (`);
    expect(sample.content.startsWith('(광고)')).toBe(true);

    // Orders after the send, by recipients who got it, all with the coupon: 100 of them, so that
    // message and coupon costs total 513,865 KRW and revenue 4,765,121 KRW.
    const messageCost = withConsent.length * 0.3; // CHANNEL_COSTS email
    const coupons = 513_865 - messageCost;
    const buyers = withConsent.slice(0, 100);
    for (const [i, buyer] of buyers.entries()) {
      const last = i === buyers.length - 1;
      await db.order.create({
        data: {
          id: `o-${buyer.customerId}`,
          customerId: buyer.customerId,
          total: last ? String(4_765_121 - 99 * 47_000) : '47000',
          currency: 'KRW',
          coupon: 'THANKS10',
          discount: last ? (coupons - 99 * 5_000).toFixed(4) : '5000',
          occurredAt: new Date(),
        },
      });
    }
    // A held-out customer's order counts for the control group, not as a conversion.
    const control = recipients.find((r) => r.holdout)!;
    await db.order.create({ data: { id: 'o-control', customerId: control.customerId, total: '30000', currency: 'KRW', occurredAt: new Date() } });

    expect(await run((input: Parameters<typeof activities.attributeCampaignOrders>[0]) => activities.attributeCampaignOrders(input), { campaignId: id, until: new Date().toISOString() })).toBe(100);
    const report = await campaignReport(pool, id, 'KRW');
    expect(report).toMatchObject({
      audience: 180,
      holdout: snapshot.holdout,
      sent: withConsent.length,
      held: 0,
      suppressed: { total: treated.length - withConsent.length, byReason: { 'email: no marketing consent': treated.length - withConsent.length } },
      failed: 0,
      conversions: 100,
      revenue: { amount: '4765121', currency: 'KRW' },
      cost: { total: { amount: '513865', currency: 'KRW' } },
      roasPercent: 927,
    });
    expect(report!.cost.messages.amount).toBe(messageCost.toFixed(1).replace(/\.0$/, ''));
    expect(report!.roas).toBe('9.2731');
    // The numbers add up to the tables.
    expect(report!.sent + report!.suppressed.total + report!.holdout!).toBe(180);
    expect(await db.conversion.count({ where: { workflowId: `campaign:${id}` } })).toBe(report!.conversions);
    expect(report!.lift).toMatchObject({ treatment: { customers: treated.length, converted: 100 }, control: { customers: snapshot.holdout, converted: 1 } });
    // The same case through GET /v1/analytics/campaigns's code: the same revenue, cost and ROAS.
    const [analytics] = await campaignAnalytics(pool, { from: new Date(Date.now() - 86_400_000), to: new Date(Date.now() + 60_000) }, 'KRW');
    expect(analytics).toMatchObject({ campaign: id, sent: report!.sent, orders: 100, revenue: report!.revenue, cost: report!.cost, roas: '9.2731', roasPercent: 927, lift: report!.lift });
  });
});

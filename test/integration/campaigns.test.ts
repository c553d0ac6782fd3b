// Campaigns end to end: real dev server, worker, HTTP and PostgreSQL. A campaign to a
// generated audience runs as `campaign:<id>` through the guarded send; its report adds up to
// the messages and outbox tables. Bad content and audiences are refused with nothing written;
// a scheduled campaign is cancelled through the API.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CampaignReport } from '../../src/campaigns/service';
import { eventually, startStack, type Stack } from '../helpers/stack';

let stack: Stack;
const RECIPIENTS = Number(process.env.CAMPAIGN_TEST_RECIPIENTS ?? 10_000);

beforeAll(async () => {
  stack = await startStack({ env: { QUIET_HOURS: '00:00-00:00', FREQUENCY_CAP: '100/7d' }, dispatcher: false });
  // The audience: customers with the attribute tier=gold and marketing consent by email
  // (every tenth without consent), made in SQL like an import would.
  await stack.pool.query(
    `INSERT INTO "Customer" (id, name, email, attributes, "updatedAt")
     SELECT 'c-' || lpad(n::text, 6, '0'), '고객' || n, 'c' || n || '@example.com', jsonb_build_object('tier', 'gold'), now()
     FROM generate_series(1, $1::int) AS n`,
    [RECIPIENTS],
  );
  await stack.pool.query(
    `INSERT INTO "ConsentChange" ("customerId", channel, purpose, granted, source)
     SELECT 'c-' || lpad(n::text, 6, '0'), 'email', 'marketing', true, 'import' FROM generate_series(1, $1::int) AS n WHERE n % 10 <> 0`,
    [RECIPIENTS],
  );
}, 180_000);
afterAll(async () => {
  await stack?.stop();
});

describe('campaigns over HTTP', () => {
  it('refuses content naming an unknown variable and an unknown segment, naming the field, and keeps nothing', async () => {
    const base = { name: 'bad', audience: { rules: { attribute: 'tier', op: 'eq', value: 'gold' } }, channels: ['email'] };
    const variable = await stack.api('POST', '/v1/campaigns', { ...base, content: { ko: '{{ customer.name }}님 {{ coupon_code }}' } });
    expect(variable).toMatchObject({ status: 400, body: { error: { details: [{ field: 'content.ko' }] } } });
    expect(JSON.stringify(variable.body)).toContain('coupon_code');
    const segment = await stack.api('POST', '/v1/campaigns', { ...base, audience: { segments: ['no-such'] }, content: { ko: 'hi' } });
    expect(segment).toMatchObject({ status: 400, body: { error: { details: [{ field: 'audience.segments[0]', message: 'no saved segment no-such' }] } } });
    const combined = await stack.api('POST', '/v1/campaigns', { ...base, audience: { segments: ['no-such'], rules: { attribute: 'tier', op: 'eq', value: 'gold' } }, content: { ko: 'hi' } });
    expect(combined).toMatchObject({ status: 400, body: { error: { details: [{ field: 'audience.segments[0]' }] } } });
    const nested = await stack.api('POST', '/v1/campaigns', { ...base, audience: { rules: { any: [{ segment: 'no-such' }] } }, content: { ko: 'hi' } });
    expect(nested).toMatchObject({ status: 400, body: { error: { details: [{ field: 'audience.rules.any[0].segment' }] } } });
    const both = await stack.api('POST', '/v1/campaigns', { ...base, template: 'cart-reminder', content: { ko: 'hi' } });
    expect(both).toMatchObject({ status: 400, body: { error: { details: [{ field: 'content' }] } } });
    expect(await stack.db.campaign.count()).toBe(0);
  });

  it(`sends a campaign to ${RECIPIENTS} customers once each, holds out about a tenth, and its report equals the tables`, async () => {
    const created = await stack.api<{ id: string; status: string }>('POST', '/v1/campaigns', {
      name: 'Gold thank-you',
      audience: { rules: { attribute: 'tier', op: 'eq', value: 'gold' } },
      content: { ko: '{{ customer.name }}님, 늘 감사합니다. {{ offer.text }}', en: 'Thank you, {{ customer.name }}. {{ offer.text }}' },
      channels: ['email'],
      offer: { text: '5,000원 쿠폰 GOLD5', coupon: 'GOLD5', discount: 5000 },
    });
    expect(created).toMatchObject({ status: 201, body: { status: 'scheduled' } });
    const { id } = created.body;

    const report = await eventually(
      async () => {
        const { body } = await stack.api<CampaignReport>('GET', `/v1/campaigns/${id}`);
        expect(body.status).toBe('completed');
        return body;
      },
      { timeoutMs: 600_000, intervalMs: 1000 },
    );
    const workflowId = `campaign:${id}`;
    const byStatus = Object.fromEntries((await stack.db.message.groupBy({ by: ['status'], where: { workflowId }, _count: true })).map((g) => [g.status, g._count]));
    expect(report.audience).toBe(RECIPIENTS);
    expect(report.holdout).toBe(byStatus.holdout);
    expect(report.holdout! / RECIPIENTS).toBeGreaterThan(0.07);
    expect(report.holdout! / RECIPIENTS).toBeLessThan(0.13);
    expect(report.sent).toBe(byStatus.sent);
    expect(report.suppressed.total).toBe(byStatus.suppressed);
    expect(report.sent + report.suppressed.total + report.holdout!).toBe(RECIPIENTS);
    expect(await stack.db.outboxEntry.count({ where: { idempotencyKey: { startsWith: `${workflowId}/` } } })).toBe(report.sent);
    expect(await stack.db.message.count({ where: { workflowId } })).toBe(RECIPIENTS);
    expect(report.cost.messages).toEqual({ amount: (report.sent * 0.3).toFixed(1).replace(/\.0$/, ''), currency: 'KRW' });
    // Its history stayed small (continue-as-new between pages).
    const history = await stack.client.workflow.getHandle(workflowId).fetchHistory();
    expect(history.events!.length).toBeLessThan(10_000);
  }, 900_000);

  it('cancels a scheduled campaign through the API; a cancelled one cannot be resumed', async () => {
    const sendAt = new Date(Date.now() + 86_400_000).toISOString();
    const created = await stack.api<{ id: string }>('POST', '/v1/campaigns', {
      name: 'Tomorrow',
      audience: { rules: { attribute: 'tier', op: 'eq', value: 'gold' } },
      content: { ko: '안녕하세요 {{ customer.name }}님' },
      channels: ['email'],
      sendAt,
    });
    const { id } = created.body;
    expect((await stack.api('GET', `/v1/campaigns/${id}`)).body).toMatchObject({ status: 'scheduled', audience: null });
    expect(await stack.api('POST', `/v1/campaigns/${id}/cancel`)).toMatchObject({ status: 202, body: { id, requested: 'cancel' } });
    await eventually(async () => expect((await stack.api('GET', `/v1/campaigns/${id}`)).body).toMatchObject({ status: 'cancelled', sent: 0 }));
    expect(await stack.api('POST', `/v1/campaigns/${id}/resume`)).toMatchObject({ status: 409 });
    expect((await stack.api('GET', '/v1/campaigns/cmp_0000000000000000')).status).toBe(404);
    expect((await stack.api<{ campaigns: { id: string }[] }>('GET', '/v1/campaigns')).body.campaigns.map((c) => c.id)).toContain(id);
  });
});

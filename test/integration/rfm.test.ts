// RFM scoring end to end: real dev server, worker, HTTP and PostgreSQL. POST /v1/rfm/run runs
// the scoring through the `rfm-scoring` Temporal Schedule; the distribution and each
// customer's score are then read over HTTP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RfmScoringState } from '../../workflows/definitions';
import { RFM_SCHEDULE_ID } from '../../src/rfm/schedule';
import { startStack, type Stack } from '../helpers/stack';

let stack: Stack;
const DAY = 86_400_000;

beforeAll(async () => {
  stack = await startStack({ env: { RFM_SCHEDULE: '30 4 * * *' }, dispatcher: false });
});
afterAll(async () => {
  await stack?.stop();
});

describe('RFM over HTTP', () => {
  it('scores on demand through the schedule, then answers the distribution and each customer’s rfm', async () => {
    // Five customers: the more recent, the more orders and revenue (distinct: scores 1..5).
    const now = Date.now();
    for (let i = 1; i <= 5; i += 1) {
      const id = `c-rfm-${i}`;
      expect((await stack.api('PUT', `/v1/customers/${id}`, { name: `Customer ${i}` })).status).toBe(201);
      const events = Array.from({ length: i }, (_, n) => ({
        id: `${id}-o-${n}`,
        type: 'order_completed',
        customerId: id,
        occurredAt: new Date(now - (60 - i * 10 + n) * DAY).toISOString(),
        properties: { orderId: `${id}-o-${n}`, total: 10_000, currency: 'KRW', items: [] },
      }));
      expect((await stack.api('POST', '/v1/events', { events })).status).toBe(202);
    }
    expect((await stack.api('GET', '/v1/customers/c-rfm-5')).body).toMatchObject({ rfm: null });

    const run = await stack.api<{ schedule: string; workflowId: string; alreadyRunning: boolean }>('POST', '/v1/rfm/run');
    expect(run).toMatchObject({ status: 202, body: { schedule: RFM_SCHEDULE_ID, alreadyRunning: false } });
    expect(run.body.workflowId).toMatch(/^rfm-scoring/);
    const result = await stack.client.workflow.getHandle<() => Promise<RfmScoringState>>(run.body.workflowId).result();
    expect(result).toMatchObject({ stage: 'done', customers: 5, applied: 5, changed: 0, removed: 0 });

    // The schedule carries RFM_SCHEDULE in DEFAULT_TIMEZONE.
    const schedule = await stack.client.schedule.getHandle(RFM_SCHEDULE_ID).describe();
    expect(schedule.spec.timezone).toBe('Asia/Seoul');
    expect(schedule.spec.calendars?.length).toBeGreaterThan(0);

    expect((await stack.api('GET', '/v1/customers/c-rfm-5')).body).toMatchObject({ rfm: { r: 5, f: 5, m: 5, segment: 'champions', previousSegment: null } });
    expect((await stack.api('GET', '/v1/customers/c-rfm-1')).body).toMatchObject({ rfm: { r: 1, f: 1, m: 1, segment: 'lost' } });

    const { status, body } = await stack.api<{ customers: number; scoredAt: string; segments: { segment: string; customers: number; revenue: { amount: string; currency: string }; share: string; revenueShare: string }[] }>('GET', '/v1/rfm');
    expect(status).toBe(200);
    expect(body.customers).toBe(5);
    expect(body.segments).toHaveLength(11);
    const bySegment = Object.fromEntries(body.segments.filter((s) => s.customers).map((s) => [s.segment, [s.customers, s.revenue.amount, s.share, s.revenueShare]]));
    // R 1..5 with FM = R: lost, hibernating (R2 FM2), need attention (R3 FM3), champions (R4 FM4, R5 FM5).
    expect(bySegment).toEqual({
      lost: [1, '10000', '0.2', '0.0667'],
      hibernating: [1, '20000', '0.2', '0.1333'],
      'need attention': [1, '30000', '0.2', '0.2'],
      champions: [2, '90000', '0.4', '0.6'],
    });
  });
});

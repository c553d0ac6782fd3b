// Durable ingest: 202 means stored. While Temporal is down events are accepted at once and
// reach their journeys when it returns, with no resend; while the database is down the API
// answers 503 quickly, writes nothing, and recovers by itself.
import { afterAll, describe, expect, it } from 'vitest';
import { eventually, startStack, type Stack } from '../helpers/stack';

const stacks: Stack[] = [];
afterAll(async () => {
  for (const stack of stacks) await stack.stop();
});

type Ready = { status: string; database: { ok: boolean }; temporal: { ok: boolean }; dispatch: { backlog: number; oldestMs: number } | null };

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
}

describe('while Temporal is down', () => {
  it('accepts events at once, reports the backlog, and delivers them when Temporal returns (a cart reminder goes out)', { timeout: 180_000 }, async () => {
    // No worker yet: it joins when Temporal is back. The dispatcher runs throughout.
    const stack = await startStack({ worker: false, env: { CART_REMINDER_DELAY: '2s' } });
    stacks.push(stack);
    await stack.api('PUT', '/v1/customers/c-outage', { phone: '+821055550000', attributes: { kakaoFriend: true }, consents: [{ channel: 'kakao', purpose: 'marketing', granted: true, nightTime: true }] });

    await stack.temporal.stop();
    const earlier = { id: 'outage-o-0', type: 'order_completed', customerId: 'c-outage', occurredAt: '2026-01-01T00:00:00Z', properties: { orderId: 'outage-o-0', total: 1000, currency: 'KRW', items: [] } };
    const cart = { id: 'outage-cart', type: 'cart_updated', customerId: 'c-outage', properties: { items: [{ productId: 'p-1', name: 'Linen shirt', quantity: 1, price: 25_000 }], value: 25_000 } };
    for (const event of [earlier, cart]) {
      const { value, ms } = await timed(() => stack.api('POST', '/v1/events', event));
      expect(value).toEqual({ status: 202, body: { accepted: 1, duplicates: 0 } });
      expect(ms).toBeLessThan(1000);
    }
    // Ready (it takes events), Temporal reported down, the events waiting.
    const ready = await fetch(`${stack.baseUrl}/readyz`);
    expect(ready.status).toBe(200);
    const body = (await ready.json()) as Ready;
    expect(body).toMatchObject({ status: 'ready', database: { ok: true }, temporal: { ok: false } });
    expect(body.dispatch!.backlog).toBeGreaterThanOrEqual(2);

    await stack.temporal.start();
    await stack.startWorker();
    const sent = await eventually(
      async () => {
        const messages = await stack.db.message.findMany({ where: { customerId: 'c-outage', journey: 'cart-reminder' } });
        expect(messages.map((m) => m.status)).toEqual(['sent']);
        return messages[0];
      },
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    expect(sent.content).toContain('Linen shirt');
    // Every delivery recorded, none left behind.
    expect(await stack.db.eventDelivery.count({ where: { deliveredAt: null } })).toBe(0);
    expect(((await (await fetch(`${stack.baseUrl}/readyz`)).json()) as Ready).dispatch).toEqual({ backlog: 0, oldestMs: 0 });
  });
});

describe('while the database is down', () => {
  it('answers 503 within 2 s with a clear error, writes nothing, and recovers without a restart', { timeout: 120_000 }, async () => {
    const stack = await startStack({ ownDatabaseServer: true, worker: false });
    stacks.push(stack);
    expect((await stack.api('POST', '/v1/events', { id: 'before', type: 'page_viewed', customerId: 'c-db' })).status).toBe(202);

    await stack.database.server!.stop();
    const { value, ms } = await timed(() =>
      stack.api<{ error: { code: string; message: string } }>('POST', '/v1/events', { events: [{ id: 'during-1', type: 'page_viewed', customerId: 'c-db' }, { id: 'during-2', type: 'app_opened', customerId: 'c-db' }] }),
    );
    expect(ms).toBeLessThan(2000);
    expect(value.status).toBe(503);
    expect(value.body.error).toEqual({ code: 'database_unavailable', message: 'the database is not reachable right now; nothing was written — retry shortly' });
    const notReady = await fetch(`${stack.baseUrl}/readyz`);
    expect(notReady.status).toBe(503);

    await stack.database.server!.start();
    const after = await eventually(async () => {
      const response = await stack.api('POST', '/v1/events', { id: 'after', type: 'page_viewed', customerId: 'c-db' });
      expect(response.status).toBe(202);
      return response;
    });
    expect(after.body).toEqual({ accepted: 1, duplicates: 0 });
    expect((await stack.db.event.findMany({ orderBy: { receivedAt: 'asc' } })).map((e) => e.idempotencyKey)).toEqual(['before', 'after']);
    expect((await fetch(`${stack.baseUrl}/readyz`)).status).toBe(200);
  });
});

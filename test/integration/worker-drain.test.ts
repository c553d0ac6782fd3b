// A worker process (`npm run start:worker`) serves its metrics on METRICS_PORT; stopped with
// SIGTERM while a send is in flight, it stops polling, lets the activity finish (the provider's
// answer is recorded), and exits 0.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, freePort, startStack, type Stack } from '../helpers/stack';
import { spawnWorker } from '../helpers/worker-process';

const SECRET = 'worker-drain-webhook-secret-0123';
let stack: Stack;
let provider: http.Server;
let providerUrl: string;
const received: { at: number; idempotencyKey: string }[] = [];
let requestArrived: () => void;
const arrived = new Promise<void>((resolve) => (requestArrived = resolve));

beforeAll(async () => {
  // A provider that takes 3 s to answer.
  provider = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      received.push({ at: Date.now(), idempotencyKey: (JSON.parse(body) as { idempotencyKey: string }).idempotencyKey });
      requestArrived();
      setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 'provider-1' })), 3000);
    });
  });
  await new Promise<void>((resolve) => provider.listen(0, '127.0.0.1', resolve));
  providerUrl = `http://127.0.0.1:${(provider.address() as AddressInfo).port}/hook`;
  stack = await startStack({ worker: false, env: { CART_REMINDER_DELAY: '1s', CART_REMINDER_WINDOW: '30s' } });
});

afterAll(async () => {
  await stack?.stop();
  await new Promise((resolve) => provider?.close(resolve));
});

describe('a worker process', () => {
  it('serves /metrics on METRICS_PORT; on SIGTERM finishes the send in flight, records it as sent, and exits 0', { timeout: 120_000 }, async () => {
    const metricsPort = await freePort();
    const worker = spawnWorker(stack, { METRICS_PORT: String(metricsPort), KAKAO_PROVIDER: 'webhook', WEBHOOK_URL: providerUrl, WEBHOOK_SECRET: SECRET, CART_REMINDER_DELAY: '1s', CART_REMINDER_WINDOW: '30s', QUIET_HOURS: '00:00-00:00', KAKAO_FRIENDTALK_QUIET_HOURS: '00:00-00:00' });
    try {
      await worker.ready();
      // Its own /metrics on METRICS_PORT (what compose's health check reads): ours and the Temporal worker's.
      const metrics = await eventually(async () => {
        const response = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
        expect(response.status).toBe(200);
        const text = await response.text();
        expect(text).toMatch(/^temporal_worker_task_slots_available\{/m);
        return text;
      });
      expect(metrics).toMatch(/^nodejs_heap_size_used_bytes \d/m);
      expect((await stack.api('PUT', '/v1/customers/c-drain', { phone: '+821012340000', attributes: { kakaoFriend: true }, timezone: 'Asia/Seoul', consents: [{ channel: 'kakao', purpose: 'marketing', granted: true }] })).status).toBe(201);
      await stack.api('POST', '/v1/events', { id: 'drain-o', type: 'order_completed', customerId: 'c-drain', occurredAt: '2026-10-01T10:00:00Z', properties: { orderId: 'drain-o-1', total: 1000, currency: 'KRW', items: [{ productId: 'p-1', quantity: 1, price: 1000 }] } });
      await stack.api('POST', '/v1/events', { id: 'drain-cart', type: 'cart_updated', customerId: 'c-drain', properties: { items: [{ productId: 'p-2', quantity: 1, price: 5000 }], value: 5000 } });
      await arrived;
      const signalled = Date.now();
      worker.child.kill('SIGTERM');
      expect(await worker.exited).toBe(0);
      // It waited for the provider's answer (3 s after the request) rather than dropping it.
      expect(Date.now() - received[0].at).toBeGreaterThanOrEqual(2900);
      expect(Date.now() - signalled).toBeLessThan(25_000);
      expect(worker.output()).toContain('Stopped.');
    } finally {
      if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
    }
    const message = await eventually(async () => {
      const found = await stack.db.message.findFirstOrThrow({ where: { customerId: 'c-drain', journey: 'cart-reminder' } });
      expect(found.status).toBe('sent');
      return found;
    });
    expect(message).toMatchObject({ provider: 'webhook', providerMessageId: 'provider-1' });
    expect(received).toHaveLength(1);
  });
});

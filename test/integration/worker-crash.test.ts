// Exactly once when the worker dies mid-send: a worker process calls the provider (a webhook
// that accepts the request and never answers), is killed with SIGKILL, and another worker
// retries the send. The customer gets one message: the retry carries the same idempotency
// key, and the database holds one message.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { providersFromConfig } from '../../src/channels';
import { loadConfig } from '../../src/config';
import { eventually, startStack, type Stack } from '../helpers/stack';
import { spawnWorker } from '../helpers/worker-process';

const WEBHOOK_SECRET = 'whsec-crash-test-0123456789';

const requests: { key: string; body: string }[] = [];
const stub = http.createServer((req, res) => {
  let body = '';
  req.on('data', (chunk: Buffer) => (body += chunk.toString()));
  req.on('end', () => {
    requests.push({ key: String(req.headers['idempotency-key']), body });
    // The first delivery is accepted but never answered: the worker dies waiting.
    if (requests.length === 1) return;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ messageId: `hook-${requests.length}` }));
  });
});

let stack: Stack;
let webhookUrl: string;
beforeAll(async () => {
  await new Promise<void>((resolve) => stub.listen(0, '127.0.0.1', resolve));
  webhookUrl = `http://127.0.0.1:${(stub.address() as AddressInfo).port}/hook`;
  stack = await startStack({ worker: false, env: { CART_REMINDER_DELAY: '1s', CART_REMINDER_CHANNELS: 'email' } });
});
afterAll(async () => {
  stub.closeAllConnections();
  await new Promise((resolve) => stub.close(resolve));
  await stack?.stop();
});

describe('a worker killed mid-send', () => {
  it('does not make the customer get the message twice', { timeout: 150_000 }, async () => {
    const providerEnv = { EMAIL_PROVIDER: 'webhook', WEBHOOK_URL: webhookUrl, WEBHOOK_SECRET };
    const worker = spawnWorker(stack, providerEnv);
    try {
      await worker.ready();

      await stack.api('PUT', '/v1/customers/c-crash', { email: 'crash@example.com', consents: [{ channel: 'email', purpose: 'marketing', granted: true, nightTime: true }] });
      await stack.api('POST', '/v1/events', { id: 'crash-o-0', type: 'order_completed', customerId: 'c-crash', occurredAt: '2026-01-01T00:00:00Z', properties: { orderId: 'crash-o-0', total: 1, currency: 'KRW', items: [] } });
      await stack.api('POST', '/v1/events', { id: 'crash-cart', type: 'cart_updated', customerId: 'c-crash', properties: { items: [{ productId: 'p-1', quantity: 1, price: 1000 }], value: 1000 } });

      // The provider has the message; the worker is waiting for its answer. Kill it.
      await eventually(() => expect(requests).toHaveLength(1), { timeoutMs: 60_000 });
      const pending = await stack.db.message.findFirstOrThrow({ where: { customerId: 'c-crash' } });
      expect(pending.status).toBe('pending');
      worker.child.kill('SIGKILL');
      await worker.exited;
    } finally {
      if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGKILL');
    }

    // Another worker takes over once the dead one's attempt times out.
    await stack.startWorker(providersFromConfig(loadConfig({ ...providerEnv, DATA_DIR: stack.dataDir }), stack.db));
    const sent = await eventually(
      async () => {
        const message = await stack.db.message.findFirstOrThrow({ where: { customerId: 'c-crash' } });
        expect(message.status).toBe('sent');
        return message;
      },
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    expect(sent).toMatchObject({ provider: 'webhook', providerMessageId: 'hook-2' });
    expect(await stack.db.message.count({ where: { customerId: 'c-crash' } })).toBe(1);
    // Two deliveries reached the provider, both with the same key (the message's, per channel): one message for the customer.
    expect(requests.map((r) => r.key)).toEqual([`${sent.idempotencyKey}/${sent.channel}`, `${sent.idempotencyKey}/${sent.channel}`]);
    expect(new Set(requests.map((r) => r.body)).size).toBe(1);
  });
});

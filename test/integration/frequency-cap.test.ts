// The frequency cap is race-free across processes: five journeys of one customer come due at
// the same moment, with two worker processes polling (one in the test, one spawned), under a
// cap of 1 — exactly one message goes out, the other four are suppressed with the cap as reason.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startStack, type Stack } from '../helpers/stack';
import { spawnWorker, type WorkerProcess } from '../helpers/worker-process';

const journeyEnv = { REVIEW_REQUEST_DELAY: '3s', REVIEW_CHANNELS: 'email', FREQUENCY_CAP: '1/7d', QUIET_HOURS: '00:00-00:00', KAKAO_FRIENDTALK_QUIET_HOURS: '00:00-00:00' };

let stack: Stack;
let second: WorkerProcess;
beforeAll(async () => {
  // The in-process worker runs one activity at a time, so the spawned one gets sends too.
  stack = await startStack({ env: journeyEnv, workerTuning: { maxConcurrentActivityTaskExecutions: 1 } });
  second = spawnWorker(stack, journeyEnv);
  await second.ready();
});
afterAll(async () => {
  if (second && second.child.exitCode === null) {
    second.child.kill('SIGTERM');
    await second.exited;
  }
  await stack?.stop();
});

describe('the frequency cap', () => {
  it('lets one of five simultaneous review requests through a cap of 1, with two worker processes polling', { timeout: 120_000 }, async () => {
    await stack.api('PUT', '/v1/customers/c-cap-race', { email: 'race@example.com', consents: [{ channel: 'email', purpose: 'marketing', granted: true }] });
    const delivered = Array.from({ length: 5 }, (_, i) => ({ id: `race-delivered-${i}`, type: 'order_delivered', customerId: 'c-cap-race', properties: { orderId: `race-o-${i}` } }));
    expect((await stack.api('POST', '/v1/events', { events: delivered })).status).toBe(202);

    const messages = await eventually(
      async () => {
        const found = await stack.db.message.findMany({ where: { customerId: 'c-cap-race', step: 'review-request' } });
        expect(found).toHaveLength(5);
        expect(found.every((m) => m.status !== 'pending')).toBe(true);
        return found;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    expect(messages.filter((m) => m.status === 'sent')).toHaveLength(1);
    const suppressed = messages.filter((m) => m.status === 'suppressed');
    expect(suppressed).toHaveLength(4);
    for (const message of suppressed) expect(message.reason).toBe('frequency cap: 1 marketing messages in the last 7 days (cap 1)');
    expect(await stack.db.outboxEntry.count({ where: { recipient: 'race@example.com' } })).toBe(1);
    expect(second.output()).not.toMatch(/Error/);
  });
});

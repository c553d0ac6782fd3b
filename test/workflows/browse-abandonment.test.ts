// The README's worked example: a new journey and its test, nothing else.
import { beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { journeyRoutes } from '../../src/routing/routes';
import type { browseAbandonment, BrowseAbandonmentInput } from '../../workflows/browse-abandonment';
import { stateQuery, type JourneyEvent } from '../../workflows/definitions';
import { DAY, fakeActivities, HOUR, type FakeOptions } from '../helpers/fake-activities';
import { runJourneyTest, signalNow } from '../helpers/workflow-env';
import { useTimeSkipping } from '../helpers/use-time-skipping';

const ts = useTimeSkipping();

let n = 0;
beforeEach(() => {
  n += 1;
});

const settings: BrowseAbandonmentInput['settings'] = { delayMs: 2 * HOUR, windowMs: 3 * DAY, channels: ['kakao'] };
const event = (type: string, properties: Record<string, unknown>): JourneyEvent => ({ id: `${type}-${n}-${Math.round(Math.random() * 1e9)}`, type, customerId: `c-${n}`, occurredAt: '2026-11-01T00:00:00Z', properties });

function start(body: Parameters<typeof runJourneyTest<typeof browseAbandonment>>[3], options: FakeOptions = {}) {
  const fakes = fakeActivities(ts.env, options);
  const run = () =>
    runJourneyTest<typeof browseAbandonment>(
      ts.env,
      ts.workflowBundle,
      {
        workflowType: 'browseAbandonment',
        workflowId: `browse-abandonment:c-${n}`,
        taskQueue: `browse-test-${n}`,
        args: [{ customerId: `c-${n}`, settings }],
        firstEvent: event('product_viewed', { productId: 'p-lamp', name: 'Desk lamp' }),
        activities: fakes.activities,
      },
      body,
    );
  return { calls: fakes.calls, run };
}

describe('browse abandonment (the worked example)', () => {
  it('nudges 2 hours after a product view and converts on an order the attribution model credits to the nudge', async () => {
    const test = start(async (handle) => {
      await ts.env.sleep(2 * HOUR + 60_000);
      expect(test.calls.sends.map((s) => s.request)).toEqual([expect.objectContaining({ step: 'nudge', template: 'browse-abandonment', data: { event: expect.objectContaining({ type: 'product_viewed' }) as object, product: { productId: 'p-lamp', name: 'Desk lamp' } } })]);
      await signalNow(ts.env, handle, event('order_completed', { orderId: `o-${n}`, total: 39_000, currency: 'KRW', items: [] }));
      expect(await handle.result()).toBe('converted');
      expect(test.calls.attributeOrder).toEqual([{ orderId: `o-${n}` }]);
    });
    await test.run();
  });

  it('exits without a message when the customer adds to cart', async () => {
    const test = start(async (handle) => {
      await ts.env.sleep(HOUR);
      await signalNow(ts.env, handle, event('cart_updated', { items: [], value: 0 }));
      expect(await handle.result()).toBe('kept shopping');
      expect(await handle.query(stateQuery)).toMatchObject({ stage: 'exited', messagesSent: 0 });
      expect(test.calls.sends).toHaveLength(0);
    });
    await test.run();
  });

  it('cancels the nudge held for quiet hours when the customer adds to cart meanwhile: never sent', async () => {
    const test = start(
      async (handle) => {
        await ts.env.sleep(2 * HOUR + 60_000);
        expect(await handle.query(stateQuery)).toMatchObject({ stage: 'held' });
        await signalNow(ts.env, handle, event('cart_updated', { items: [{ productId: 'p-lamp', quantity: 1, price: 39_000 }], value: 39_000 }));
        expect(await handle.result()).toBe('exited: added to cart');
        expect(await handle.query(stateQuery)).toMatchObject({ stage: 'exited', messagesSent: 0 });
        expect(test.calls.cancelHeldMessage).toEqual([{ idempotencyKey: test.calls.sends[0].request.idempotencyKey, reason: 'exited: added to cart' }]);
        expect(test.calls.sends).toHaveLength(1); // the first try, which was held; never sent again
      },
      { sendStatus: () => 'held' },
    );
    await test.run();
  });

  it('records a nudge that fails for good as failed and ends with stage failed, not as a failed workflow', async () => {
    const test = start(
      async (handle) => {
        expect(await handle.result()).toBe('failed: send failed: attempts exhausted');
        expect((await handle.describe()).status.name).toBe('COMPLETED');
        expect(await handle.query(stateQuery)).toMatchObject({ stage: 'failed', messagesSent: 0 });
        expect(test.calls.recordFailedMessage).toEqual([expect.objectContaining({ step: 'nudge', reason: 'send failed: attempts exhausted' })]);
      },
      { failSend: () => 'attempts exhausted' },
    );
    await test.run();
  });

  it('is routed only when BROWSE_ABANDONMENT_DELAY is set', () => {
    const route = journeyRoutes.find((r) => r.journey === 'browse-abandonment')!;
    expect(route.enabled!(loadConfig({}))).toBe(false);
    expect(route.enabled!(loadConfig({ BROWSE_ABANDONMENT_DELAY: '2h' }))).toBe(true);
  });
});

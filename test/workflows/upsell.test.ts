// Upsell on the time-skipping server: real 7 d delay and window, mocked activities.
import { beforeEach, describe, expect, it } from 'vitest';
import { stateQuery, type JourneyEvent } from '../../workflows/definitions';
import type { upsell, UpsellInput } from '../../workflows/upsell';
import { DAY, fakeActivities, HOUR, type FakeOptions } from '../helpers/fake-activities';
import { runJourneyTest } from '../helpers/workflow-env';
import { useTimeSkipping } from '../helpers/use-time-skipping';

const ts = useTimeSkipping();

let n = 0;
beforeEach(() => {
  n += 1;
});

const settings: UpsellInput['settings'] = { delayMs: 7 * DAY, windowMs: 7 * DAY, maxProducts: 3, channels: ['kakao', 'email'] };
const products = [
  { productId: 'p-socks', name: 'Wool socks', boughtTogether: 4 },
  { productId: 'p-belt', name: null, boughtTogether: 2 },
];

function start(options: FakeOptions, body: Parameters<typeof runJourneyTest<typeof upsell>>[3]) {
  const fakes = fakeActivities(ts.env, options);
  const orderId = `o-${n}`;
  const order: JourneyEvent = { id: `e-${n}`, type: 'order_completed', customerId: `c-${n}`, occurredAt: '2026-11-01T00:00:00Z', properties: { orderId, total: 50_000, currency: 'KRW', items: [] } };
  return {
    calls: fakes.calls,
    run: () =>
      runJourneyTest<typeof upsell>(
        ts.env,
        ts.workflowBundle,
        { workflowType: 'upsell', workflowId: `upsell:${orderId}`, taskQueue: `upsell-test-${n}`, args: [{ customerId: `c-${n}`, orderId, settings }], firstEvent: order, activities: fakes.activities },
        body,
      ),
  };
}

describe('upsell journey', () => {
  it('recommends co-purchased products after 7 days and converts when an order in the window is credited to the recommendation', async () => {
    const test = start({ recommendations: products, creditedBetween: ({ messageId }) => (messageId === 'm-1' ? ['o-next'] : []) }, async (handle) => {
      await ts.env.sleep(6 * DAY);
      expect(await handle.query(stateQuery)).toMatchObject({ stage: 'waiting', messagesSent: 0 });
      expect(test.calls.recommendProducts).toHaveLength(0);
      await ts.env.sleep(DAY + HOUR);
      expect(test.calls.recommendProducts).toEqual([{ customerId: `c-${n}`, orderId: `o-${n}`, limit: 3 }]);
      expect(test.calls.sends).toHaveLength(1);
      expect(test.calls.sends[0].request).toMatchObject({ step: 'recommendation', template: 'upsell', purpose: 'marketing', channels: ['kakao', 'email'], data: { products } });
      expect(await handle.query(stateQuery)).toMatchObject({ stage: 'waiting-for-conversion', messagesSent: 1 });
      expect(test.calls.sends[0].request.conversionWindowMs).toBe(7 * DAY);
      expect(await handle.result()).toBe('converted');
      const [lookup] = test.calls.attributeOrdersBetween;
      expect(lookup).toMatchObject({ customerId: `c-${n}`, messageId: 'm-1' });
      // The window starts when the recommendation was sent and lasts UPSELL_WINDOW.
      expect(Date.parse(lookup.after)).toBe(test.calls.sends[0].atMs);
      expect(Date.parse(lookup.before) - Date.parse(lookup.after)).toBeGreaterThanOrEqual(7 * DAY);
    });
    await test.run();
  });

  it('records "no recommendation" and sends nothing when nobody bought anything with the order', async () => {
    const test = start({ recommendations: [] }, async (handle) => {
      expect(await handle.result()).toBe('no recommendation');
      expect(await handle.query(stateQuery)).toMatchObject({ stage: 'no-recommendation', messagesSent: 0 });
      expect(test.calls.sends).toHaveLength(0);
      expect(test.calls.skips).toEqual([expect.objectContaining({ step: 'recommendation', journey: 'upsell', reason: expect.stringContaining('no products') as string })]);
    });
    await test.run();
  });

  it('ends unconverted when no order in the window is credited to the recommendation', async () => {
    const test = start({ recommendations: products, creditedBetween: () => [] }, async (handle) => {
      expect(await handle.result()).toBe('not converted');
      expect(test.calls.attributeOrdersBetween).toHaveLength(1);
    });
    await test.run();
  });

  it('ends as suppressed without consent', async () => {
    const test = start({ recommendations: products, sendStatus: () => 'suppressed' }, async (handle) => {
      expect(await handle.result()).toMatch(/^suppressed: /);
      expect(test.calls.attributeOrdersBetween).toHaveLength(0);
    });
    await test.run();
  });

  it('records a send that fails for good as a failed message and ends with stage failed, not as a failed workflow', async () => {
    const test = start({ recommendations: products, failSend: () => 'database unavailable' }, async (handle) => {
      const outcome = await handle.result();
      expect(outcome).toBe('failed: send failed: database unavailable');
      expect((await handle.describe()).status.name).toBe('COMPLETED');
      expect(await handle.query(stateQuery)).toMatchObject({ stage: 'failed', outcome, messagesSent: 0 });
      expect(test.calls.recordFailedMessage).toEqual([
        expect.objectContaining({ step: 'recommendation', journey: 'upsell', purpose: 'marketing', reason: 'send failed: database unavailable' }),
      ]);
      expect(test.calls.recordFailedMessage[0].idempotencyKey).toBe(test.calls.sends[0].request.idempotencyKey);
    });
    await test.run();
  });
});

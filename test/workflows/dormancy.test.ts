// Dormancy watcher on the time-skipping server: real 335 d / 365 d durations, thousands of
// events, continue-as-new.
import { beforeEach, describe, expect, it } from 'vitest';
import { journeyEventSignal, stateQuery, type JourneyEvent } from '../../workflows/definitions';
import type { dormancy, DormancyInput } from '../../workflows/dormancy';
import { DAY, fakeActivities, type FakeOptions } from '../helpers/fake-activities';
import { eventually } from '../helpers/eventually';
import { runJourneyTest, useTimeSkipping } from '../helpers/workflow-env';

const ts = useTimeSkipping();

let n = 0;
let customerId: string;
beforeEach(() => {
  n += 1;
  customerId = `c-${n}`;
});

const settings: DormancyInput['settings'] = { warningAfterMs: 335 * DAY, dormantAfterMs: 365 * DAY, windowMs: 30 * DAY, channels: ['email'], offer: '5,000 won coupon' };
const event = (id: string, type = 'page_viewed', properties: Record<string, unknown> = {}): JourneyEvent => ({ id, type, customerId, occurredAt: '2026-01-01T00:00:00Z', properties });

function start(options: FakeOptions & { historyLimit?: number }, body: Parameters<typeof runJourneyTest<typeof dormancy>>[3]) {
  const fakes = fakeActivities(ts.env, options);
  return {
    calls: fakes.calls,
    run: () =>
      runJourneyTest<typeof dormancy>(
        ts.env,
        ts.workflowBundle,
        {
          workflowType: 'dormancy',
          workflowId: `dormancy:${customerId}`,
          taskQueue: `dormancy-test-${n}`,
          args: [{ customerId, settings: { ...settings, historyLimit: options.historyLimit } }],
          firstEvent: event(`first-${n}`),
          activities: fakes.activities,
        },
        body,
      ),
  };
}

describe('dormancy journey', () => {
  it('sends the informational notice after 335 silent days and marks the account dormant at 365', async () => {
    const test = start({}, async (handle) => {
      // The journey's clock starts at its first event (the start of the run), not when the test reads the time.
      const startMs = (await handle.describe()).startTime.getTime();
      await ts.env.sleep(334 * DAY);
      expect(test.calls.sends).toHaveLength(0);
      expect(await handle.query(stateQuery)).toMatchObject({ stage: 'active' });
      await ts.env.sleep(2 * DAY);
      expect(test.calls.sends).toHaveLength(1);
      expect(test.calls.sends[0].request).toMatchObject({ step: 'notice-1', template: 'dormancy-notice', purpose: 'informational', data: { offer: '5,000 won coupon' } });
      expect(test.calls.sends[0].atMs - startMs).toBeGreaterThanOrEqual(335 * DAY);
      expect(await handle.query(stateQuery)).toMatchObject({ stage: 'warned', messagesSent: 1 });
      await ts.env.sleep(30 * DAY);
      expect(test.calls.setDormant).toEqual([expect.objectContaining({ customerId, dormant: true })]);
      expect(test.calls.setDormant[0].atMs - startMs).toBeGreaterThanOrEqual(365 * DAY);
      expect(await handle.query(stateQuery)).toMatchObject({ stage: 'dormant', nextWakeAt: null });

      // Coming back reactivates the account and restarts the clock.
      await handle.signal(journeyEventSignal, event('back'));
      await ts.env.sleep(DAY);
      expect(test.calls.setDormant.at(-1)).toMatchObject({ dormant: false });
      expect(await handle.query(stateQuery)).toMatchObject({ stage: 'active' });
      await handle.terminate('test done');
    });
    await test.run();
  });

  it('restarts the clock on every event: no notice while the customer stays active', async () => {
    const test = start({}, async (handle) => {
      for (let month = 1; month <= 14; month += 1) {
        await ts.env.sleep(30 * DAY);
        await handle.signal(journeyEventSignal, event(`monthly-${month}`));
      }
      await ts.env.sleep(300 * DAY);
      expect(test.calls.sends).toHaveLength(0);
      expect(await handle.query(stateQuery)).toMatchObject({ stage: 'active' });
      await handle.terminate('test done');
    });
    await test.run();
  });

  it('counts an order within 30 days of the notice as the win-back conversion', async () => {
    const test = start({}, async (handle) => {
      await ts.env.sleep(340 * DAY);
      await handle.signal(journeyEventSignal, event('winback', 'order_completed', { orderId: 'o-back', total: 42_000, currency: 'KRW', items: [] }));
      await ts.env.sleep(DAY);
      expect(test.calls.conversions).toEqual([expect.objectContaining({ journey: 'dormancy', orderId: 'o-back', revenue: '42000', messageId: 'm-1' })]);
      expect(test.calls.conversions[0].idempotencyKey).toMatch(/\/conversion-1$/);
      expect(test.calls.setDormant).toHaveLength(0);
      await handle.terminate('test done');
    });
    await test.run();
  });

  it('records no win-back conversion for an order more than 30 days after the notice', async () => {
    const test = start({}, async (handle) => {
      await ts.env.sleep(335 * DAY + 31 * DAY);
      expect(test.calls.sends).toHaveLength(1);
      await handle.signal(journeyEventSignal, event('late', 'order_completed', { orderId: 'o-late', total: 42_000, currency: 'KRW', items: [] }));
      await ts.env.sleep(DAY);
      expect(test.calls.conversions).toHaveLength(0);
      expect(test.calls.setDormant.map((call) => call.dormant)).toEqual([true, false]); // dormant at 365 d, back with the order
      expect(await handle.query(stateQuery)).toMatchObject({ stage: 'active' });
      await handle.terminate('test done');
    });
    await test.run();
  });

  it('keeps its history bounded under thousands of events by continuing as new, losing none', async () => {
    const test = start({ historyLimit: 300 }, async (handle) => {
      const firstRunId = (await handle.describe()).runId;
      for (let batch = 0; batch < 30; batch += 1) {
        await Promise.all(Array.from({ length: 100 }, (_, i) => handle.signal(journeyEventSignal, event(`burst-${batch}-${i}`))));
      }
      const latest = ts.env.client.workflow.getHandle(`dormancy:${customerId}`);
      // The worker catches up on the burst in real time; wait until it has moved to a new run.
      const description = await eventually(async () => {
        const current = await latest.describe();
        expect(current.runId).not.toBe(firstRunId);
        return current;
      });
      expect(description.status.name).toBe('RUNNING');
      expect(description.historyLength).toBeLessThan(1000);
      // Still watching, and the clock counts from the last event.
      const before = await ts.env.currentTimeMs();
      await ts.env.sleep(336 * DAY);
      expect(test.calls.sends).toHaveLength(1);
      expect(test.calls.sends[0].atMs - before).toBeGreaterThanOrEqual(334 * DAY);
      expect(test.calls.sends[0].request.idempotencyKey).toContain(firstRunId);
      await latest.terminate('test done');
    });
    await test.run();
  });
});

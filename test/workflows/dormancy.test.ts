// Dormancy watcher on the time-skipping server: real 335 d / 365 d durations, thousands of
// events, continue-as-new.
import { beforeEach, describe, expect, it } from 'vitest';
import { journeyEventsSignal, stateQuery, type JourneyEvent } from '../../workflows/definitions';
import type { dormancy, DormancyInput } from '../../workflows/dormancy';
import { DAY, fakeActivities, type FakeOptions } from '../helpers/fake-activities';
import { eventually } from '../helpers/eventually';
import { runJourneyTest, signalNow } from '../helpers/workflow-env';
import { useTimeSkipping } from '../helpers/use-time-skipping';

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
  it('sends the informational notice (no offer) and a separate marketing win-back after 335 silent days, and marks the account dormant at 365', async () => {
    const test = start({}, async (handle) => {
      // The clock starts at the first event: the notice is due 335 days after it, dormancy 365.
      const startMs = (await handle.describe()).startTime.getTime();
      const noticeDue = Date.parse((await handle.query(stateQuery)).nextWakeAt!);
      expect(noticeDue - startMs).toBeGreaterThan(335 * DAY - 5000);
      expect(noticeDue - startMs).toBeLessThanOrEqual(335 * DAY);
      await ts.env.sleep(334 * DAY);
      expect(test.calls.sends).toHaveLength(0);
      expect(await handle.query(stateQuery)).toMatchObject({ stage: 'active' });
      await ts.env.sleep(2 * DAY);
      expect(test.calls.sends).toHaveLength(2);
      expect(test.calls.sends[0].request).toMatchObject({ step: 'notice-1', template: 'dormancy-notice', purpose: 'informational' });
      expect(test.calls.sends[0].request.data).not.toHaveProperty('offer');
      expect(test.calls.sends[1].request).toMatchObject({ step: 'win-back-1', template: 'win-back', purpose: 'marketing', data: { offer: '5,000 won coupon' }, conversionWindowMs: 30 * DAY });
      expect(test.calls.sends[0].atMs).toBeGreaterThanOrEqual(noticeDue);
      expect(await handle.query(stateQuery)).toMatchObject({ stage: 'warned', messagesSent: 2 });
      await ts.env.sleep(30 * DAY);
      expect(test.calls.setDormant).toEqual([expect.objectContaining({ customerId, dormant: true })]);
      expect(test.calls.setDormant[0].atMs).toBeGreaterThanOrEqual(noticeDue + 30 * DAY);
      expect(await handle.query(stateQuery)).toMatchObject({ stage: 'dormant', nextWakeAt: null });

      // Coming back reactivates the account and restarts the clock.
      await signalNow(ts.env, handle, event('back'));
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
        await signalNow(ts.env, handle, event(`monthly-${month}`));
      }
      await ts.env.sleep(300 * DAY);
      expect(test.calls.sends).toHaveLength(0);
      expect(await handle.query(stateQuery)).toMatchObject({ stage: 'active' });
      await handle.terminate('test done');
    });
    await test.run();
  });

  it('asks the attribution model to credit an order within 30 days of the sent win-back', async () => {
    const test = start({}, async (handle) => {
      await ts.env.sleep(340 * DAY);
      await signalNow(ts.env, handle, event('winback', 'order_completed', { orderId: 'o-back', total: 42_000, currency: 'KRW', items: [] }));
      await ts.env.sleep(DAY);
      expect(test.calls.attributeOrder).toEqual([{ orderId: 'o-back' }]);
      expect(test.calls.conversions).toHaveLength(0);
      expect(test.calls.setDormant).toHaveLength(0);
      await handle.terminate('test done');
    });
    await test.run();
  });

  it('credits no order when the win-back was suppressed, even one right after the notice', async () => {
    const test = start({ sendStatus: (request) => (request.step.startsWith('win-back') ? 'suppressed' : 'sent') }, async (handle) => {
      await ts.env.sleep(340 * DAY);
      expect(test.calls.sends.map((s) => s.request.step)).toEqual(['notice-1', 'win-back-1']);
      await signalNow(ts.env, handle, event('winback', 'order_completed', { orderId: 'o-back', total: 42_000, currency: 'KRW', items: [] }));
      await ts.env.sleep(DAY);
      expect(test.calls.attributeOrder).toHaveLength(0);
      expect(test.calls.attributeOrdersBetween).toHaveLength(0);
      expect(test.calls.conversions).toHaveLength(0);
      await handle.terminate('test done');
    });
    await test.run();
  });

  it('records no win-back conversion for an order more than 30 days after the notice', async () => {
    const test = start({}, async (handle) => {
      await ts.env.sleep(335 * DAY + 31 * DAY);
      expect(test.calls.sends).toHaveLength(2);
      await signalNow(ts.env, handle, event('late', 'order_completed', { orderId: 'o-late', total: 42_000, currency: 'KRW', items: [] }));
      await ts.env.sleep(DAY);
      expect(test.calls.attributeOrder).toHaveLength(0);
      expect(test.calls.conversions).toHaveLength(0);
      expect(test.calls.setDormant.map((call) => call.dormant)).toEqual([true, false]); // dormant at 365 d, back with the order
      expect(await handle.query(stateQuery)).toMatchObject({ stage: 'active' });
      await handle.terminate('test done');
    });
    await test.run();
  });

  it('keeps its history bounded under thousands of events by continuing as new, losing none, and takes new settings then', async () => {
    const test = start({ historyLimit: 300, settings: () => ({ ...settings, offer: 'new offer' }) }, async (handle) => {
      const firstRunId = (await handle.describe()).runId;
      for (let batch = 0; batch < 30; batch += 1) {
        await Promise.all(Array.from({ length: 100 }, (_, i) => signalNow(ts.env, handle, event(`burst-${batch}-${i}`))));
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
      expect(test.calls.sends).toHaveLength(2);
      expect(test.calls.sends[0].atMs - before).toBeGreaterThanOrEqual(334 * DAY);
      expect(test.calls.sends[0].request.idempotencyKey).toContain(firstRunId);
      // The worker's settings at continue-as-new reached the new run.
      expect(test.calls.journeySettings).toContainEqual({ journey: 'dormancy' });
      expect(test.calls.sends[1].request.data).toMatchObject({ offer: 'new offer' });
      await latest.terminate('test done');
    });
    await test.run();
  });

  it('needs no signal per event: it reads last-seen when its timer fires, sleeps again while the customer is active, and warns 335 days after the last visit', async () => {
    let startMs = 0;
    let clockMs = 0; // the test server's time, as the test last read it
    const activeDays = 1000; // a visit a day for 1,000 days, known only through lastSeenAt
    const test = start(
      { lastSeen: () => new Date(Math.min(clockMs, startMs + activeDays * DAY)).toISOString() },
      async (handle) => {
        startMs = (await handle.describe()).startTime.getTime();
        for (let day = 0; day < activeDays + 336; day += 30) {
          clockMs = await ts.env.currentTimeMs();
          await ts.env.sleep(30 * DAY);
        }
        clockMs = await ts.env.currentTimeMs();
        await ts.env.sleep(2 * DAY);
        expect(test.calls.sends.map((s) => s.request.step)).toEqual(['notice-1', 'win-back-1']);
        const lastVisit = startMs + activeDays * DAY;
        expect(test.calls.sends[0].atMs).toBeGreaterThanOrEqual(lastVisit + 335 * DAY);
        expect(test.calls.sends[0].atMs).toBeLessThan(lastVisit + 336 * DAY);
        // It woke about every 335 days, not once per visit: its history grows with time, not traffic.
        expect(test.calls.lastSeen.length).toBeGreaterThanOrEqual(3);
        expect(test.calls.lastSeen.length).toBeLessThanOrEqual(6);
        expect((await handle.describe()).historyLength).toBeLessThan(120);
        await handle.terminate('test done');
      },
    );
    await test.run();
  });

  it('attributes the orders it reads after the win-back, without being sent the order', async () => {
    let winBackMs = 0;
    const test = start(
      {
        lastSeen: () => (winBackMs ? new Date(winBackMs + 10 * DAY).toISOString() : null),
        // The window starts at the win-back (the fake sees when the send ran; the journey, when it returned).
        creditedBetween: ({ after, messageId }) => (winBackMs && messageId === 'm-2' && Math.abs(Date.parse(after) - winBackMs) < 60_000 ? ['o-winback'] : []),
      },
      async (handle) => {
        await ts.env.sleep(336 * DAY);
        expect(test.calls.sends).toHaveLength(2);
        winBackMs = test.calls.sends[1].atMs;
        await ts.env.sleep(31 * DAY); // the watcher wakes at 365 days and finds the customer came back
        expect(test.calls.attributeOrdersBetween).toEqual([expect.objectContaining({ customerId, messageId: 'm-2' })]);
        expect(Date.parse(test.calls.attributeOrdersBetween[0].before) - winBackMs).toBeLessThanOrEqual(30 * DAY);
        expect(test.calls.setDormant).toEqual([]); // it never went dormant
        expect(await handle.query(stateQuery)).toMatchObject({ stage: 'active' });
        await handle.terminate('test done');
      },
    );
    await test.run();
  });

  it('drops an event delivered again after continue-as-new (by its delivery number), and wakes on a new one', async () => {
    const delivered = (id: string, seq: number): JourneyEvent => ({ ...event(id), seq });
    const test = start({ historyLimit: 40 }, async (handle) => {
      const firstRunId = (await handle.describe()).runId;
      await ts.env.sleep(366 * DAY); // dormant
      expect(test.calls.setDormant.map((c) => c.dormant)).toEqual([true]);
      const latest = ts.env.client.workflow.getHandle(`dormancy:${customerId}`);
      await latest.signal(journeyEventsSignal, [{ ...delivered('back-1', 7), occurredAt: new Date(await ts.env.currentTimeMs()).toISOString() }]);
      await eventually(() => expect(test.calls.setDormant.map((c) => c.dormant)).toEqual([true, false]));
      await ts.env.sleep(366 * DAY); // dormant again, continued as new on the way
      await eventually(async () => expect((await latest.describe()).runId).not.toBe(firstRunId));
      expect(test.calls.setDormant.map((c) => c.dormant)).toEqual([true, false, true]);
      // The dispatcher re-delivers seq 7 (its recording failed): the new run knows it already had it.
      await latest.signal(journeyEventsSignal, [{ ...delivered('back-1', 7), occurredAt: new Date(await ts.env.currentTimeMs()).toISOString() }]);
      await ts.env.sleep(DAY);
      expect(test.calls.setDormant.map((c) => c.dormant)).toEqual([true, false, true]);
      await latest.signal(journeyEventsSignal, [{ ...delivered('back-2', 8), occurredAt: new Date(await ts.env.currentTimeMs()).toISOString() }]);
      await eventually(() => expect(test.calls.setDormant.map((c) => c.dormant)).toEqual([true, false, true, false]));
      await latest.terminate('test done');
    });
    await test.run();
  });
});

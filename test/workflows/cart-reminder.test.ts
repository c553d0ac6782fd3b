// The cart-reminder journey on the time-skipping server: real 24 h and 3 d timers, mocked
// activities, every branch of the DESIGN.md table.
import type { WorkflowHandle } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { beforeEach, describe, expect, it } from 'vitest';
import type { SendOutcome } from '../../activities/messages';
import type { cartReminder, CartReminderInput } from '../../workflows/cart-reminder';
import { journeyEventSignal, journeyEventsSignal, stateQuery, type JourneyEvent } from '../../workflows/definitions';
import { fakeActivities as sharedFakes, type FakeOptions } from '../helpers/fake-activities';
import { signalNow, happeningNow } from '../helpers/workflow-env';
import { useTimeSkipping } from '../helpers/use-time-skipping';

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;
let taskQueue = 'cart-reminder-test-0';

const ts = useTimeSkipping();

/** Recording fakes for the journey's activities. */
function fakeActivities(options: Omit<FakeOptions, 'sendStatus'> & { sendStatus?: SendOutcome['status'] } = {}) {
  const { sendStatus: status, ...rest } = options;
  return sharedFakes(ts.env, { ...rest, sendStatus: status ? () => status : undefined });
}

const settings: CartReminderInput['settings'] = { delayMs: DAY, minOrders: 1, windowMs: 3 * DAY, channels: ['kakao', 'sms', 'email'] };

let sequence = 0;
let customerId: string;
beforeEach(() => {
  sequence += 1;
  customerId = `c-${sequence}`;
  // A task queue per test: a worker left from a failed test cannot steal the next one's tasks.
  taskQueue = `cart-reminder-test-${sequence}`;
});

function cartEvent(items = [{ productId: 'p-1', name: 'Linen shirt', quantity: 1, price: 25_000 }], id = `cart-${sequence}-${items.length}`): JourneyEvent {
  return { id, type: 'cart_updated', customerId, occurredAt: new Date().toISOString(), properties: { items, value: items.reduce((sum, i) => sum + i.price * i.quantity, 0) } };
}

function orderEvent(orderId = `o-${sequence}`, total = 50_000): JourneyEvent {
  return { id: `order-${orderId}`, type: 'order_completed', customerId, occurredAt: new Date().toISOString(), properties: { orderId, total, currency: 'KRW', items: [] } };
}

async function startJourney(event: JourneyEvent = cartEvent()): Promise<WorkflowHandle<typeof cartReminder>> {
  return ts.env.client.workflow.signalWithStart<typeof cartReminder, [JourneyEvent]>('cartReminder', {
    workflowId: `cart-reminder:${customerId}`,
    taskQueue,
    args: [{ customerId, settings } satisfies CartReminderInput],
    signal: journeyEventSignal,
    signalArgs: [await happeningNow(ts.env, event)],
  });
}

async function withWorker<T>(activities: object, body: () => Promise<T>): Promise<T> {
  const worker = await Worker.create({ connection: ts.env.nativeConnection, taskQueue, workflowBundle: ts.workflowBundle, activities });
  return worker.runUntil(body);
}

describe('cart reminder journey', () => {
  it('waits 24 hours, then sends one reminder with the cart, then waits for a conversion', async () => {
    const { activities, calls } = fakeActivities();
    await withWorker(activities, async () => {
      const startMs = await ts.env.currentTimeMs();
      const handle = await startJourney();

      await ts.env.sleep(23 * HOUR);
      const waiting = await handle.query(stateQuery);
      expect(waiting).toMatchObject({ journey: 'cart-reminder', customerId, stage: 'waiting', messagesSent: 0, outcome: null });
      expect(Date.parse(waiting.nextWakeAt!) - startMs).toBeGreaterThanOrEqual(DAY - 1000);
      expect(Date.parse(waiting.nextWakeAt!) - startMs).toBeLessThanOrEqual(DAY + 60_000);
      expect(calls.sends).toHaveLength(0);

      await ts.env.sleep(2 * HOUR);
      const afterSend = await handle.query(stateQuery);
      expect(afterSend).toMatchObject({ stage: 'waiting-for-conversion', messagesSent: 1, outcome: null });
      expect(calls.sends).toHaveLength(1);
      expect(calls.sends[0].atMs - startMs).toBeGreaterThanOrEqual(DAY);
      expect(calls.sends[0].request).toMatchObject({
        customerId,
        journey: 'cart-reminder',
        workflowId: `cart-reminder:${customerId}`,
        step: 'reminder',
        template: 'cart-reminder',
        purpose: 'marketing',
        channels: ['kakao', 'sms', 'email'],
        data: { cart: { items: [{ productId: 'p-1', name: 'Linen shirt', quantity: 1, price: 25_000 }], value: 25_000 } },
      });
      expect(calls.sends[0].request.idempotencyKey).toMatch(new RegExp(`^cart-reminder:${customerId}/[0-9a-f-]+/reminder$`));

      expect(await handle.result()).toBe('not converted');
      expect(await handle.query(stateQuery)).toMatchObject({ stage: 'done', outcome: 'not converted', nextWakeAt: null });
      expect(calls.attributeOrder).toHaveLength(0);
    });
  });

  it('sends nothing when the order comes at 23 hours', async () => {
    const { activities, calls } = fakeActivities();
    await withWorker(activities, async () => {
      const handle = await startJourney();
      await ts.env.sleep(23 * HOUR);
      await signalNow(ts.env, handle, orderEvent());
      expect(await handle.result()).toBe('ordered before reminder');
      expect(await handle.query(stateQuery)).toMatchObject({ stage: 'exited', messagesSent: 0 });
      expect(calls.sends).toHaveLength(0);
      expect(calls.countOrders).toHaveLength(0);
    });
  });

  it('sends nothing to a customer without an earlier order', async () => {
    const { activities, calls } = fakeActivities({ earlierOrders: 0 });
    await withWorker(activities, async () => {
      const handle = await startJourney();
      expect(await handle.result()).toBe('ineligible: 0 earlier orders, needs 1');
      expect(await handle.query(stateQuery)).toMatchObject({ stage: 'ineligible', messagesSent: 0 });
      expect(calls.countOrders).toEqual([{ customerId, before: expect.any(String) as string }]);
      expect(calls.sends).toHaveLength(0);
      // The look-up ran as a local activity: a marker in the history, no activity task.
      const events = (await handle.fetchHistory()).events ?? [];
      expect(events.filter((e) => e.activityTaskScheduledEventAttributes)).toHaveLength(0);
      expect(events.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity')).toHaveLength(1);
    });
  });

  it('ends as suppressed, without a conversion window, when the customer has no consent', async () => {
    const { activities, calls } = fakeActivities({ sendStatus: 'suppressed' });
    await withWorker(activities, async () => {
      const handle = await startJourney();
      const outcome = await handle.result();
      expect(outcome).toMatch(/^suppressed: kakao, sms, email: no marketing consent/);
      expect(await handle.query(stateQuery)).toMatchObject({ stage: 'suppressed', messagesSent: 0, outcome });
      expect(calls.sends).toHaveLength(1);
      expect(calls.attributeOrder).toHaveLength(0);
    });
  });

  it('ends with stage holdout, sending nothing and crediting no order, when the customer is in the journey’s control group', async () => {
    const { activities, calls } = fakeActivities({ sendStatus: 'holdout' });
    await withWorker(activities, async () => {
      const handle = await startJourney();
      const outcome = await handle.result();
      expect(outcome).toMatch(/^holdout: /);
      expect(await handle.query(stateQuery)).toMatchObject({ stage: 'holdout', messagesSent: 0, outcome });
      expect(calls.sends).toHaveLength(1);
      expect(calls.attributeOrder).toHaveLength(0);
    });
  });

  it('credits an order inside the window to the reminder through the attribution model', async () => {
    const { activities, calls } = fakeActivities();
    await withWorker(activities, async () => {
      const handle = await startJourney();
      await ts.env.sleep(DAY + 2 * DAY);
      expect(await handle.query(stateQuery)).toMatchObject({ stage: 'waiting-for-conversion' });
      await signalNow(ts.env, handle, orderEvent('o-win', 77_000));
      expect(await handle.result()).toBe('converted');
      expect(calls.attributeOrder).toEqual([{ orderId: 'o-win' }]);
      expect(await handle.query(stateQuery)).toMatchObject({ stage: 'converted', outcome: 'converted', messagesSent: 1 });
    });
  });

  it('cancels the held reminder when the customer orders during quiet hours: never sent, no conversion', async () => {
    const { activities, calls } = fakeActivities({ sendStatus: 'held' });
    await withWorker(activities, async () => {
      const handle = await startJourney();
      await ts.env.sleep(DAY + HOUR);
      expect(await handle.query(stateQuery)).toMatchObject({ stage: 'held', messagesSent: 0 });
      await signalNow(ts.env, handle, orderEvent('o-during-hold'));
      expect(await handle.result()).toBe('exited: ordered');
      expect(await handle.query(stateQuery)).toMatchObject({ stage: 'exited', outcome: 'exited: ordered', messagesSent: 0 });
      expect(calls.cancelHeldMessage).toEqual([{ idempotencyKey: calls.sends[0].request.idempotencyKey, reason: 'exited: ordered' }]);
      // Asked once (held), never sent again, and the order is nobody's conversion here.
      expect(calls.sends).toHaveLength(1);
      expect(calls.attributeOrder).toHaveLength(0);
    });
  });

  it('cancels the held reminder when the cart is emptied during quiet hours', async () => {
    const { activities, calls } = fakeActivities({ sendStatus: 'held' });
    await withWorker(activities, async () => {
      const handle = await startJourney();
      await ts.env.sleep(DAY + HOUR);
      await signalNow(ts.env, handle, cartEvent([], 'emptied'));
      expect(await handle.result()).toBe('exited: cart emptied');
      expect(calls.cancelHeldMessage).toEqual([{ idempotencyKey: calls.sends[0].request.idempotencyKey, reason: 'exited: cart emptied' }]);
      expect(calls.sends).toHaveLength(1);
    });
  });

  it('ends without a reminder when the cart is emptied before the delay is over', async () => {
    const { activities, calls } = fakeActivities();
    await withWorker(activities, async () => {
      const handle = await startJourney();
      await ts.env.sleep(5 * HOUR);
      await signalNow(ts.env, handle, cartEvent([], 'emptied'));
      expect(await handle.result()).toBe('exited: cart emptied');
      expect(await handle.query(stateQuery)).toMatchObject({ stage: 'exited', messagesSent: 0 });
      await ts.env.sleep(2 * DAY);
      expect(calls.sends).toHaveLength(0);
      expect(calls.countOrders).toHaveLength(0);
    });
  });

  it('does not count an order placed before the reminder was sent (reported late) as its conversion', async () => {
    const { activities, calls } = fakeActivities();
    await withWorker(activities, async () => {
      const handle = await startJourney();
      const beforeSend = new Date(await ts.env.currentTimeMs()).toISOString();
      await ts.env.sleep(DAY + HOUR);
      expect(calls.sends).toHaveLength(1);
      await handle.signal(journeyEventSignal, { ...orderEvent('o-early'), occurredAt: beforeSend });
      await ts.env.sleep(HOUR);
      expect(await handle.query(stateQuery)).toMatchObject({ stage: 'waiting-for-conversion', outcome: null });
      expect(calls.attributeOrder).toHaveLength(0);
      await signalNow(ts.env, handle, orderEvent('o-after'));
      expect(await handle.result()).toBe('converted');
      expect(calls.attributeOrder).toEqual([{ orderId: 'o-after' }]);
    });
  });

  it('ends unconverted when the attribution model credits the order to another message', async () => {
    const { activities, calls } = fakeActivities({ attribution: () => ({ messageId: 'm-of-another-journey', journey: 'upsell' }) });
    await withWorker(activities, async () => {
      const handle = await startJourney();
      await ts.env.sleep(DAY + HOUR);
      await signalNow(ts.env, handle, orderEvent('o-shared'));
      expect(await handle.result()).toBe('not converted: order o-shared credited to a later touch');
      expect(calls.attributeOrder).toEqual([{ orderId: 'o-shared' }]);
    });
  });

  it('records a send that fails for good as failed and ends with stage failed, not as a failed workflow', async () => {
    const { activities, calls } = fakeActivities({ failSend: () => 'attempts exhausted' });
    await withWorker(activities, async () => {
      const handle = await startJourney();
      expect(await handle.result()).toBe('failed: send failed: attempts exhausted');
      expect((await handle.describe()).status.name).toBe('COMPLETED');
      expect(await handle.query(stateQuery)).toMatchObject({ stage: 'failed', messagesSent: 0 });
      expect(calls.recordFailedMessage).toEqual([expect.objectContaining({ idempotencyKey: calls.sends[0].request.idempotencyKey, step: 'reminder', reason: 'send failed: attempts exhausted' })]);
    });
  });

  it('keeps its history bounded under 20,000 cart updates by continuing as new, then reminds once with the last cart', async () => {
    const { activities, calls } = fakeActivities();
    await withWorker(activities, async () => {
      const handle = await ts.env.client.workflow.signalWithStart<typeof cartReminder, [JourneyEvent]>('cartReminder', {
        workflowId: `cart-reminder:${customerId}`,
        taskQueue,
        args: [{ customerId, settings: { ...settings, historyLimit: 400 } } satisfies CartReminderInput],
        signal: journeyEventSignal,
        signalArgs: [await happeningNow(ts.env, cartEvent())],
      });
      const firstRunId = (await handle.describe()).runId;
      const now = new Date(await ts.env.currentTimeMs()).toISOString();
      // 20,000 updates in the dispatcher's lists (up to 50 pending events per signal).
      let seq = 1;
      for (let signal = 0; signal < 400; signal += 1) {
        const events = Array.from({ length: 50 }, (_, i) => ({ ...cartEvent([{ productId: `p-${signal}-${i}`, name: 'x', quantity: 1, price: 1000 }], `u-${signal}-${i}`), occurredAt: now, seq: ++seq }));
        await handle.signal(journeyEventsSignal, events);
      }
      const latest = ts.env.client.workflow.getHandle(`cart-reminder:${customerId}`);
      await ts.env.sleep(DAY + HOUR);
      expect(calls.sends).toHaveLength(1);
      expect(calls.sends[0].request.data).toMatchObject({ cart: { items: [{ productId: 'p-399-49' }] } });
      // The key names the first run: a continued journey keeps its idempotency keys.
      expect(calls.sends[0].request.idempotencyKey).toContain(firstRunId);
      const description = await latest.describe();
      expect(description.runId).not.toBe(firstRunId);
      expect(description.historyLength).toBeLessThan(600);
      // Each run read the journey's settings at most once, however many times updates
      // arriving meanwhile put its continue-as-new off.
      expect(calls.settingsReadBy.length).toBeGreaterThan(0);
      expect(new Set(calls.settingsReadBy).size).toBe(calls.settingsReadBy.length);
      await latest.terminate('test done');
    });
  });

  it('records no conversion for an order after the window', async () => {
    const { activities, calls } = fakeActivities();
    await withWorker(activities, async () => {
      const handle = await startJourney();
      await ts.env.sleep(DAY + 3 * DAY + HOUR);
      expect(await handle.result()).toBe('not converted');
      // The journey is closed: a late order no longer reaches it.
      await expect(signalNow(ts.env, handle, orderEvent('o-late'))).rejects.toThrow();
      expect(calls.attributeOrder).toHaveLength(0);
    });
  });

  it('restarts the wait when the cart changes, and reminds with the latest cart', async () => {
    const { activities, calls } = fakeActivities();
    await withWorker(activities, async () => {
      const startMs = await ts.env.currentTimeMs();
      const handle = await startJourney();
      await ts.env.sleep(20 * HOUR);
      const bigger = [
        { productId: 'p-1', name: 'Linen shirt', quantity: 1, price: 25_000 },
        { productId: 'p-2', name: 'Wool socks', quantity: 3, price: 5_000 },
      ];
      await signalNow(ts.env, handle, cartEvent(bigger));
      await ts.env.sleep(6 * HOUR); // 26 h after the first cart, 6 h after the second
      expect(calls.sends).toHaveLength(0);
      expect(await handle.query(stateQuery)).toMatchObject({ stage: 'waiting' });
      await ts.env.sleep(19 * HOUR);
      expect(calls.sends).toHaveLength(1);
      expect(calls.sends[0].atMs - startMs).toBeGreaterThanOrEqual(44 * HOUR);
      // The reminder shows the latest cart; templates also get the event that started the journey.
      expect(calls.sends[0].request.data).toEqual({ cart: { items: bigger, value: 40_000 }, event: expect.objectContaining({ id: `cart-${sequence}-1`, type: 'cart_updated' }) as object });
      await handle.terminate('test done');
    });
  });

  it('ignores a re-delivered event id', async () => {
    const { activities, calls } = fakeActivities();
    await withWorker(activities, async () => {
      const startMs = await ts.env.currentTimeMs();
      const first = cartEvent();
      const handle = await startJourney(first);
      await ts.env.sleep(20 * HOUR);
      await signalNow(ts.env, handle, first); // the router retried an old delivery
      await ts.env.sleep(5 * HOUR);
      expect(calls.sends).toHaveLength(1);
      expect(calls.sends[0].atMs - startMs).toBeLessThan(25 * HOUR);
      await handle.terminate('test done');
    });
  });

  it('times the wait from when the cart was updated, not from when the event reached it', async () => {
    const { activities, calls } = fakeActivities();
    await withWorker(activities, async () => {
      const nowMs = await ts.env.currentTimeMs();
      // Delivered late (Temporal was away, say): the cart was updated 20 hours ago.
      const late = { ...cartEvent(), occurredAt: new Date(nowMs - 20 * HOUR).toISOString() };
      const handle = await ts.env.client.workflow.signalWithStart<typeof cartReminder, [JourneyEvent]>('cartReminder', {
        workflowId: `cart-reminder:${customerId}`,
        taskQueue,
        args: [{ customerId, settings }],
        signal: journeyEventSignal,
        signalArgs: [late],
      });
      expect(Date.parse((await handle.query(stateQuery)).nextWakeAt!)).toBe(nowMs - 20 * HOUR + DAY);
      await ts.env.sleep(4 * HOUR + 60_000);
      expect(calls.sends).toHaveLength(1);
      expect(calls.sends[0].atMs - nowMs).toBeLessThan(5 * HOUR);
      await handle.terminate('test done');
    });
  });

  it("takes the dispatcher's list of events in order, and drops a repeated delivery by its number", async () => {
    const { activities, calls } = fakeActivities();
    await withWorker(activities, async () => {
      const at = new Date(await ts.env.currentTimeMs()).toISOString();
      const small = { ...cartEvent(), occurredAt: at, seq: 41 };
      const bigger = { ...cartEvent([{ productId: 'p-1', name: 'Linen shirt', quantity: 2, price: 25_000 }], `cart-${sequence}-big`), occurredAt: at, seq: 42 };
      const handle = await ts.env.client.workflow.signalWithStart<typeof cartReminder, [JourneyEvent[]]>('cartReminder', {
        workflowId: `cart-reminder:${customerId}`,
        taskQueue,
        args: [{ customerId, settings }],
        signal: journeyEventsSignal,
        signalArgs: [[small, bigger]],
      });
      await ts.env.sleep(20 * HOUR);
      // The first delivery again (its recording failed): already seen, so it neither replaces the cart nor restarts the wait.
      await handle.signal(journeyEventsSignal, [{ ...small, id: 'another-id-same-delivery' }]);
      await ts.env.sleep(4 * HOUR + 60_000);
      expect(calls.sends).toHaveLength(1);
      expect((calls.sends[0].request.data.cart as { items: { quantity: number }[] }).items[0].quantity).toBe(2);
      await handle.terminate('test done');
    });
  });
});

// The journey runs whose histories are kept for replay tests. Each covers a journey's main
// path; add one per journey (and per important branch).
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { CartReminderInput } from '../../workflows/cart-reminder';
import { journeyEventSignal, journeyEventsSignal, type JourneyEvent } from '../../workflows/definitions';
import type { DormancyInput } from '../../workflows/dormancy';
import type { ReviewRequestInput } from '../../workflows/review-request';
import type { SignupNudgeInput } from '../../workflows/signup-nudge';
import type { UpsellInput } from '../../workflows/upsell';

const HOUR = 3_600_000;
const cartSettings: CartReminderInput['settings'] = { delayMs: 24 * HOUR, minOrders: 1, windowMs: 72 * HOUR, channels: ['kakao', 'sms', 'email'] };

export interface HistoryScenario {
  name: string;
  activities: object;
  /** Starts the run and drives it; the returned handle's run must end (complete, fail, or be terminated). */
  run(env: TestWorkflowEnvironment, taskQueue: string): Promise<WorkflowHandle>;
}

const DAY = 24 * HOUR;

const cartEvent = (id: string, customerId: string) => ({
  id,
  type: 'cart_updated',
  customerId,
  occurredAt: '2026-11-01T09:00:00.000Z',
  properties: { items: [{ productId: 'p-1', name: 'Linen shirt', quantity: 2, price: 25_000 }], value: 50_000 },
});

const sentActivities = {
  countOrders: () => Promise.resolve(2),
  sendMessage: () => Promise.resolve({ messageId: 'm-1', status: 'sent', channel: 'kakao', reason: null }),
  recordConversion: () => Promise.resolve({ conversionId: 'conv-1' }),
  recordSkippedMessage: () => Promise.resolve({ messageId: 'm-skip', status: 'suppressed', channel: null, reason: 'no products' }),
  recommendProducts: () => Promise.resolve([{ productId: 'p-2', name: 'Wool socks', boughtTogether: 3 }]),
  findOrderWithProducts: () => Promise.resolve({ orderId: 'o-11', total: 9_000, currency: 'KRW', occurredAt: '2026-11-10T00:00:00.000Z' }),
  setDormant: () => Promise.resolve(),
  lastSeen: () => Promise.resolve(null),
  firstOrderBetween: () => Promise.resolve(null),
};

/** The dormancy scenario's last-seen fake reads the test server's time, which the scenario sets. */
const dormancyClock = { nowMs: 0, lastSeenCalls: 0 };

const start = (env: TestWorkflowEnvironment, taskQueue: string, workflowType: string, workflowId: string, args: unknown[], event: JourneyEvent) =>
  env.client.workflow.signalWithStart(workflowType, { workflowId, taskQueue, args, signal: journeyEventSignal, signalArgs: [event] });

export const historyScenarios: HistoryScenario[] = [
  {
    // cart update restarts the wait, reminder sent, order inside the window converts
    name: 'cart-reminder-converted',
    activities: sentActivities,
    async run(env, taskQueue) {
      const handle = await env.client.workflow.signalWithStart('cartReminder', {
        workflowId: 'cart-reminder:c-replay-1',
        taskQueue,
        args: [{ customerId: 'c-replay-1', settings: cartSettings } satisfies CartReminderInput],
        signal: journeyEventSignal,
        signalArgs: [cartEvent('e-1', 'c-replay-1')],
      });
      await env.sleep(10 * HOUR);
      await handle.signal(journeyEventSignal, cartEvent('e-2', 'c-replay-1'));
      await env.sleep(36 * HOUR);
      await handle.signal(journeyEventSignal, {
        id: 'e-3',
        type: 'order_completed',
        customerId: 'c-replay-1',
        occurredAt: '2026-11-03T09:00:00.000Z',
        properties: { orderId: 'o-9', total: 50_000, currency: 'KRW', items: [] },
      });
      return handle;
    },
  },
  {
    // order arrives before the reminder: the journey exits without sending
    name: 'cart-reminder-exited',
    activities: sentActivities,
    async run(env, taskQueue) {
      const handle = await env.client.workflow.signalWithStart('cartReminder', {
        workflowId: 'cart-reminder:c-replay-2',
        taskQueue,
        args: [{ customerId: 'c-replay-2', settings: cartSettings } satisfies CartReminderInput],
        signal: journeyEventSignal,
        signalArgs: [cartEvent('e-4', 'c-replay-2')],
      });
      await env.sleep(5 * HOUR);
      await handle.signal(journeyEventSignal, {
        id: 'e-5',
        type: 'order_completed',
        customerId: 'c-replay-2',
        occurredAt: '2026-11-01T14:00:00.000Z',
        properties: { orderId: 'o-10', total: 50_000, currency: 'KRW', items: [] },
      });
      return handle;
    },
  },
  {
    // no consent anywhere: a suppressed send ends the journey
    name: 'cart-reminder-suppressed',
    activities: {
      ...sentActivities,
      sendMessage: () => Promise.resolve({ messageId: 'm-2', status: 'suppressed', channel: null, reason: 'kakao: no marketing consent' }),
    },
    async run(env, taskQueue) {
      return env.client.workflow.signalWithStart('cartReminder', {
        workflowId: 'cart-reminder:c-replay-3',
        taskQueue,
        args: [{ customerId: 'c-replay-3', settings: cartSettings } satisfies CartReminderInput],
        signal: journeyEventSignal,
        signalArgs: [cartEvent('e-6', 'c-replay-3')],
      });
    },
  },
  {
    // two page views, popup after the delay, signup inside the window converts
    name: 'signup-nudge-converted',
    activities: sentActivities,
    async run(env, taskQueue) {
      const settings: SignupNudgeInput['settings'] = { minViews: 2, delayMs: 30 * 60_000, windowMs: 7 * DAY, offer: '10% off' };
      const view = (id: string): JourneyEvent => ({ id, type: 'page_viewed', anonymousId: 'v-replay', occurredAt: '2026-11-01T09:00:00.000Z', properties: {} });
      const handle = await start(env, taskQueue, 'signupNudge', 'signup-nudge:v-replay', [{ visitorId: 'v-replay', settings }], view('sv-1'));
      await env.sleep(60_000);
      await handle.signal(journeyEventSignal, view('sv-2'));
      await env.sleep(DAY);
      await handle.signal(journeyEventSignal, { id: 'sv-3', type: 'signed_up', customerId: 'c-replay-4', anonymousId: 'v-replay', occurredAt: '2026-11-02T09:00:00.000Z', properties: {} });
      return handle;
    },
  },
  {
    // recommendation sent after the delay; a recommended product is ordered within the window
    name: 'upsell-converted',
    activities: sentActivities,
    async run(env, taskQueue) {
      const settings: UpsellInput['settings'] = { delayMs: 7 * DAY, windowMs: 7 * DAY, maxProducts: 3, channels: ['kakao', 'email'] };
      const event: JourneyEvent = { id: 'up-1', type: 'order_completed', customerId: 'c-replay-5', occurredAt: '2026-11-01T09:00:00.000Z', properties: { orderId: 'o-12', total: 30_000, currency: 'KRW', items: [] } };
      return start(env, taskQueue, 'upsell', 'upsell:o-12', [{ customerId: 'c-replay-5', orderId: 'o-12', settings }], event);
    },
  },
  {
    // request, reminder, then the review: conversion and referral invite
    name: 'review-request-reviewed',
    activities: sentActivities,
    async run(env, taskQueue) {
      const settings: ReviewRequestInput['settings'] = { delayMs: 3 * DAY, reminderDelayMs: 4 * DAY, channels: ['kakao'], referralOffer: '5,000 points' };
      const delivered: JourneyEvent = { id: 'rv-1', type: 'order_delivered', customerId: 'c-replay-6', occurredAt: '2026-11-01T09:00:00.000Z', properties: { orderId: 'o-13' } };
      const handle = await start(env, taskQueue, 'reviewRequest', 'review-request:o-13', [{ customerId: 'c-replay-6', orderId: 'o-13', settings }], delivered);
      await env.sleep(8 * DAY);
      await handle.signal(journeyEventSignal, { id: 'rv-2', type: 'review_submitted', customerId: 'c-replay-6', occurredAt: '2026-11-09T09:00:00.000Z', properties: { orderId: 'o-13' } });
      return handle;
    },
  },
  {
    // events restart the clock, notice after the silence, win-back order, then the operator stops it
    name: 'dormancy-notice-and-win-back',
    activities: sentActivities,
    async run(env, taskQueue) {
      const settings: DormancyInput['settings'] = { warningAfterMs: 335 * DAY, dormantAfterMs: 365 * DAY, windowMs: 30 * DAY, channels: ['email'], offer: 'coupon' };
      const seen = (id: string, type = 'app_opened', properties: Record<string, unknown> = {}): JourneyEvent => ({ id, type, customerId: 'c-replay-7', occurredAt: '2026-01-01T00:00:00.000Z', properties });
      const handle = await start(env, taskQueue, 'dormancy', 'dormancy:c-replay-7', [{ customerId: 'c-replay-7', settings }], seen('dm-1'));
      await env.sleep(30 * DAY);
      await handle.signal(journeyEventSignal, seen('dm-2'));
      await env.sleep(340 * DAY);
      await handle.signal(journeyEventSignal, seen('dm-3', 'order_completed', { orderId: 'o-14', total: 20_000, currency: 'KRW', items: [] }));
      await env.sleep(DAY);
      await handle.terminate('history captured');
      return handle;
    },
  },
  {
    // the dispatcher's list signal with delivery numbers, a repeat dropped, timed from occurredAt
    name: 'cart-reminder-dispatched',
    activities: sentActivities,
    async run(env, taskQueue) {
      const at = new Date(await env.currentTimeMs()).toISOString();
      const handle = await env.client.workflow.signalWithStart('cartReminder', {
        workflowId: 'cart-reminder:c-replay-8',
        taskQueue,
        args: [{ customerId: 'c-replay-8', settings: cartSettings } satisfies CartReminderInput],
        signal: journeyEventsSignal,
        signalArgs: [[{ ...cartEvent('d-1', 'c-replay-8'), occurredAt: at, seq: 1 }, { ...cartEvent('d-2', 'c-replay-8'), occurredAt: at, seq: 2 }]],
      });
      await env.sleep(2 * HOUR);
      await handle.signal(journeyEventsSignal, [{ ...cartEvent('d-2', 'c-replay-8'), occurredAt: at, seq: 2 }]);
      await env.sleep(30 * HOUR);
      await handle.terminate('history captured');
      return handle;
    },
  },
  {
    // no signal per event: wakes at 335 days, reads last-seen (active yesterday), sleeps again,
    // then warns; the customer comes back (a delivered event) and the win-back is looked up
    name: 'dormancy-reads-last-seen',
    activities: {
      ...sentActivities,
      lastSeen: () => Promise.resolve(dormancyClock.lastSeenCalls++ === 0 ? new Date(dormancyClock.nowMs - DAY).toISOString() : null),
    },
    async run(env, taskQueue) {
      const settings: DormancyInput['settings'] = { warningAfterMs: 335 * DAY, dormantAfterMs: 365 * DAY, windowMs: 30 * DAY, channels: ['email'], offer: 'coupon' };
      const at = async () => new Date(await env.currentTimeMs()).toISOString();
      const handle = await env.client.workflow.signalWithStart('dormancy', {
        workflowId: 'dormancy:c-replay-9',
        taskQueue,
        args: [{ customerId: 'c-replay-9', settings }],
        signal: journeyEventsSignal,
        signalArgs: [[{ id: 'dl-1', type: 'app_opened', customerId: 'c-replay-9', occurredAt: await at(), properties: {}, seq: 1 }]],
      });
      await env.sleep(335 * DAY - 1000);
      dormancyClock.nowMs = await env.currentTimeMs();
      await env.sleep(360 * DAY);
      await handle.signal(journeyEventsSignal, [{ id: 'dl-2', type: 'app_opened', customerId: 'c-replay-9', occurredAt: await at(), properties: {}, seq: 2 }]);
      await env.sleep(DAY);
      await handle.terminate('history captured');
      return handle;
    },
  },
];

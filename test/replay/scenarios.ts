// The journey runs whose histories are kept for replay tests. Each covers a journey's main
// path; add one per journey (and per important branch).
import type { WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { CartReminderInput } from '../../workflows/cart-reminder';
import type { ConsentReconfirmationInput } from '../../workflows/consent-reconfirmation';
import { journeyEventSignal, journeyEventsSignal, stateQuery, type JourneyEvent } from '../../workflows/definitions';
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

/** The consent scenarios' fake answers the grant time the scenario sets (on the test server's clock). */
const consentClock = { grantedAt: null as string | null };
const consentActivities = {
  ...sentActivities,
  marketingConsents: () =>
    Promise.resolve({
      sender: 'crm-journeys',
      consents: consentClock.grantedAt
        ? [{ channel: 'kakao', purpose: 'marketing', grantedAt: consentClock.grantedAt, grantedOn: consentClock.grantedAt.slice(0, 10), nightTime: false, optOutUrl: 'http://localhost:3000/unsubscribe/t' }]
        : [],
    }),
  journeySettings: () => Promise.resolve(null),
};
const consentSettings: ConsentReconfirmationInput['settings'] = { everyMs: 730 * DAY, channels: ['email', 'kakao', 'sms'] };
const consentChanged = (id: string, customerId: string, occurredAt: string, granted: boolean, seq: number): JourneyEvent => ({
  id,
  type: 'consent_changed',
  customerId,
  occurredAt,
  properties: { channel: 'kakao', purpose: 'marketing', granted, nightTime: false },
  seq,
});

/** The dormancy scenario's last-seen fake reads the test server's time, which the scenario sets. */
const dormancyClock = { nowMs: 0, lastSeenCalls: 0 };

const start = (env: TestWorkflowEnvironment, taskQueue: string, workflowType: string, workflowId: string, args: unknown[], event: JourneyEvent) =>
  env.client.workflow.signalWithStart(workflowType, { workflowId, taskQueue, args, signal: journeyEventSignal, signalArgs: [event] });

/** Activities as they answer since journeys were made right (issue 9): sentAt, holds, failures, attribution. */
const rightClock = { heldFor: 0 };
const rightActivities = {
  ...sentActivities,
  sendMessage: async (request: { step: string }) =>
    Promise.resolve({ messageId: `m-${request.step}`, status: 'sent', channel: 'kakao', reason: null, heldUntil: null, sentAt: new Date().toISOString() }),
  attributeOrder: ({ orderId }: { orderId: string }) => Promise.resolve({ conversionId: `conv-${orderId}`, messageId: 'm-win-back-1', journey: 'dormancy', workflowId: 'dormancy:c-replay-22' }),
  attributeOrdersBetween: () => Promise.resolve([]),
  cancelHeldMessage: ({ reason }: { reason: string }) => Promise.resolve({ messageId: 'm-held', status: 'cancelled', channel: 'kakao', reason, heldUntil: null, sentAt: null }),
  recordFailedMessage: ({ reason }: { reason: string }) => Promise.resolve({ messageId: 'm-failed', status: 'failed', channel: null, reason, heldUntil: null, sentAt: null }),
  journeySettings: () => Promise.resolve(null),
};
/** The first send is held for quiet hours (until the time the scenario sets); later ones are sent. */
const heldActivities = {
  ...rightActivities,
  sendMessage: (request: { step: string }) =>
    rightClock.heldFor
      ? Promise.resolve({ messageId: 'm-held', status: 'held', channel: 'kakao', reason: 'quiet hours in Asia/Seoul', heldUntil: new Date(rightClock.heldFor).toISOString(), sentAt: null })
      : rightActivities.sendMessage(request),
  cancelHeldMessage: ({ reason }: { reason: string }) => {
    rightClock.heldFor = 0;
    return rightActivities.cancelHeldMessage({ reason });
  },
};
const failingActivities = {
  ...rightActivities,
  sendMessage: () => Promise.reject(ApplicationFailure.nonRetryable('database unavailable')),
};
const orderEvent = (id: string, customerId: string, orderId: string, occurredAt: string): JourneyEvent => ({
  id,
  type: 'order_completed',
  customerId,
  occurredAt,
  properties: { orderId, total: 50_000, currency: 'KRW', items: [] },
});
const at = async (env: TestWorkflowEnvironment) => new Date(await env.currentTimeMs()).toISOString();
/** The first run of a journey that continued as new: its history ends in ContinuedAsNew. */
const firstRunOf = (env: TestWorkflowEnvironment, handle: { workflowId: string; signaledRunId: string }) => env.client.workflow.getHandle(handle.workflowId, handle.signaledRunId);
/**
 * Waits (stepping the test server's clock) until the first run has continued as new, then ends
 * the next run (a watcher that would run forever); returns the first run. Its state is polled:
 * waiting on its result right after it continued stalls the test server's clock.
 */
const continuedThenTerminated = async (env: TestWorkflowEnvironment, handle: { workflowId: string; signaledRunId: string }, stepMs = DAY) => {
  const firstRun = firstRunOf(env, handle);
  for (let steps = 0; (await firstRun.describe()).status.name === 'RUNNING'; steps += 1) {
    if (steps === 100) throw new Error(`${handle.workflowId} did not continue as new`);
    await env.sleep(stepMs);
  }
  // The next run has started (it answers) before it is ended.
  const latest = env.client.workflow.getHandle(handle.workflowId);
  await latest.query(stateQuery);
  await latest.terminate('history captured');
  return firstRun;
};
const dormancySettings: DormancyInput['settings'] = { warningAfterMs: 335 * DAY, dormantAfterMs: 365 * DAY, windowMs: 30 * DAY, channels: ['email'], offer: 'coupon' };

/** A cart reminder under a flood of 40 cart updates, so it continues as new (a history limit of 60). */
async function cartFlood(env: TestWorkflowEnvironment, taskQueue: string, customerId: string, firstEventId: string, updatePrefix: string): Promise<WorkflowHandle> {
  const handle = await start(env, taskQueue, 'cartReminder', `cart-reminder:${customerId}`, [{ customerId, settings: { ...cartSettings, historyLimit: 60 } } satisfies CartReminderInput], { ...cartEvent(firstEventId, customerId), occurredAt: await at(env) });
  for (let i = 0; i < 40; i += 1) await handle.signal(journeyEventsSignal, [{ ...cartEvent(`${updatePrefix}-${i}`, customerId), occurredAt: await at(env), seq: i + 2 }]);
  return firstRunOf(env, handle);
}

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
    // the earlier-orders check as a local activity (LOOKUPS_ARE_LOCAL), the reminder sent, no order in the window
    name: 'cart-reminder-local-lookup-not-converted',
    activities: rightActivities,
    async run(env, taskQueue) {
      const input: CartReminderInput = { customerId: 'c-replay-local', settings: cartSettings };
      const handle = await start(env, taskQueue, 'cartReminder', 'cart-reminder:c-replay-local', [input], cartEvent('e-local-1', 'c-replay-local'));
      await env.sleep(100 * HOUR);
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
  {
    // granted, granted again a year later (the clock restarts), the notice two years after
    // that, then continue-as-new; the first run's history is kept
    name: 'consent-reconfirmation-notice',
    activities: consentActivities,
    async run(env, taskQueue) {
      const workflowId = 'consent-reconfirmation:c-replay-10';
      const at = async () => new Date(await env.currentTimeMs()).toISOString();
      consentClock.grantedAt = await at();
      const handle = await env.client.workflow.signalWithStart('consentReconfirmation', {
        workflowId,
        taskQueue,
        args: [{ customerId: 'c-replay-10', settings: consentSettings } satisfies ConsentReconfirmationInput],
        signal: journeyEventsSignal,
        signalArgs: [[consentChanged('cr-1', 'c-replay-10', consentClock.grantedAt, true, 1)]],
      });
      const firstRun = env.client.workflow.getHandle(workflowId, handle.signaledRunId);
      await env.sleep(365 * DAY);
      consentClock.grantedAt = await at();
      await handle.signal(journeyEventsSignal, [consentChanged('cr-2', 'c-replay-10', consentClock.grantedAt, true, 2)]);
      await env.sleep(731 * DAY);
      await env.client.workflow.getHandle(workflowId).terminate('history captured');
      return firstRun;
    },
  },
  {
    // granted, then revoked: the journey ends (exited) without a notice
    name: 'consent-reconfirmation-revoked',
    activities: consentActivities,
    async run(env, taskQueue) {
      const at = async () => new Date(await env.currentTimeMs()).toISOString();
      consentClock.grantedAt = await at();
      const handle = await env.client.workflow.signalWithStart('consentReconfirmation', {
        workflowId: 'consent-reconfirmation:c-replay-11',
        taskQueue,
        args: [{ customerId: 'c-replay-11', settings: consentSettings } satisfies ConsentReconfirmationInput],
        signal: journeyEventsSignal,
        signalArgs: [[consentChanged('cr-3', 'c-replay-11', consentClock.grantedAt, true, 1)]],
      });
      await env.sleep(100 * DAY);
      consentClock.grantedAt = null;
      await handle.signal(journeyEventsSignal, [consentChanged('cr-4', 'c-replay-11', await at(), false, 2)]);
      return handle;
    },
  },
  {
    // the reminder is held for quiet hours; the order during the hold cancels it (never sent)
    name: 'cart-reminder-held-then-ordered',
    activities: heldActivities,
    async run(env, taskQueue) {
      const handle = await start(env, taskQueue, 'cartReminder', 'cart-reminder:c-replay-20', [{ customerId: 'c-replay-20', settings: cartSettings } satisfies CartReminderInput], { ...cartEvent('e-20', 'c-replay-20'), occurredAt: await at(env) });
      rightClock.heldFor = (await env.currentTimeMs()) + 32 * HOUR;
      await env.sleep(26 * HOUR);
      await handle.signal(journeyEventSignal, orderEvent('e-21', 'c-replay-20', 'o-20', await at(env)));
      return handle;
    },
  },
  {
    // the send fails for good: recorded as failed, the journey ends with stage failed
    name: 'cart-reminder-send-failed',
    activities: failingActivities,
    async run(env, taskQueue) {
      return start(env, taskQueue, 'cartReminder', 'cart-reminder:c-replay-21', [{ customerId: 'c-replay-21', settings: cartSettings } satisfies CartReminderInput], { ...cartEvent('e-22', 'c-replay-21'), occurredAt: await at(env) });
    },
  },
  {
    // a flood of cart updates: the journey continues as new carrying its cart
    name: 'cart-reminder-continued-as-new',
    activities: rightActivities,
    run: (env, taskQueue) => cartFlood(env, taskQueue, 'c-replay-22', 'e-23', 'e-cu'),
  },
  {
    // the same flood since runs read their settings once (patched 'settings-read-once')
    name: 'cart-reminder-continued-as-new-settings-read-once',
    activities: rightActivities,
    run: (env, taskQueue) => cartFlood(env, taskQueue, 'c-replay-22b', 'e-23b', 'e-cub'),
  },
  {
    // page views past the threshold during the conversion window: continue-as-new carrying the popup
    name: 'signup-nudge-continued-as-new',
    activities: rightActivities,
    async run(env, taskQueue) {
      const view = async (id: string): Promise<JourneyEvent> => ({ id, type: 'page_viewed', anonymousId: 'v-replay-23', occurredAt: await at(env), properties: { path: '/' } });
      const settings: SignupNudgeInput['settings'] = { minViews: 2, delayMs: HOUR / 2, windowMs: 7 * DAY, offer: '10% off', historyLimit: 60 };
      const handle = await start(env, taskQueue, 'signupNudge', 'signup-nudge:v-replay-23', [{ visitorId: 'v-replay-23', settings } satisfies SignupNudgeInput], await view('sv-1'));
      await handle.signal(journeyEventSignal, await view('sv-2'));
      await env.sleep(HOUR);
      for (let i = 0; i < 40; i += 1) await handle.signal(journeyEventsSignal, [{ ...(await view(`sv-more-${i}`)), seq: i + 3 }]);
      return firstRunOf(env, handle);
    },
  },
  {
    // the review request is held for quiet hours; the review during the hold cancels it
    name: 'review-request-held-cancelled',
    activities: heldActivities,
    async run(env, taskQueue) {
      const delivered: JourneyEvent = { id: 'e-24', type: 'order_delivered', customerId: 'c-replay-24', occurredAt: await at(env), properties: { orderId: 'o-24' } };
      const handle = await start(env, taskQueue, 'reviewRequest', 'review-request:o-24', [{ customerId: 'c-replay-24', orderId: 'o-24', settings: { delayMs: 3 * DAY, reminderDelayMs: 4 * DAY, channels: ['kakao'], referralOffer: '5,000 points' } } satisfies ReviewRequestInput], delivered);
      rightClock.heldFor = (await env.currentTimeMs()) + 3 * DAY + 8 * HOUR;
      await env.sleep(3 * DAY + HOUR);
      await handle.signal(journeyEventSignal, { id: 'e-25', type: 'review_submitted', customerId: 'c-replay-24', occurredAt: await at(env), properties: { orderId: 'o-24' } });
      return handle;
    },
  },
  {
    // browse abandonment: the nudge is held, an add-to-cart during the hold cancels it
    name: 'browse-abandonment-held-cancelled',
    activities: heldActivities,
    async run(env, taskQueue) {
      const viewed: JourneyEvent = { id: 'e-26', type: 'product_viewed', customerId: 'c-replay-26', occurredAt: await at(env), properties: { productId: 'p-lamp' } };
      const handle = await start(env, taskQueue, 'browseAbandonment', 'browse-abandonment:c-replay-26', [{ customerId: 'c-replay-26', settings: { delayMs: 2 * HOUR, windowMs: 3 * DAY, channels: ['kakao'] } }], viewed);
      rightClock.heldFor = (await env.currentTimeMs()) + 10 * HOUR;
      await env.sleep(3 * HOUR);
      await handle.signal(journeyEventSignal, { ...cartEvent('e-27', 'c-replay-26'), occurredAt: await at(env) });
      return handle;
    },
  },
  {
    // upsell whose send fails for good: recorded as failed, ends with stage failed
    name: 'upsell-send-failed',
    activities: failingActivities,
    async run(env, taskQueue) {
      return start(env, taskQueue, 'upsell', 'upsell:o-28', [{ customerId: 'c-replay-28', orderId: 'o-28', settings: { delayMs: 7 * DAY, windowMs: 7 * DAY, maxProducts: 3, channels: ['kakao'] } } satisfies UpsellInput], orderEvent('e-28', 'c-replay-28', 'o-28', await at(env)));
    },
  },
  {
    // the dormancy notice without an offer, the separate win-back, and an order credited to it
    name: 'dormancy-separate-win-back',
    activities: { ...rightActivities, lastSeen: () => Promise.resolve(null) },
    async run(env, taskQueue) {
      const first: JourneyEvent = { id: 'e-29', type: 'page_viewed', customerId: 'c-replay-29', occurredAt: await at(env), properties: {} };
      const handle = await start(env, taskQueue, 'dormancy', 'dormancy:c-replay-29', [{ customerId: 'c-replay-29', settings: { warningAfterMs: 335 * DAY, dormantAfterMs: 365 * DAY, windowMs: 30 * DAY, channels: ['email'], offer: 'coupon' } } satisfies DormancyInput], first);
      await env.sleep(340 * DAY);
      await handle.signal(journeyEventSignal, orderEvent('e-30', 'c-replay-29', 'o-30', await at(env)));
      await env.sleep(DAY);
      await handle.terminate('history captured');
      return handle;
    },
  },
  {
    // signup nudge whose popup send fails for good: recorded as failed, ends with stage failed
    name: 'signup-nudge-send-failed',
    activities: failingActivities,
    async run(env, taskQueue) {
      const settings: SignupNudgeInput['settings'] = { minViews: 1, delayMs: HOUR / 2, windowMs: 7 * DAY, offer: '10% off' };
      const view: JourneyEvent = { id: 'e-31', type: 'page_viewed', anonymousId: 'v-replay-31', occurredAt: await at(env), properties: { path: '/' } };
      return start(env, taskQueue, 'signupNudge', 'signup-nudge:v-replay-31', [{ visitorId: 'v-replay-31', settings } satisfies SignupNudgeInput], view);
    },
  },
  {
    // the operator cancels the signup nudge while it counts views: stage cancelled, the workflow closes cancelled
    name: 'signup-nudge-cancelled',
    activities: rightActivities,
    async run(env, taskQueue) {
      const settings: SignupNudgeInput['settings'] = { minViews: 2, delayMs: HOUR / 2, windowMs: 7 * DAY, offer: '10% off' };
      const view: JourneyEvent = { id: 'e-32', type: 'page_viewed', anonymousId: 'v-replay-32', occurredAt: await at(env), properties: { path: '/' } };
      const handle = await start(env, taskQueue, 'signupNudge', 'signup-nudge:v-replay-32', [{ visitorId: 'v-replay-32', settings } satisfies SignupNudgeInput], view);
      await env.sleep(HOUR);
      await handle.cancel();
      return handle;
    },
  },
  {
    // a flood of product views while browse abandonment waits: it continues as new carrying the product
    name: 'browse-abandonment-continued-as-new',
    activities: rightActivities,
    async run(env, taskQueue) {
      const viewed = async (id: string): Promise<JourneyEvent> => ({ id, type: 'product_viewed', customerId: 'c-replay-33', occurredAt: await at(env), properties: { productId: 'p-lamp' } });
      const handle = await start(env, taskQueue, 'browseAbandonment', 'browse-abandonment:c-replay-33', [{ customerId: 'c-replay-33', settings: { delayMs: 2 * HOUR, windowMs: 3 * DAY, channels: ['kakao'], historyLimit: 60 } }], await viewed('e-33'));
      for (let i = 0; i < 40; i += 1) await handle.signal(journeyEventsSignal, [{ ...(await viewed(`e-pv-${i}`)), seq: i + 2 }]);
      return firstRunOf(env, handle);
    },
  },
  {
    // browse abandonment whose nudge fails for good: recorded as failed, ends with stage failed
    name: 'browse-abandonment-send-failed',
    activities: failingActivities,
    async run(env, taskQueue) {
      const viewed: JourneyEvent = { id: 'e-34', type: 'product_viewed', customerId: 'c-replay-34', occurredAt: await at(env), properties: { productId: 'p-lamp' } };
      return start(env, taskQueue, 'browseAbandonment', 'browse-abandonment:c-replay-34', [{ customerId: 'c-replay-34', settings: { delayMs: 2 * HOUR, windowMs: 3 * DAY, channels: ['kakao'] } }], viewed);
    },
  },
  {
    // the recommendation is held for quiet hours, then sent after the hold (upsell has no exit)
    name: 'upsell-held-then-sent',
    activities: heldActivities,
    async run(env, taskQueue) {
      const handle = await start(env, taskQueue, 'upsell', 'upsell:o-35', [{ customerId: 'c-replay-35', orderId: 'o-35', settings: { delayMs: 7 * DAY, windowMs: 7 * DAY, maxProducts: 3, channels: ['kakao'] } } satisfies UpsellInput], orderEvent('e-35', 'c-replay-35', 'o-35', await at(env)));
      rightClock.heldFor = (await env.currentTimeMs()) + 7 * DAY + 8 * HOUR;
      await env.sleep(7 * DAY + HOUR);
      // Held once: the send after the hold goes out.
      rightClock.heldFor = 0;
      return handle;
    },
  },
  {
    // the operator cancels the upsell while its recommendation is held for quiet hours
    name: 'upsell-cancelled-while-held',
    activities: heldActivities,
    async run(env, taskQueue) {
      const handle = await start(env, taskQueue, 'upsell', 'upsell:o-36', [{ customerId: 'c-replay-36', orderId: 'o-36', settings: { delayMs: 7 * DAY, windowMs: 7 * DAY, maxProducts: 3, channels: ['kakao'] } } satisfies UpsellInput], orderEvent('e-36', 'c-replay-36', 'o-36', await at(env)));
      rightClock.heldFor = (await env.currentTimeMs()) + 7 * DAY + 8 * HOUR;
      await env.sleep(7 * DAY + HOUR);
      await handle.cancel();
      rightClock.heldFor = 0;
      return handle;
    },
  },
  {
    // review request whose send fails for good: recorded as failed, ends with stage failed
    name: 'review-request-send-failed',
    activities: failingActivities,
    async run(env, taskQueue) {
      const delivered: JourneyEvent = { id: 'e-37', type: 'order_delivered', customerId: 'c-replay-37', occurredAt: await at(env), properties: { orderId: 'o-37' } };
      return start(env, taskQueue, 'reviewRequest', 'review-request:o-37', [{ customerId: 'c-replay-37', orderId: 'o-37', settings: { delayMs: 3 * DAY, reminderDelayMs: 4 * DAY, channels: ['kakao'], referralOffer: '5,000 points' } } satisfies ReviewRequestInput], delivered);
    },
  },
  {
    // the dormancy notice and win-back fail for good (recorded as failed), the account goes dormant, then the operator stops it
    name: 'dormancy-send-failed',
    activities: { ...failingActivities, lastSeen: () => Promise.resolve(null) },
    async run(env, taskQueue) {
      const first: JourneyEvent = { id: 'e-38', type: 'page_viewed', customerId: 'c-replay-38', occurredAt: await at(env), properties: {} };
      const handle = await start(env, taskQueue, 'dormancy', 'dormancy:c-replay-38', [{ customerId: 'c-replay-38', settings: dormancySettings } satisfies DormancyInput], first);
      await env.sleep(366 * DAY);
      await handle.terminate('history captured');
      return handle;
    },
  },
  {
    // a busy customer's events restart the dormancy clock until the history passes its limit: continue-as-new
    name: 'dormancy-continued-as-new',
    activities: { ...rightActivities, lastSeen: () => Promise.resolve(null) },
    async run(env, taskQueue) {
      const seen = async (id: string): Promise<JourneyEvent> => ({ id, type: 'app_opened', customerId: 'c-replay-39', occurredAt: await at(env), properties: {} });
      const handle = await start(env, taskQueue, 'dormancy', 'dormancy:c-replay-39', [{ customerId: 'c-replay-39', settings: { ...dormancySettings, historyLimit: 30 } } satisfies DormancyInput], await seen('e-39'));
      // One event a day until the first run has continued as new (none is sent while it does).
      const firstRun = firstRunOf(env, handle);
      for (let i = 0; i < 20 && (await firstRun.describe()).status.name === 'RUNNING'; i += 1) {
        await handle.signal(journeyEventsSignal, [{ ...(await seen(`e-ao-${i}`)), seq: i + 1 }]);
        await env.sleep(DAY);
      }
      return continuedThenTerminated(env, handle);
    },
  },
  {
    // the operator cancels the dormancy watcher: stage cancelled, the workflow closes cancelled
    name: 'dormancy-cancelled',
    activities: rightActivities,
    async run(env, taskQueue) {
      const first: JourneyEvent = { id: 'e-40', type: 'page_viewed', customerId: 'c-replay-40', occurredAt: await at(env), properties: {} };
      const handle = await start(env, taskQueue, 'dormancy', 'dormancy:c-replay-40', [{ customerId: 'c-replay-40', settings: dormancySettings } satisfies DormancyInput], first);
      await env.sleep(10 * DAY);
      await handle.cancel();
      return handle;
    },
  },
  {
    // the re-confirmation notice fails for good: recorded as failed, then continue-as-new all the same
    name: 'consent-reconfirmation-send-failed',
    activities: { ...failingActivities, marketingConsents: consentActivities.marketingConsents },
    async run(env, taskQueue) {
      consentClock.grantedAt = await at(env);
      const handle = await env.client.workflow.signalWithStart('consentReconfirmation', {
        workflowId: 'consent-reconfirmation:c-replay-41',
        taskQueue,
        args: [{ customerId: 'c-replay-41', settings: consentSettings } satisfies ConsentReconfirmationInput],
        signal: journeyEventsSignal,
        signalArgs: [[consentChanged('e-41', 'c-replay-41', consentClock.grantedAt, true, 1)]],
      });
      return continuedThenTerminated(env, handle, 30 * DAY);
    },
  },
  {
    // the operator cancels consent re-confirmation while it waits for the notice
    name: 'consent-reconfirmation-cancelled',
    activities: consentActivities,
    async run(env, taskQueue) {
      consentClock.grantedAt = await at(env);
      const handle = await env.client.workflow.signalWithStart('consentReconfirmation', {
        workflowId: 'consent-reconfirmation:c-replay-42',
        taskQueue,
        args: [{ customerId: 'c-replay-42', settings: consentSettings } satisfies ConsentReconfirmationInput],
        signal: journeyEventsSignal,
        signalArgs: [[consentChanged('e-42', 'c-replay-42', consentClock.grantedAt, true, 1)]],
      });
      await env.sleep(100 * DAY);
      await handle.cancel();
      return handle;
    },
  },
  {
    // RFM scoring (not a journey, kept like one): score, three batches with continue-as-new after each, finish
    name: 'rfm-scoring-continued-as-new',
    activities: {
      scoreRfm: () => Promise.resolve({ customers: 25 }),
      applyRfmBatch: ({ after }: { after: string }) => {
        const next: Record<string, string | null> = { '': 'c-10', 'c-10': 'c-20', 'c-20': 'c-25', 'c-25': null };
        return Promise.resolve({ applied: next[after] ? 10 : 0, last: next[after], changed: 1 });
      },
      finishRfm: () => Promise.resolve({ removed: 0 }),
    },
    async run(env, taskQueue) {
      const handle = await env.client.workflow.start('rfmScoring', { workflowId: 'rfm-scoring-replay', taskQueue, args: [{ batchSize: 10, historyLimit: 10 }] });
      await handle.result();
      return env.client.workflow.getHandle('rfm-scoring-replay', handle.firstExecutionRunId);
    },
  },
  {
    // a campaign (not a journey, kept like one): snapshot, pages with continue-as-new, a held pass, the attribution window
    name: 'campaign-sent-held-and-measured',
    activities: {
      setCampaignStatus: () => Promise.resolve(),
      snapshotCampaign: () => Promise.resolve({ audience: 25, holdout: 2 }),
      sendCampaignPage: ({ afterSeq }: { afterSeq: number }) =>
        Promise.resolve(afterSeq === 0 ? { counts: { sent: 9, held: 1 }, heldUntil: new Date(Date.now() + 9 * HOUR).toISOString() } : { counts: { sent: 10 }, heldUntil: null }),
      resendHeldCampaignMessages: () => Promise.resolve({ counts: { sent: 1 }, heldUntil: null }),
      cancelHeldCampaignMessages: () => Promise.resolve(0),
      attributeCampaignOrders: () => Promise.resolve(3),
    },
    async run(env, taskQueue) {
      const handle = await env.client.workflow.start('campaign', { workflowId: 'campaign:cmp_replay', taskQueue, args: [{ campaignId: 'cmp_replay', windowDays: 2, pageSize: 10, historyLimit: 10 }] });
      await handle.result();
      return env.client.workflow.getHandle('campaign:cmp_replay', handle.firstExecutionRunId);
    },
  },
  {
    // a campaign cancelled before its sendAt: nothing sent, status cancelled
    name: 'campaign-cancelled-before-send',
    activities: {
      setCampaignStatus: () => Promise.resolve(),
      cancelHeldCampaignMessages: () => Promise.resolve(0),
    },
    async run(env, taskQueue) {
      const sendAt = new Date((await env.currentTimeMs()) + DAY).toISOString();
      const handle = await env.client.workflow.start('campaign', { workflowId: 'campaign:cmp_replay2', taskQueue, args: [{ campaignId: 'cmp_replay2', sendAt, windowDays: 7 }] });
      await env.sleep(HOUR);
      await handle.signal('campaignControl', 'cancel');
      await handle.result();
      return handle;
    },
  },
];

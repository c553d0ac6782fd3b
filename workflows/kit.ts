// The journey authoring kit: what every journey shares, so that a journey file reads like
// the marketing plan (wait, send, wait for a conversion) and nothing else.
import {
  condition,
  isCancellation,
  patched,
  proxyActivities,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { ConversionRequest } from '../activities/conversions';
import type { MessagePurpose, SendOutcome, SendRequest } from '../activities/messages';
import type { Channel } from '../src/config';
import { customerIdKey, journeyEventSignal, journeyEventsSignal, journeyStageKey, stateQuery, type JourneyEvent, type JourneyState } from './definitions';

type Activities = ReturnType<typeof createActivities>;

/** An `order_completed` event as journeys use it. */
export interface CompletedOrder {
  orderId: string;
  /** A decimal string (exact); revenue is recorded from the stored order. */
  total: string;
  currency: string;
  occurredAt: string;
}

export function completedOrder(event: JourneyEvent): CompletedOrder {
  return {
    orderId: String(event.properties.orderId),
    total: String(event.properties.total),
    currency: String(event.properties.currency),
    occurredAt: event.occurredAt,
  };
}

/** patched() id: journeys time their waits from the event's occurredAt. */
export const WAITS_FROM_OCCURRED_AT = 'waits-from-occurred-at';

/**
 * When an event happened, never later than now — or, in runs that started before journeys
 * timed their waits from occurredAt, when the journey heard of it.
 */
export function occurredAtOrNow(event: Pick<JourneyEvent, 'occurredAt'> | null | undefined): number {
  if (!event || !patched(WAITS_FROM_OCCURRED_AT)) return Date.now();
  return Math.min(Date.parse(event.occurredAt), Date.now());
}

// Database reads and conversions: retried with backoff until they succeed.
export const journeyActivities = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});

// Sends give up after a few attempts: the activity records the message as `failed` on its
// last attempt instead of throwing, so a journey never retries a provider forever.
export const SEND_MAX_ATTEMPTS = 5;
const sendActivities = proxyActivities<Pick<Activities, 'sendMessage'>>({
  // Providers answer within 15 s (src/channels/http.ts); a worker that died mid-send is
  // noticed after this and the send is retried by another worker, with the same key.
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumAttempts: SEND_MAX_ATTEMPTS },
});

type Addressing = 'idempotencyKey' | 'journey' | 'workflowId' | 'step' | 'customerId' | 'visitorId';

export interface Journey {
  readonly state: JourneyState;
  readonly workflowId: string;
  /** Moves the journey to a stage: updates `state` and the `JourneyStage` search attribute. */
  stage(stage: string, nextWakeAt?: number | null): void;
  /** Ends the journey with an outcome; the stage becomes `finalStage` (default `done`). Returns the outcome. */
  finish(outcome: string, finalStage?: string): string;
  /**
   * Waits until `done()` holds or the deadline passes; true if `done()` won.
   * `deadline` is epoch milliseconds on the workflow clock.
   */
  waitUntil(done: () => boolean, deadline: number): Promise<boolean>;
  /** Stage `waiting-for-conversion` until `converted()` holds or the window ends; true if it converted. */
  waitForConversion(converted: () => boolean, windowMs: number): Promise<boolean>;
  /** One guarded send, idempotent per journey run and step. */
  send(step: string, message: Omit<SendRequest, Addressing>): Promise<SendOutcome>;
  /** Records that a step sent nothing, and why (a `suppressed` message: never silently dropped). */
  skip(step: string, reason: string, purpose?: MessagePurpose): Promise<SendOutcome>;
  /** Records a conversion, once per run and step however often it is called. */
  recordConversion(
    conversion: Omit<ConversionRequest, 'idempotencyKey' | 'journey' | 'workflowId' | 'customerId'> & { customerId?: string },
    step?: string,
  ): Promise<void>;
  /** Records an order as the conversion of the message that led to it. */
  recordOrderConversion(order: CompletedOrder, messageId: string | undefined, step?: string): Promise<void>;
  /** The visitor became a customer: tag the journey so it is found under their `CustomerId`. */
  linkCustomer(customerId: string): void;
  /** Idempotency key for a side effect of this run: stable across retries, replays and continue-as-new. */
  key(step: string): string;
  /**
   * When a wait for `event` (by default the journey's trigger) starts: when the event happened
   * (never later than now), so a delay counts from the customer's action, not from when the
   * event reached the journey (Temporal may have been away, or it is an import).
   */
  waitsFrom(event?: Pick<JourneyEvent, 'occurredAt'> | null): number;
  /** The highest delivery number seen: carry it across continue-as-new (`carriedState.lastEventSeq`). */
  lastEventSeq(): number;
}

export interface JourneyOptions {
  journey: string;
  /** Who the journey messages: a customer, or (on-site only) an anonymous visitor. */
  customerId?: string;
  visitorId?: string;
  /** Sees each event once, even if the router delivers it twice. */
  onEvent: (event: JourneyEvent) => void;
  /** State carried over from the previous run (continue-as-new). */
  carriedState?: Pick<JourneyState, 'messagesSent'> & { lastEventSeq?: number };
}

/** Starts a journey: registers the `state` query and the event signal handler. */
export function startJourney(options: JourneyOptions): Journey {
  const state: JourneyState = {
    journey: options.journey,
    customerId: options.customerId,
    stage: 'started',
    nextWakeAt: null,
    messagesSent: options.carriedState?.messagesSent ?? 0,
    outcome: null,
  };
  // The dispatcher may deliver an event again after a failure. Its deliveries to one run come
  // in increasing `seq`, so one number (carried across continue-as-new) recognises a repeat;
  // events signalled by hand (no seq) are recognised by a bounded memory of their ids.
  let lastEventSeq = options.carriedState?.lastEventSeq ?? 0;
  const seenEventIds: string[] = [];
  // The event that started the journey: templates may use it as `event`.
  let trigger: JourneyEvent | null = null;
  const receive = (event: JourneyEvent) => {
    if (event.seq !== undefined) {
      if (event.seq <= lastEventSeq) return;
      lastEventSeq = event.seq;
    }
    if (seenEventIds.includes(event.id)) return;
    seenEventIds.push(event.id);
    if (seenEventIds.length > 100) seenEventIds.shift();
    trigger ??= event;
    options.onEvent(event);
  };
  setHandler(stateQuery, () => state);
  setHandler(journeyEventSignal, receive);
  setHandler(journeyEventsSignal, (events) => {
    for (const event of events) receive(event);
  });

  const info = workflowInfo();
  const key = (step: string) => `${info.workflowId}/${info.firstExecutionRunId}/${step}`;
  const addressing = (step: string) => ({
    idempotencyKey: key(step),
    journey: options.journey,
    workflowId: info.workflowId,
    step,
    ...(options.customerId ? { customerId: options.customerId } : {}),
    ...(options.visitorId ? { visitorId: options.visitorId } : {}),
  });

  const stage = (next: string, nextWakeAt: number | null = null) => {
    state.nextWakeAt = nextWakeAt === null ? null : new Date(nextWakeAt).toISOString();
    if (state.stage !== next) {
      state.stage = next;
      upsertSearchAttributes([{ key: journeyStageKey, value: next }]);
    }
  };

  const waitUntil = async (done: () => boolean, deadline: number) => {
    const remaining = deadline - Date.now();
    if (remaining <= 0) return done();
    return condition(done, remaining);
  };

  const recordConversion: Journey['recordConversion'] = async (conversion, step = 'conversion') => {
    const customerId = conversion.customerId ?? options.customerId;
    if (!customerId) throw new Error(`${options.journey}: a conversion needs a customer`);
    await journeyActivities.recordConversion({
      ...conversion,
      idempotencyKey: key(step),
      journey: options.journey,
      workflowId: info.workflowId,
      customerId,
    });
  };

  return {
    state,
    workflowId: info.workflowId,
    stage,
    key,
    waitsFrom: (event = trigger) => occurredAtOrNow(event),
    lastEventSeq: () => lastEventSeq,
    waitUntil,
    finish(outcome, finalStage = 'done') {
      state.outcome = outcome;
      stage(finalStage);
      return outcome;
    },
    async waitForConversion(converted, windowMs) {
      const windowEnd = Date.now() + windowMs;
      stage('waiting-for-conversion', windowEnd);
      return waitUntil(converted, windowEnd);
    },
    async send(step, message) {
      const request = { ...message, data: { event: trigger, ...message.data }, ...addressing(step) };
      let outcome = await sendActivities.sendMessage(request);
      // Quiet hours: hold with a durable timer (not a sleeping activity), then send again;
      // the activity re-checks consent and the rules when the time comes.
      while (outcome.status === 'held' && outcome.heldUntil) {
        const resumeStage = state.stage;
        const until = Date.parse(outcome.heldUntil);
        stage('held', until);
        await sleep(Math.max(until - Date.now(), 1));
        stage(resumeStage);
        outcome = await sendActivities.sendMessage(request);
      }
      if (outcome.status === 'sent') state.messagesSent += 1;
      return outcome;
    },
    async skip(step, reason, purpose = 'marketing') {
      return journeyActivities.recordSkippedMessage({ ...addressing(step), purpose, reason });
    },
    async recordOrderConversion(order, messageId, step) {
      await recordConversion(
        { orderId: order.orderId, messageId, revenue: order.total, currency: order.currency, occurredAt: order.occurredAt },
        step,
      );
    },
    linkCustomer(customerId) {
      if (state.customerId === customerId) return;
      state.customerId = customerId;
      upsertSearchAttributes([{ key: customerIdKey, value: customerId }]);
    },
    recordConversion,
  };
}

/**
 * Runs a journey body. A cancellation (DELETE …/journeys/:workflowId, or the Web UI) ends it
 * with stage and outcome `cancelled`, then lets the workflow close as cancelled.
 */
export async function runJourney(options: JourneyOptions, body: (journey: Journey) => Promise<string>): Promise<string> {
  const journey = startJourney(options);
  try {
    return await body(journey);
  } catch (error) {
    if (isCancellation(error)) journey.finish('cancelled', 'cancelled');
    throw error;
  }
}

export type { Channel, MessagePurpose };

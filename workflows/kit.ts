// The journey authoring kit: what every journey shares, so that a journey file reads like
// the marketing plan (wait, send, wait for a conversion) and nothing else.
import {
  ActivityFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { Attribution, ConversionRequest } from '../activities/conversions';
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
/** patched() id: a held message is cancelled when the journey's exit event arrives during the hold. */
export const HOLDS_RESPECT_EXITS = 'holds-respect-exits';
/** patched() id: a send's final failure is recorded as a `failed` message; the journey ends with stage `failed`. */
export const SEND_FAILURES_RECORDED = 'send-failures-recorded';
/** patched() id: only what happens after a send converts, and orders go through the one attribution model. */
export const CONVERSIONS_FOLLOW_SENDS = 'conversions-follow-sends';
/** patched() id: journeys that hear many events continue as new before their history grows large. */
export const BOUNDED_HISTORY = 'bounded-history';

/**
 * patched() id: a run reads the journey's settings for its continue-as-new once; an event that
 * puts the continue-as-new off no longer makes it read them again.
 */
export const SETTINGS_READ_ONCE = 'settings-read-once';
/** patched() id: look-ups a journey decides on (the cart reminder's earlier orders) are local activities (journeyLookups). */
export const LOOKUPS_ARE_LOCAL = 'lookups-are-local';

/** Continue as new past this many history events (Temporal's hard limit is 51,200). */
export const DEFAULT_HISTORY_LIMIT = 2000;

/**
 * When an event happened, never later than now — or, in runs that started before journeys
 * timed their waits from occurredAt, when the journey heard of it.
 */
export function occurredAtOrNow(event: Pick<JourneyEvent, 'occurredAt'> | null | undefined): number {
  if (!event || !patched(WAITS_FROM_OCCURRED_AT)) return Date.now();
  return Math.min(Date.parse(event.occurredAt), Date.now());
}

// Database reads and conversions: retried with backoff until they succeed.
const RETRY_UNTIL_DONE = { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes' } as const;
export const journeyActivities = proxyActivities<Activities>({ startToCloseTimeout: '30 seconds', retry: RETRY_UNTIL_DONE });

/**
 * Short read-only look-ups a journey decides on, as local activities: the worker runs them
 * inside the workflow task that needs them, and the server records one marker instead of
 * scheduling an activity task and a further workflow task. A look-up that runs again (a worker
 * lost mid-task) only reads again. Retried as journeyActivities are (past a minute of backoff
 * the SDK waits on a timer).
 */
export const journeyLookups = proxyLocalActivities<Pick<Activities, 'countOrders'>>({ startToCloseTimeout: '30 seconds', retry: RETRY_UNTIL_DONE });

// Sends give up after a few attempts: the activity records the message as `failed` on its
// last attempt instead of throwing, so a journey never retries a provider forever.
export const SEND_MAX_ATTEMPTS = 5;
const sendActivities = proxyActivities<Pick<Activities, 'sendMessage'>>({
  // Providers answer within 15 s (src/channels/http.ts); a worker that died mid-send is
  // noticed after this and the send is retried by another worker, with the same key.
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumAttempts: SEND_MAX_ATTEMPTS },
});

/** Whether something that happened at `occurredAt` came after the message was sent (and so may convert it). */
export function happenedAfter(sent: SendOutcome, occurredAt: string): boolean {
  return !sent.sentAt || Date.parse(occurredAt) >= Date.parse(sent.sentAt);
}

type Addressing = 'idempotencyKey' | 'journey' | 'workflowId' | 'step' | 'customerId' | 'visitorId';

export interface SendOptions {
  /**
   * The journey's exit, while the message is held for quiet hours: a reason once the exit event
   * (order, review, signup, empty cart…) has arrived. The held message is then `cancelled` with
   * that reason and never sent.
   */
  exitWhen?: () => string | undefined;
}

/** What the kit carries across continue-as-new for every journey. */
export interface CarriedByKit {
  messagesSent: number;
  lastEventSeq: number;
}

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
  /**
   * One guarded send, idempotent per journey run and step. Never throws for a failed send: a
   * final failure comes back as a `failed` outcome (recorded on the message).
   */
  send(step: string, message: Omit<SendRequest, Addressing>, options?: SendOptions): Promise<SendOutcome>;
  /** Ends the journey after a send that did not go out: `exited` when cancelled by an exit, else the status as stage. */
  notSent(outcome: SendOutcome): string;
  /**
   * Credits an order under the one attribution model (last touch, clicks preferred, once across
   * all journeys); true if it went to this message.
   */
  creditOrder(order: CompletedOrder, sent: Pick<SendOutcome, 'messageId'>): Promise<boolean>;
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
  /**
   * Makes the journey continue as new when its history grows past `historyLimit` (or Temporal
   * suggests it) while it waits: returns the next run's input from the journey's state, the
   * kit's carried counters and the worker's current settings for the journey (null: keep yours).
   * The journey must resume from that input where it left off.
   */
  continueAsNew?: (carried: CarriedByKit, settings: unknown) => unknown;
  historyLimit?: number;
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

  // Asked once, at the start: the answer (and its marker) must not depend on when a wait ends.
  const bounded = options.continueAsNew !== undefined && patched(BOUNDED_HISTORY);
  const historyLimit = options.historyLimit ?? DEFAULT_HISTORY_LIMIT;
  const historyFull = () => {
    if (!bounded) return false;
    const now = workflowInfo();
    return now.continueAsNewSuggested || now.historyLength > historyLimit;
  };
  /**
   * Continues as new from the journey's state (see JourneyOptions.continueAsNew). Returns
   * (without continuing) only if `awaited()` came true meanwhile: an event that arrived while
   * the settings were read is acted on here, not lost between runs.
   */
  let settingsOfThisRun: { value: unknown } | undefined;
  const continueAsNewUnless = async (awaited: () => boolean): Promise<void> => {
    // Let signal handlers finish so no event is lost between runs.
    await condition(allHandlersFinished);
    let settings: unknown;
    if (settingsOfThisRun) settings = settingsOfThisRun.value;
    else {
      settings = await journeyActivities.journeySettings({ journey: options.journey });
      // Under a steady flood, events keep arriving while the settings are read; read them once.
      if (patched(SETTINGS_READ_ONCE)) settingsOfThisRun = { value: settings };
    }
    if (awaited()) return;
    await continueAsNew<(input: unknown) => Promise<string>>(options.continueAsNew!({ messagesSent: state.messagesSent, lastEventSeq }, settings));
  };
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

  const finish = (outcome: string, finalStage = 'done') => {
    state.outcome = outcome;
    stage(finalStage);
    return outcome;
  };

  const waitUntil = async (done: () => boolean, deadline: number) => {
    const remaining = deadline - Date.now();
    if (remaining <= 0) return done();
    if (!bounded) return condition(done, remaining);
    // A long wait full of events that change nothing: continue as new, then wait on from there.
    await condition(() => done() || historyFull(), remaining);
    if (!done() && historyFull()) await continueAsNewUnless(done);
    return done();
  };

  const sendOnce = async (request: SendRequest): Promise<SendOutcome> => {
    try {
      return await sendActivities.sendMessage(request);
    } catch (error) {
      // The one place a send's final failure becomes an outcome, for every journey.
      if (isCancellation(error) || !(error instanceof ActivityFailure) || !patched(SEND_FAILURES_RECORDED)) throw error;
      const reason = `send failed: ${error.cause?.message ?? error.message}`;
      return journeyActivities.recordFailedMessage({ ...addressing(request.step), purpose: request.purpose, reason });
    }
  };

  const holdRespectingExit = async (until: number, exitWhen: SendOptions['exitWhen']): Promise<string | undefined> => {
    if (!exitWhen || !patched(HOLDS_RESPECT_EXITS)) {
      await sleep(Math.max(until - Date.now(), 1));
      return undefined;
    }
    for (;;) {
      await condition(() => exitWhen() !== undefined || historyFull(), Math.max(until - Date.now(), 1));
      const exit = exitWhen();
      if (exit !== undefined) return exit;
      // Continuing as new while held: the next run sends the step again, finds the message
      // held under the same key, and holds on.
      if (historyFull()) await continueAsNewUnless(() => exitWhen() !== undefined);
      if (Date.now() >= until) return undefined;
    }
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
    finish,
    async waitForConversion(converted, windowMs) {
      const windowEnd = Date.now() + windowMs;
      stage('waiting-for-conversion', windowEnd);
      return waitUntil(converted, windowEnd);
    },
    async send(step, message, sendOptions = {}) {
      const request = { ...message, data: { event: trigger, ...message.data }, ...addressing(step) };
      let outcome = await sendOnce(request);
      // Quiet hours: hold with a durable timer (not a sleeping activity), listening for the
      // journey's exit, then send again; the activity re-checks consent and the rules then.
      while (outcome.status === 'held' && outcome.heldUntil) {
        const resumeStage = state.stage;
        const until = Date.parse(outcome.heldUntil);
        stage('held', until);
        const exit = await holdRespectingExit(until, sendOptions.exitWhen);
        stage(resumeStage);
        outcome = exit === undefined ? await sendOnce(request) : await journeyActivities.cancelHeldMessage({ idempotencyKey: request.idempotencyKey, reason: `exited: ${exit}` });
      }
      if (outcome.status === 'sent') state.messagesSent += 1;
      return outcome;
    },
    notSent(outcome) {
      if (outcome.status === 'cancelled') return finish(outcome.reason ?? 'exited', 'exited');
      return finish(`${outcome.status}: ${outcome.reason ?? 'no reason given'}`, outcome.status);
    },
    async creditOrder(order, sent) {
      const credited: Attribution | null = await journeyActivities.attributeOrder({ orderId: order.orderId });
      return credited !== null && credited.messageId === sent.messageId;
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

// The journey authoring kit: what every journey shares, so that a journey file reads like
// the marketing plan (wait, send, wait for a conversion) and nothing else.
import {
  condition,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { ConversionRequest } from '../activities/conversions';
import type { MessagePurpose, SendOutcome, SendRequest } from '../activities/messages';
import type { Channel } from '../src/config';
import { journeyEventSignal, journeyStageKey, stateQuery, type JourneyEvent, type JourneyState } from './definitions';

type Activities = ReturnType<typeof createActivities>;

// Database reads and conversions: retried with backoff until they succeed.
export const journeyActivities = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});

// Sends give up after a few attempts: the activity records the message as `failed` on its
// last attempt instead of throwing, so a journey never retries a provider forever.
export const SEND_MAX_ATTEMPTS = 5;
const sendActivities = proxyActivities<Pick<Activities, 'sendMessage'>>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumAttempts: SEND_MAX_ATTEMPTS },
});

export interface Journey {
  readonly state: JourneyState;
  /** Moves the journey to a stage: updates `state` and the `JourneyStage` search attribute. */
  stage(stage: string, nextWakeAt?: number | null): void;
  /** Ends the journey with an outcome (the stage becomes `done` unless given). */
  finish(outcome: string, stage?: string): void;
  /**
   * Waits until `done()` holds or the deadline passes; true if `done()` won.
   * `deadline` is epoch milliseconds on the workflow clock.
   */
  waitUntil(done: () => boolean, deadline: number): Promise<boolean>;
  /** One guarded send, idempotent per journey run and step. */
  send(step: string, message: Omit<SendRequest, 'idempotencyKey' | 'journey' | 'workflowId' | 'step' | 'customerId'>): Promise<SendOutcome>;
  /** Records the journey's conversion, once per run however often it is called. */
  recordConversion(conversion: Omit<ConversionRequest, 'idempotencyKey' | 'journey' | 'workflowId' | 'customerId'>): Promise<void>;
  /** Idempotency key for a side effect of this run: stable across retries, replays and continue-as-new. */
  key(step: string): string;
}

/**
 * Starts a journey: registers the `state` query and the event signal handler.
 * `onEvent` sees each event once, even if the router delivers it twice.
 */
export function startJourney(options: {
  journey: string;
  customerId?: string;
  onEvent: (event: JourneyEvent) => void;
}): Journey {
  const state: JourneyState = {
    journey: options.journey,
    customerId: options.customerId,
    stage: 'started',
    nextWakeAt: null,
    messagesSent: 0,
    outcome: null,
  };
  // Bounded memory of delivered event ids: the router may re-deliver after a failure.
  const seenEventIds: string[] = [];
  setHandler(stateQuery, () => state);
  setHandler(journeyEventSignal, (event) => {
    if (seenEventIds.includes(event.id)) return;
    seenEventIds.push(event.id);
    if (seenEventIds.length > 100) seenEventIds.shift();
    options.onEvent(event);
  });

  const info = workflowInfo();
  const key = (step: string) => `${info.workflowId}/${info.firstExecutionRunId}/${step}`;

  const stage = (next: string, nextWakeAt: number | null = null) => {
    state.nextWakeAt = nextWakeAt === null ? null : new Date(nextWakeAt).toISOString();
    if (state.stage !== next) {
      state.stage = next;
      upsertSearchAttributes([{ key: journeyStageKey, value: next }]);
    }
  };

  return {
    state,
    stage,
    key,
    finish(outcome, finalStage = 'done') {
      state.outcome = outcome;
      stage(finalStage);
    },
    async waitUntil(done, deadline) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) return done();
      return condition(done, remaining);
    },
    async send(step, message) {
      const outcome = await sendActivities.sendMessage({
        ...message,
        idempotencyKey: key(step),
        journey: options.journey,
        workflowId: info.workflowId,
        step,
        customerId: requireCustomer(options.customerId),
      });
      if (outcome.status === 'sent') state.messagesSent += 1;
      return outcome;
    },
    async recordConversion(conversion) {
      await journeyActivities.recordConversion({
        ...conversion,
        idempotencyKey: key('conversion'),
        journey: options.journey,
        workflowId: info.workflowId,
        customerId: requireCustomer(options.customerId),
      });
    },
  };
}

function requireCustomer(customerId: string | undefined): string {
  if (!customerId) throw new Error('this journey has no customer to message');
  return customerId;
}

export type { Channel, MessagePurpose };

// Sends one journey run's pending events to Temporal, in order, as one signal.
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { customerIdKey, journeyEventsSignal, journeyKey, journeyStageKey, type JourneyEvent } from '../../workflows/definitions';
import type { Config } from '../config';
import type { JourneyRoute } from '../routing/routes';

/** What became of a delivery, recorded per event and journey. */
export type DeliveryOutcome = 'started-or-signalled' | 'signalled' | 'not-running' | 'already-done';

export interface PendingDelivery {
  mode: 'start' | 'signal';
  /** With `seq`: the delivery's number, which the journey uses to drop repeats. */
  event: JourneyEvent;
}

/**
 * Delivers the pending events of one workflow id. Events that may only reach a running journey
 * and come before the first one that may start it are signalled on their own (dropped if no
 * run is in progress: they must not open a new one); the rest go by signalWithStart.
 * Returns one outcome per delivery, in order.
 */
export async function deliverToJourney(
  client: Client,
  config: Config,
  route: JourneyRoute,
  workflowId: string,
  pending: readonly PendingDelivery[],
): Promise<DeliveryOutcome[]> {
  const firstStart = pending.findIndex((delivery) => delivery.mode === 'start');
  const signalOnly = firstStart === -1 ? pending : pending.slice(0, firstStart);
  const withStart = firstStart === -1 ? [] : pending.slice(firstStart);
  const outcomes: DeliveryOutcome[] = [];
  if (signalOnly.length) {
    const outcome = await signalIfRunning(client, workflowId, signalOnly.map((d) => d.event));
    outcomes.push(...signalOnly.map(() => outcome));
  }
  if (withStart.length) {
    const outcome = await startOrSignal(client, config, route, workflowId, withStart.map((d) => d.event));
    outcomes.push(...withStart.map(() => outcome));
  }
  return outcomes;
}

/** signalWithStart: a new run with the events, or the events to the run in progress. */
async function startOrSignal(client: Client, config: Config, route: JourneyRoute, workflowId: string, events: JourneyEvent[]): Promise<DeliveryOutcome> {
  const [trigger] = events;
  const customerId = route.customerId(trigger);
  try {
    await client.workflow.signalWithStart(route.workflowType, {
      workflowId,
      taskQueue: config.temporal.taskQueue,
      ...(route.oncePerSubject ? { workflowIdReusePolicy: 'REJECT_DUPLICATE' as const } : {}),
      args: route.startArgs(trigger, config),
      signal: journeyEventsSignal,
      signalArgs: [events],
      memo: { trigger },
      typedSearchAttributes: [
        { key: journeyKey, value: route.journey },
        { key: journeyStageKey, value: 'started' },
        ...(customerId ? [{ key: customerIdKey, value: customerId }] : []),
      ],
    });
    return 'started-or-signalled';
  } catch (error) {
    // A one-shot journey that already ran for this subject: nothing to do.
    if (route.oncePerSubject && error instanceof WorkflowExecutionAlreadyStartedError) return 'already-done';
    throw error;
  }
}

async function signalIfRunning(client: Client, workflowId: string, events: JourneyEvent[]): Promise<DeliveryOutcome> {
  try {
    await client.workflow.getHandle(workflowId).signal(journeyEventsSignal, events);
    return 'signalled';
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return 'not-running';
    throw error;
  }
}

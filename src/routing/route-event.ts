// Delivers a stored event to every journey whose route names its type.
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { customerIdKey, journeyEventSignal, journeyKey, journeyStageKey, type JourneyEvent } from '../../workflows/definitions';
import type { Config } from '../config';
import { journeyRoutes, workflowIdFor, type JourneyRoute } from './routes';

export interface RoutedTo {
  workflowId: string;
  action: 'started-or-signalled' | 'signalled' | 'not-running' | 'already-done';
}

export async function routeEvent(
  client: Client,
  config: Config,
  event: JourneyEvent,
  routes: readonly JourneyRoute[] = journeyRoutes,
): Promise<RoutedTo[]> {
  const deliveries: RoutedTo[] = [];
  for (const route of routes) {
    if (route.enabled && !route.enabled(config)) continue;
    const starts = route.startOn === '*' || route.startOn.includes(event.type);
    if (!starts && !route.signalOn.includes(event.type)) continue;
    const subject = route.subject(event);
    if (!subject) continue;
    const workflowId = workflowIdFor(route, subject);
    const action = starts ? await startOrSignal(client, config, route, workflowId, event) : await signalIfRunning(client, workflowId, event);
    deliveries.push({ workflowId, action });
  }
  return deliveries;
}

/** signalWithStart: a new run with the event, or the event to the run in progress. */
async function startOrSignal(client: Client, config: Config, route: JourneyRoute, workflowId: string, event: JourneyEvent): Promise<RoutedTo['action']> {
  const customerId = route.customerId(event);
  try {
    await client.workflow.signalWithStart(route.workflowType, {
      workflowId,
      taskQueue: config.temporal.taskQueue,
      ...(route.oncePerSubject ? { workflowIdReusePolicy: 'REJECT_DUPLICATE' as const } : {}),
      args: route.startArgs(event, config),
      signal: journeyEventSignal,
      signalArgs: [event],
      memo: { trigger: event },
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

async function signalIfRunning(client: Client, workflowId: string, event: JourneyEvent): Promise<RoutedTo['action']> {
  try {
    await client.workflow.getHandle(workflowId).signal(journeyEventSignal, event);
    return 'signalled';
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return 'not-running';
    throw error;
  }
}

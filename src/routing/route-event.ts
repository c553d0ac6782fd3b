// Delivers a stored event to every journey whose route names its type.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { customerIdKey, journeyEventSignal, journeyKey, journeyStageKey, type JourneyEvent } from '../../workflows/definitions';
import type { Config } from '../config';
import { journeyRoutes, workflowIdFor, type JourneyRoute } from './routes';

export interface RoutedTo {
  workflowId: string;
  action: 'started-or-signalled' | 'signalled' | 'not-running';
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
    if (starts) {
      const customerId = route.customerId(event);
      await client.workflow.signalWithStart(route.workflowType, {
        workflowId,
        taskQueue: config.temporal.taskQueue,
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
      deliveries.push({ workflowId, action: 'started-or-signalled' });
    } else {
      try {
        await client.workflow.getHandle(workflowId).signal(journeyEventSignal, event);
        deliveries.push({ workflowId, action: 'signalled' });
      } catch (error) {
        if (!(error instanceof WorkflowNotFoundError)) throw error;
        deliveries.push({ workflowId, action: 'not-running' });
      }
    }
  }
  return deliveries;
}

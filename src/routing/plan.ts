// Which journeys an event is to reach, decided when it is stored (in the same transaction):
// the dispatcher then delivers exactly these, whenever Temporal can take them.
import type { JourneyEvent } from '../../workflows/definitions';
import type { Config } from '../config';
import { journeyRoutes, workflowIdFor, type JourneyRoute } from './routes';

export interface PlannedDelivery {
  journey: string;
  workflowId: string;
  /** start: may start the journey; signal: reaches a running one only. */
  mode: 'start' | 'signal';
}

export interface SubjectFacts {
  /** The customer has no dormancy watcher yet, or is dormant (see routes.ts, dormancy). */
  dormancyWatcherNeeded: boolean;
}

export function planDeliveries(
  event: Pick<JourneyEvent, 'type' | 'customerId' | 'anonymousId' | 'occurredAt' | 'properties'> & { id?: string },
  config: Config,
  now: Date,
  facts: SubjectFacts,
  routes: readonly JourneyRoute[] = journeyRoutes,
): PlannedDelivery[] {
  const age = now.getTime() - Date.parse(event.occurredAt);
  const planned: PlannedDelivery[] = [];
  for (const route of routes) {
    if (route.enabled && !route.enabled(config)) continue;
    const starts = route.startOn === '*' || route.startOn.includes(event.type);
    if (!starts && !route.signalOn.includes(event.type)) continue;
    if (age > route.horizonMs(config)) continue;
    if (route.onlyWhenWatcherNeeded && !facts.dormancyWatcherNeeded) continue;
    const subject = route.subject(event as JourneyEvent);
    if (!subject) continue;
    planned.push({ journey: route.journey, workflowId: workflowIdFor(route, subject), mode: starts ? 'start' : 'signal' });
  }
  return planned;
}

// Which events start or signal which journey, declared as data: adding a journey means a
// workflow file and one entry here.
import type { Config } from '../config';
import type { JourneyEvent } from '../../workflows/definitions';
import type { CartReminderInput } from '../../workflows/cart-reminder';

export interface JourneyRoute {
  /** Journey name: the `Journey` search attribute and the workflow id prefix. */
  journey: string;
  /** Exported workflow function name in workflows/index.ts. */
  workflowType: string;
  /** Event types that start the journey, or signal it if one is already running. */
  startOn: readonly string[];
  /** Event types that only signal a running journey (nothing happens if none runs). */
  signalOn: readonly string[];
  /** The journey's subject for this event (the part after `journey:` in the workflow id), if it has one. */
  subject(event: JourneyEvent): string | undefined;
  /** The customer the journey is about, for the `CustomerId` search attribute. */
  customerId(event: JourneyEvent): string | undefined;
  /** Arguments of a new run: the journey's settings are fixed when it starts. */
  startArgs(event: JourneyEvent, config: Config): unknown[];
}

export const journeyRoutes: readonly JourneyRoute[] = [
  {
    journey: 'cart-reminder',
    workflowType: 'cartReminder',
    startOn: ['cart_updated'],
    signalOn: ['order_completed'],
    subject: (event) => event.customerId,
    customerId: (event) => event.customerId,
    startArgs: (event, config): [CartReminderInput] => [
      { customerId: event.customerId!, settings: { ...config.journeys.cartReminder } },
    ],
  },
];

export function workflowIdFor(route: JourneyRoute, subject: string): string {
  return `${route.journey}:${subject}`;
}

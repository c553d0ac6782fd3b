// Which events start or signal which journey, declared as data: adding a journey means a
// workflow file and one entry here.
import type { Config } from '../config';
import type { JourneyEvent } from '../../workflows/definitions';
import type { BrowseAbandonmentInput } from '../../workflows/browse-abandonment';
import type { CartReminderInput } from '../../workflows/cart-reminder';
import type { ConsentReconfirmationInput } from '../../workflows/consent-reconfirmation';
import type { DormancyInput } from '../../workflows/dormancy';
import type { ReviewRequestInput } from '../../workflows/review-request';
import type { SignupNudgeInput } from '../../workflows/signup-nudge';
import type { UpsellInput } from '../../workflows/upsell';

export interface JourneyRoute {
  /** Journey name: the `Journey` search attribute and the workflow id prefix. */
  journey: string;
  /** Exported workflow function name in workflows/index.ts. */
  workflowType: string;
  /** Event types that start the journey, or signal it if one is already running; '*' for every type. */
  startOn: readonly string[] | '*';
  /** Event types that only signal a running journey (nothing happens if none runs). */
  signalOn: readonly string[];
  /** The journey's subject for this event (the part after `journey:` in the workflow id), if it has one. */
  subject(event: JourneyEvent): string | undefined;
  /** The customer the journey is about, for the `CustomerId` search attribute. */
  customerId(event: JourneyEvent): string | undefined;
  /** Arguments of a new run: the journey's settings are fixed when it starts. */
  startArgs(event: JourneyEvent, config: Config): unknown[];
  /** Optional journeys are routed only when configured. */
  enabled?(config: Config): boolean;
  /**
   * One run per subject, ever (an order gets one upsell, one review request): a start event
   * arriving after that run closed is ignored instead of starting another.
   */
  oncePerSubject?: boolean;
  /**
   * How long after it happened an event can still matter to this journey: by then a journey it
   * started would be over. Older events (a history import) are stored, used by segments and
   * RFM, and reach no journey of this kind.
   */
  horizonMs(config: Config): number;
  /** The dormancy watcher: delivered only when the customer has none yet, or is dormant. */
  onlyWhenWatcherNeeded?: boolean;
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
    horizonMs: ({ journeys: { cartReminder } }) => cartReminder.delayMs + cartReminder.windowMs,
  },
  {
    journey: 'signup-nudge',
    workflowType: 'signupNudge',
    startOn: ['page_viewed'],
    signalOn: ['signed_up'],
    // Only anonymous browsing starts it; the visitor's signup (which names the anonymousId) ends it.
    subject: (event) => (event.type === 'page_viewed' && event.customerId ? undefined : event.anonymousId),
    customerId: () => undefined,
    startArgs: (event, config): [SignupNudgeInput] => [{ visitorId: event.anonymousId!, settings: { ...config.journeys.signupNudge } }],
    horizonMs: ({ journeys: { signupNudge } }) => signupNudge.delayMs + signupNudge.windowMs,
  },
  {
    journey: 'upsell',
    oncePerSubject: true,
    workflowType: 'upsell',
    startOn: ['order_completed'],
    signalOn: [],
    subject: (event) => orderIdOf(event),
    customerId: (event) => event.customerId,
    startArgs: (event, config): [UpsellInput] => [
      { customerId: event.customerId!, orderId: orderIdOf(event)!, settings: { ...config.journeys.upsell } },
    ],
    horizonMs: ({ journeys: { upsell } }) => upsell.delayMs + upsell.windowMs,
  },
  {
    journey: 'dormancy',
    workflowType: 'dormancy',
    // Every event of a customer restarts the dormancy clock (unknown types included), through
    // the customer's last-seen time, which the watcher reads when its timer fires: it is sent
    // an event only to start it (the customer's first) or to wake it from dormancy.
    startOn: '*',
    signalOn: [],
    onlyWhenWatcherNeeded: true,
    subject: (event) => event.customerId,
    customerId: (event) => event.customerId,
    startArgs: (event, config): [DormancyInput] => [{ customerId: event.customerId!, settings: { ...config.journeys.dormancy } }],
    horizonMs: ({ journeys: { dormancy } }) => dormancy.dormantAfterMs,
  },
  {
    journey: 'review-request',
    oncePerSubject: true,
    workflowType: 'reviewRequest',
    startOn: ['order_delivered'],
    signalOn: ['review_submitted'],
    subject: (event) => orderIdOf(event),
    customerId: (event) => event.customerId,
    startArgs: (event, config): [ReviewRequestInput] => [
      { customerId: event.customerId!, orderId: orderIdOf(event)!, settings: { ...config.journeys.reviewRequest } },
    ],
    // The request, the reminder, and as long again for the review.
    horizonMs: ({ journeys: { reviewRequest } }) => reviewRequest.delayMs + 2 * reviewRequest.reminderDelayMs,
  },
  {
    journey: 'browse-abandonment',
    workflowType: 'browseAbandonment',
    startOn: ['product_viewed'],
    signalOn: ['cart_updated', 'order_completed'],
    subject: (event) => event.customerId,
    customerId: (event) => event.customerId,
    enabled: (config) => config.journeys.browseAbandonment !== null,
    startArgs: (event, config): [BrowseAbandonmentInput] => [{ customerId: event.customerId!, settings: { ...config.journeys.browseAbandonment! } }],
    horizonMs: ({ journeys: { browseAbandonment } }) => (browseAbandonment ? browseAbandonment.delayMs + browseAbandonment.windowMs : 0),
  },
  {
    // consent_changed is recorded with every consent change (src/consent.ts); only marketing
    // consents concern this journey. A grant starts it or wakes the one running; so does a
    // revocation, and the journey, which reads the consents that stand, ends at once if none
    // is left.
    journey: 'consent-reconfirmation',
    workflowType: 'consentReconfirmation',
    startOn: ['consent_changed'],
    signalOn: [],
    subject: (event) => (event.properties.purpose === 'marketing' ? event.customerId : undefined),
    customerId: (event) => event.customerId,
    startArgs: (event, config): [ConsentReconfirmationInput] => [
      { customerId: event.customerId!, settings: { ...config.journeys.consentReconfirmation } },
    ],
    // A consent is re-confirmed a period after it was given: its change matters that long.
    horizonMs: ({ journeys: { consentReconfirmation } }) => consentReconfirmation.everyMs,
  },
];

function orderIdOf(event: JourneyEvent): string | undefined {
  const orderId = event.properties.orderId;
  return typeof orderId === 'string' && orderId ? orderId : undefined;
}

export function workflowIdFor(route: JourneyRoute, subject: string): string {
  return `${route.journey}:${subject}`;
}

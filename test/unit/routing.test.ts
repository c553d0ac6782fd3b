// The declared routing table: which journeys an event is planned for when it is stored, and
// how the dispatcher turns one run's pending events into signalWithStart / signal calls.
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { deliverToJourney, type PendingDelivery } from '../../src/dispatch/deliver';
import { planDeliveries } from '../../src/routing/plan';
import { journeyRoutes, workflowIdFor, type JourneyRoute } from '../../src/routing/routes';
import { journeyEventsSignal, type JourneyEvent } from '../../workflows/definitions';
import * as workflows from '../../workflows';

type StartCall = { workflowType: string; options: { workflowId: string; workflowIdReusePolicy?: string; taskQueue: string; args: unknown[]; signalArgs: unknown[]; typedSearchAttributes: { key: { name: string }; value: string }[]; memo: unknown } };

function fakeClient(signalError?: Error) {
  const starts: StartCall[] = [];
  const signals: { workflowId: string; signal: string; args: unknown[] }[] = [];
  const client = {
    workflow: {
      signalWithStart: (workflowType: string, options: StartCall['options']) => {
        starts.push({ workflowType, options });
        return Promise.resolve();
      },
      getHandle: (workflowId: string) => ({
        signal: (signal: { name: string }, ...args: unknown[]) => {
          if (signalError) return Promise.reject(signalError);
          signals.push({ workflowId, signal: signal.name, args });
          return Promise.resolve();
        },
      }),
    },
  } as unknown as Client;
  return { client, starts, signals };
}

const config = loadConfig({});
const now = new Date('2026-11-23T12:00:00.000Z');
const event = (type: string, fields: Partial<JourneyEvent> = {}): JourneyEvent => ({ id: `e-${type}`, type, occurredAt: '2026-11-23T11:00:00.000Z', properties: {}, ...fields });
const route = (journey: string): JourneyRoute => journeyRoutes.find((r) => r.journey === journey)!;
const plan = (e: JourneyEvent, dormancyWatcherNeeded = false, cfg = config) => planDeliveries(e, cfg, now, { dormancyWatcherNeeded });

describe('routing table', () => {
  it('has one route per journey, each with a workflow the worker exports', () => {
    expect(journeyRoutes.map((r) => r.journey).sort()).toEqual(['browse-abandonment', 'cart-reminder', 'consent-reconfirmation', 'dormancy', 'review-request', 'signup-nudge', 'upsell']);
    for (const r of journeyRoutes) expect(Object.keys(workflows)).toContain(r.workflowType);
    expect(workflowIdFor(journeyRoutes[0], 'c-1')).toBe('cart-reminder:c-1');
  });
});

describe('planning deliveries when an event is stored', () => {
  it('plans the cart reminder on cart_updated, and the dormancy watcher only when the customer needs one', () => {
    const cart = event('cart_updated', { customerId: 'c-1', properties: { items: [], value: 0 } });
    expect(plan(cart)).toEqual([{ journey: 'cart-reminder', workflowId: 'cart-reminder:c-1', mode: 'start' }]);
    expect(plan(cart, true)).toEqual([
      { journey: 'cart-reminder', workflowId: 'cart-reminder:c-1', mode: 'start' },
      { journey: 'dormancy', workflowId: 'dormancy:c-1', mode: 'start' },
    ]);
  });

  it('signals the cart reminder on order_completed and starts the upsell for that order', () => {
    const order = event('order_completed', { customerId: 'c-1', properties: { orderId: 'o-9', total: '1', currency: 'KRW', items: [] } });
    expect(plan(order)).toEqual([
      { journey: 'cart-reminder', workflowId: 'cart-reminder:c-1', mode: 'signal' },
      { journey: 'upsell', workflowId: 'upsell:o-9', mode: 'start' },
    ]);
  });

  it('starts a signup nudge only for anonymous browsing, and signals it with the signup', () => {
    expect(plan(event('page_viewed', { anonymousId: 'v-1' }))).toEqual([{ journey: 'signup-nudge', workflowId: 'signup-nudge:v-1', mode: 'start' }]);
    expect(plan(event('page_viewed', { customerId: 'c-1', anonymousId: 'v-1' }))).toEqual([]);
    expect(plan(event('signed_up', { customerId: 'c-1', anonymousId: 'v-1' }))).toEqual([{ journey: 'signup-nudge', workflowId: 'signup-nudge:v-1', mode: 'signal' }]);
  });

  it('routes delivery and review events to the review request of the order', () => {
    expect(plan(event('order_delivered', { customerId: 'c-1', properties: { orderId: 'o-3' } }))).toEqual([{ journey: 'review-request', workflowId: 'review-request:o-3', mode: 'start' }]);
    expect(plan(event('review_submitted', { customerId: 'c-1', properties: { orderId: 'o-3' } }))).toEqual([{ journey: 'review-request', workflowId: 'review-request:o-3', mode: 'signal' }]);
  });

  it('routes the example journey only when configured', () => {
    const viewed = event('product_viewed', { customerId: 'c-1', properties: { productId: 'p-1' } });
    expect(plan(viewed)).toEqual([]);
    expect(plan(viewed, false, loadConfig({ BROWSE_ABANDONMENT_DELAY: '2h' }))).toEqual([{ journey: 'browse-abandonment', workflowId: 'browse-abandonment:c-1', mode: 'start' }]);
  });

  it('plans the consent re-confirmation of the customer for a marketing consent change, granted or revoked, and for no other', () => {
    const changed = (purpose: string, granted: boolean) => event('consent_changed', { customerId: 'c-1', properties: { channel: 'kakao', purpose, granted, nightTime: false } });
    const reconfirmation = { journey: 'consent-reconfirmation', workflowId: 'consent-reconfirmation:c-1', mode: 'start' };
    expect(plan(changed('marketing', true))).toEqual([reconfirmation]);
    expect(plan(changed('marketing', false))).toEqual([reconfirmation]);
    expect(plan(changed('informational', true))).toEqual([]);
    // Up to CONSENT_RECONFIRM_EVERY (730 days) old; older, none.
    const DAY = 86_400_000;
    const old = (days: number) => ({ ...changed('marketing', true), occurredAt: new Date(now.getTime() - days * DAY).toISOString() });
    expect(plan(old(730))).toEqual([reconfirmation]);
    expect(plan(old(731))).toEqual([]);
    expect(route('consent-reconfirmation').startArgs(changed('marketing', true), config)).toEqual([{ customerId: 'c-1', settings: { everyMs: 730 * DAY, channels: ['email', 'kakao', 'sms'] } }]);
  });

  it('plans nothing for an event older than its journey could still use (a history import)', () => {
    const ago = (ms: number) => new Date(now.getTime() - ms).toISOString();
    const DAY = 86_400_000;
    // Cart reminder: 24 h delay + 3 d window.
    expect(plan(event('cart_updated', { customerId: 'c-1', occurredAt: ago(3 * DAY), properties: { items: [], value: 0 } }))).toHaveLength(1);
    expect(plan(event('cart_updated', { customerId: 'c-1', occurredAt: ago(4 * DAY + 1), properties: { items: [], value: 0 } }))).toEqual([]);
    // Upsell: 7 d + 7 d. An order from last year starts none.
    expect(plan(event('order_completed', { customerId: 'c-1', occurredAt: ago(13 * DAY), properties: { orderId: 'o-1' } })).map((d) => d.journey)).toEqual(['upsell']);
    expect(plan(event('order_completed', { customerId: 'c-1', occurredAt: ago(365 * DAY), properties: { orderId: 'o-1' } }))).toEqual([]);
    // Dormancy: an event up to DORMANCY_AFTER old still starts a watcher (the customer may go dormant later); older, none.
    expect(plan(event('app_opened', { customerId: 'c-1', occurredAt: ago(200 * DAY) }), true)).toEqual([{ journey: 'dormancy', workflowId: 'dormancy:c-1', mode: 'start' }]);
    expect(plan(event('app_opened', { customerId: 'c-1', occurredAt: ago(366 * DAY) }), true)).toEqual([]);
  });
});

describe('delivering one run’s pending events', () => {
  const pending = (mode: 'start' | 'signal', e: JourneyEvent, seq: number): PendingDelivery => ({ mode, event: { ...e, seq } });

  it('sends all of them as one signalWithStart, with the first as the trigger, settings and search attributes', async () => {
    const { client, starts } = fakeClient();
    const cart1 = event('cart_updated', { id: 'c1', customerId: 'c-1', properties: { items: [], value: 0 } });
    const order = event('order_completed', { id: 'o1', customerId: 'c-1', properties: { orderId: 'o-1' } });
    const list = [pending('start', cart1, 1), pending('signal', order, 2)];
    expect(await deliverToJourney(client, config, route('cart-reminder'), 'cart-reminder:c-1', list)).toEqual(['started-or-signalled', 'started-or-signalled']);
    expect(starts).toHaveLength(1);
    const [start] = starts;
    expect(start.workflowType).toBe('cartReminder');
    expect(start.options).toMatchObject({ workflowId: 'cart-reminder:c-1', taskQueue: 'crm-journeys', signalArgs: [list.map((p) => p.event)], memo: { trigger: list[0].event } });
    expect(start.options.args).toEqual([{ customerId: 'c-1', settings: config.journeys.cartReminder }]);
    expect(start.options.typedSearchAttributes.map((a) => [a.key.name, a.value])).toEqual([
      ['Journey', 'cart-reminder'],
      ['JourneyStage', 'started'],
      ['CustomerId', 'c-1'],
    ]);
  });

  it('signals events that may only reach a running journey on their own, so they never open a new run', async () => {
    const { client, starts, signals } = fakeClient(new WorkflowNotFoundError('not found', 'cart-reminder:c-1', undefined));
    const order = event('order_completed', { id: 'o1', customerId: 'c-1', properties: { orderId: 'o-1' } });
    const cart = event('cart_updated', { id: 'c1', customerId: 'c-1', properties: { items: [], value: 0 } });
    const outcomes = await deliverToJourney(client, config, route('cart-reminder'), 'cart-reminder:c-1', [pending('signal', order, 1), pending('start', cart, 2)]);
    expect(outcomes).toEqual(['not-running', 'started-or-signalled']);
    expect(signals).toEqual([]);
    // The new run starts with the cart only: the earlier order is not its business.
    expect(starts[0].options.signalArgs).toEqual([[{ ...cart, seq: 2 }]]);
  });

  it('signals a running journey with the shared list signal', async () => {
    const { client, signals } = fakeClient();
    const order = event('order_completed', { id: 'o1', customerId: 'c-1', properties: { orderId: 'o-1' } });
    expect(await deliverToJourney(client, config, route('cart-reminder'), 'cart-reminder:c-1', [pending('signal', order, 5)])).toEqual(['signalled']);
    expect(signals).toEqual([{ workflowId: 'cart-reminder:c-1', signal: journeyEventsSignal.name, args: [[{ ...order, seq: 5 }]] }]);
  });

  it('lets other failures surface (the dispatcher retries)', async () => {
    const { client } = fakeClient(new Error('connection refused'));
    const order = event('order_completed', { customerId: 'c-1', properties: { orderId: 'o-1' } });
    await expect(deliverToJourney(client, config, route('cart-reminder'), 'cart-reminder:c-1', [pending('signal', order, 1)])).rejects.toThrow('connection refused');
  });

  it('starts a one-shot journey once per subject, and lets a repeated start after it closed pass', async () => {
    const order = event('order_completed', { customerId: 'c-1', properties: { orderId: 'o-5' } });
    const { client, starts } = fakeClient();
    await deliverToJourney(client, config, route('upsell'), 'upsell:o-5', [pending('start', order, 1)]);
    expect(starts[0].options).toMatchObject({ workflowIdReusePolicy: 'REJECT_DUPLICATE' });

    const closed = fakeClient();
    (closed.client.workflow as { signalWithStart: unknown }).signalWithStart = () => Promise.reject(new WorkflowExecutionAlreadyStartedError('already', 'upsell:o-5', 'upsell'));
    expect(await deliverToJourney(closed.client, config, route('upsell'), 'upsell:o-5', [pending('start', order, 1)])).toEqual(['already-done']);
  });
});

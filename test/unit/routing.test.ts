// The declared routing table and how an event becomes signalWithStart / signal calls.
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { routeEvent } from '../../src/routing/route-event';
import { journeyRoutes, workflowIdFor } from '../../src/routing/routes';
import { journeyEventSignal, type JourneyEvent } from '../../workflows/definitions';
import * as workflows from '../../workflows';

type StartCall = { workflowType: string; options: { workflowId: string; workflowIdReusePolicy?: string; taskQueue: string; args: unknown[]; signalArgs: unknown[]; typedSearchAttributes: { key: { name: string }; value: string }[]; memo: unknown } };

function fakeClient(signalError?: Error) {
  const starts: StartCall[] = [];
  const signals: { workflowId: string; args: unknown[] }[] = [];
  const client = {
    workflow: {
      signalWithStart: (workflowType: string, options: StartCall['options']) => {
        starts.push({ workflowType, options });
        return Promise.resolve();
      },
      getHandle: (workflowId: string) => ({
        signal: (_signal: unknown, ...args: unknown[]) => {
          if (signalError) return Promise.reject(signalError);
          signals.push({ workflowId, args });
          return Promise.resolve();
        },
      }),
    },
  } as unknown as Client;
  return { client, starts, signals };
}

const config = loadConfig({});
const event = (type: string, fields: Partial<JourneyEvent> = {}): JourneyEvent => ({ id: `e-${type}`, type, occurredAt: '2026-11-23T00:00:00.000Z', properties: {}, ...fields });

describe('routing table', () => {
  it('has one route per journey, each with a workflow the worker exports', () => {
    expect(journeyRoutes.map((r) => r.journey).sort()).toEqual(['browse-abandonment', 'cart-reminder', 'dormancy', 'review-request', 'signup-nudge', 'upsell']);
    for (const route of journeyRoutes) expect(Object.keys(workflows)).toContain(route.workflowType);
    expect(workflowIdFor(journeyRoutes[0], 'c-1')).toBe('cart-reminder:c-1');
  });

  it('starts the cart reminder (and the dormancy watcher) on cart_updated', async () => {
    const { client, starts } = fakeClient();
    const cart = event('cart_updated', { customerId: 'c-1', properties: { items: [], value: 0 } });
    const routed = await routeEvent(client, config, cart);
    expect(routed).toEqual([
      { workflowId: 'cart-reminder:c-1', action: 'started-or-signalled' },
      { workflowId: 'dormancy:c-1', action: 'started-or-signalled' },
    ]);
    const [start] = starts;
    expect(start.workflowType).toBe('cartReminder');
    expect(start.options).toMatchObject({ workflowId: 'cart-reminder:c-1', taskQueue: 'crm-journeys', signalArgs: [cart], memo: { trigger: cart } });
    expect(start.options.args).toEqual([{ customerId: 'c-1', settings: config.journeys.cartReminder }]);
    expect(start.options.typedSearchAttributes.map((a) => [a.key.name, a.value])).toEqual([
      ['Journey', 'cart-reminder'],
      ['JourneyStage', 'started'],
      ['CustomerId', 'c-1'],
    ]);
  });

  it('signals a running cart reminder on order_completed, and starts the upsell for that order', async () => {
    const { client, starts, signals } = fakeClient();
    const order = event('order_completed', { customerId: 'c-1', properties: { orderId: 'o-9', total: 1, currency: 'KRW', items: [] } });
    await routeEvent(client, config, order);
    expect(signals).toEqual([{ workflowId: 'cart-reminder:c-1', args: [order] }]);
    expect(starts.map((s) => s.options.workflowId)).toEqual(['upsell:o-9', 'dormancy:c-1']);
  });

  it('treats a journey that is not running as nothing to signal', async () => {
    const { client } = fakeClient(new WorkflowNotFoundError('not found', 'cart-reminder:c-1', undefined));
    const routed = await routeEvent(client, config, event('order_completed', { customerId: 'c-1', properties: { orderId: 'o-1' } }));
    expect(routed[0]).toEqual({ workflowId: 'cart-reminder:c-1', action: 'not-running' });
  });

  it('lets other signal failures surface', async () => {
    const { client } = fakeClient(new Error('connection refused'));
    await expect(routeEvent(client, config, event('order_completed', { customerId: 'c-1', properties: { orderId: 'o-1' } }))).rejects.toThrow('connection refused');
  });

  it('starts a signup nudge only for anonymous browsing, and ends it with the signup', async () => {
    const anonymous = fakeClient();
    await routeEvent(anonymous.client, config, event('page_viewed', { anonymousId: 'v-1' }));
    expect(anonymous.starts.map((s) => s.options.workflowId)).toEqual(['signup-nudge:v-1']);
    expect(anonymous.starts[0].options.typedSearchAttributes.map((a) => a.key.name)).not.toContain('CustomerId');

    const signedIn = fakeClient();
    await routeEvent(signedIn.client, config, event('page_viewed', { customerId: 'c-1', anonymousId: 'v-1' }));
    expect(signedIn.starts.map((s) => s.options.workflowId)).toEqual(['dormancy:c-1']);

    const signup = fakeClient();
    await routeEvent(signup.client, config, event('signed_up', { customerId: 'c-1', anonymousId: 'v-1' }));
    expect(signup.signals.map((s) => s.workflowId)).toEqual(['signup-nudge:v-1']);
  });

  it('routes delivery and review events to the review request of the order', async () => {
    const { client, starts, signals } = fakeClient();
    await routeEvent(client, config, event('order_delivered', { customerId: 'c-1', properties: { orderId: 'o-3' } }));
    await routeEvent(client, config, event('review_submitted', { customerId: 'c-1', properties: { orderId: 'o-3' } }));
    expect(starts.map((s) => s.options.workflowId).sort()).toEqual(['dormancy:c-1', 'dormancy:c-1', 'review-request:o-3']);
    expect(signals.map((s) => s.workflowId)).toEqual(['review-request:o-3']);
  });

  it('starts a one-shot journey once per subject, and lets a repeated start after it closed pass', async () => {
    const { client, starts } = fakeClient();
    const order = event('order_completed', { customerId: 'c-1', properties: { orderId: 'o-5', total: 1, currency: 'KRW', items: [] } });
    await routeEvent(client, config, order);
    expect(starts.find((s) => s.options.workflowId === 'upsell:o-5')?.options).toMatchObject({ workflowIdReusePolicy: 'REJECT_DUPLICATE' });
    expect(starts.find((s) => s.options.workflowId === 'dormancy:c-1')?.options).not.toHaveProperty('workflowIdReusePolicy');

    const closed = fakeClient();
    (closed.client.workflow as { signalWithStart: unknown }).signalWithStart = (_type: string, options: { workflowId: string }) =>
      options.workflowId === 'upsell:o-5' ? Promise.reject(new WorkflowExecutionAlreadyStartedError('already', 'upsell:o-5', 'upsell')) : Promise.resolve();
    expect(await routeEvent(closed.client, config, order)).toContainEqual({ workflowId: 'upsell:o-5', action: 'already-done' });
  });

  it('routes the example journey only when configured', async () => {
    const off = fakeClient();
    await routeEvent(off.client, config, event('product_viewed', { customerId: 'c-1', properties: { productId: 'p-1' } }));
    expect(off.starts.map((s) => s.options.workflowId)).toEqual(['dormancy:c-1']);
    const on = fakeClient();
    await routeEvent(on.client, loadConfig({ BROWSE_ABANDONMENT_DELAY: '2h' }), event('product_viewed', { customerId: 'c-1', properties: { productId: 'p-1' } }));
    expect(on.starts.map((s) => s.options.workflowId)).toEqual(['dormancy:c-1', 'browse-abandonment:c-1']);
  });

  it('uses the one shared signal', () => {
    expect(journeyEventSignal.name).toBe('journeyEvent');
  });
});

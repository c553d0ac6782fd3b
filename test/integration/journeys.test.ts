// The other four journeys and journey cancellation end to end: real dev server, worker,
// HTTP and SQLite, with every delay shortened to seconds by environment.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startStack, type Stack } from '../helpers/stack';

type Message = { journey: string; step: string; status: string; channel: string | null; purpose: string; content: string; reason: string | null };
type JourneyRow = { workflowId: string; journey: string; status: string; state: { stage: string; outcome: string | null; messagesSent: number } | null };

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({
    env: {
      CART_REMINDER_DELAY: '1h',
      SIGNUP_NUDGE_DELAY: '2s',
      SIGNUP_NUDGE_WINDOW: '30s',
      UPSELL_DELAY: '2s',
      UPSELL_WINDOW: '15s', // wide enough for a loaded machine to post the next order inside it
      REVIEW_REQUEST_DELAY: '2s',
      REVIEW_REMINDER_DELAY: '30s',
      DORMANCY_WARNING_AFTER: '4s',
      DORMANCY_AFTER: '8s',
      DORMANCY_WINDOW: '30s',
    },
  });
});

afterAll(async () => {
  await stack?.stop();
});

async function post(body: unknown) {
  const response = await stack.api('POST', '/v1/events', body);
  expect(response.status, JSON.stringify(response.body)).toBe(202);
  return response.body;
}

async function customer(id: string, profile: Record<string, unknown> = {}) {
  const response = await stack.api('PUT', `/v1/customers/${id}`, {
    phone: '+821012345678',
    email: `${id}@example.com`,
    locale: 'ko',
    attributes: { kakaoFriend: true },
    consents: [
      { channel: 'kakao', purpose: 'marketing', granted: true },
      { channel: 'email', purpose: 'informational', granted: true },
    ],
    ...profile,
  });
  expect(response.status).toBeLessThan(300);
}

async function messagesOf(customerId: string, journey: string): Promise<Message[]> {
  const response = await stack.api<{ messages: Message[] }>('GET', `/v1/customers/${customerId}/messages`);
  return response.body.messages.filter((m) => m.journey === journey);
}

async function journeyOf(customerId: string, journey: string): Promise<JourneyRow | undefined> {
  const response = await stack.api<{ journeys: JourneyRow[] }>('GET', `/v1/customers/${customerId}/journeys`);
  return response.body.journeys.find((j) => j.journey === journey);
}

const order = (customerId: string, orderId: string, products: string[]) => ({
  id: `evt-${orderId}`,
  type: 'order_completed',
  customerId,
  properties: { orderId, total: products.length * 10_000, currency: 'KRW', items: products.map((productId) => ({ productId, name: `Product ${productId}`, quantity: 1, price: 10_000 })) },
});

describe('signup nudge', () => {
  it('serves the popup once to a browsing visitor, links the visitor on signup and counts the conversion', async () => {
    await post({ events: [
      { id: 'v1-view-1', type: 'page_viewed', anonymousId: 'v-1', properties: { path: '/' } },
      { id: 'v1-view-2', type: 'page_viewed', anonymousId: 'v-1', properties: { path: '/shoes' } },
    ] });
    const popup = await eventually(async () => {
      const response = await stack.api<{ messages: { placement: string; content: string; journey: string }[] }>('GET', '/v1/onsite/v-1');
      expect(response.body.messages).toHaveLength(1);
      return response.body.messages[0];
    });
    expect(popup).toMatchObject({ journey: 'signup-nudge', placement: 'popup' });
    expect(popup.content).toContain('첫 구매 10% 할인 쿠폰');
    expect((await stack.api<{ messages: unknown[] }>('GET', '/v1/onsite/v-1')).body.messages).toEqual([]);

    await post({ id: 'v1-signup', type: 'signed_up', customerId: 'c-from-v1', anonymousId: 'v-1' });
    await eventually(async () => expect(await journeyOf('c-from-v1', 'signup-nudge')).toMatchObject({ status: 'COMPLETED', state: { outcome: 'converted' } }));
    const conversions = await stack.db.conversion.findMany({ where: { journey: 'signup-nudge' } });
    // A goal conversion (the signup): no revenue, no currency.
    expect(conversions).toEqual([expect.objectContaining({ customerId: 'c-from-v1', revenue: null, currency: null })]);
    // The anonymous history and the popup now belong to the customer.
    expect(await stack.db.event.count({ where: { anonymousId: 'v-1', customerId: 'c-from-v1' } })).toBe(3);
    expect((await messagesOf('c-from-v1', 'signup-nudge')).map((m) => m.step)).toEqual(['signup-popup']);
  });
});

describe('upsell', () => {
  it('recommends what others bought with the same product, excluding what the customer owns, and converts on a recommended order', async () => {
    for (const id of ['c-up-a', 'c-up-b', 'c-up-target']) await customer(id);
    await post(order('c-up-a', 'o-up-a', ['p-shirt', 'p-socks']));
    await post(order('c-up-b', 'o-up-b', ['p-shirt', 'p-belt', 'p-socks']));
    await post(order('c-up-target', 'o-up-old', ['p-belt']));
    await post(order('c-up-target', 'o-up-target', ['p-shirt']));

    const [recommendation] = await eventually(async () => {
      const messages = (await messagesOf('c-up-target', 'upsell')).filter((m) => m.status === 'sent');
      expect(messages.length).toBeGreaterThanOrEqual(1);
      return messages.filter((m) => m.content.includes('p-socks'));
    });
    expect(recommendation.channel).toBe('kakao');
    expect(recommendation.content).toContain('Product p-socks');
    expect(recommendation.content).not.toContain('Product p-belt'); // already bought

    await post(order('c-up-target', 'o-up-next', ['p-socks']));
    await eventually(async () => {
      const conversions = await stack.db.conversion.findMany({ where: { journey: 'upsell', customerId: 'c-up-target', orderId: 'o-up-next' } });
      expect(conversions).toHaveLength(1);
      expect([conversions[0].revenue?.toFixed(), conversions[0].currency]).toEqual(['10000', 'KRW']);
    }, { timeoutMs: 60_000 });
  });

  it('records "no recommendation" when nobody else bought the product', async () => {
    await customer('c-up-lonely');
    await post(order('c-up-lonely', 'o-up-lonely', ['p-unique']));
    const [skipped] = await eventually(async () => {
      const messages = await messagesOf('c-up-lonely', 'upsell');
      expect(messages.filter((m) => m.content === '' && m.status === 'suppressed').length).toBeGreaterThanOrEqual(1);
      return messages.filter((m) => m.reason?.includes('no products'));
    });
    expect(skipped).toMatchObject({ status: 'suppressed', step: 'recommendation' });

    // The same order sent again (another system, another event id) does not start a second upsell.
    await eventually(async () => expect(await journeyOf('c-up-lonely', 'upsell')).toMatchObject({ status: 'COMPLETED' }));
    await post({ ...order('c-up-lonely', 'o-up-lonely', ['p-unique']), id: 'evt-o-up-lonely-resent' });
    await new Promise((resolve) => setTimeout(resolve, 1000)); // give visibility time to show a second run, were there one
    const runs: string[] = [];
    for await (const execution of stack.client.workflow.list({ query: 'WorkflowId="upsell:o-up-lonely"' })) runs.push(execution.runId);
    expect(runs).toHaveLength(1);
  });
});

describe('review request', () => {
  it('asks for a review after delivery, then sends a referral invite once the review arrives', async () => {
    await customer('c-review');
    await post({ id: 'rv-delivered', type: 'order_delivered', customerId: 'c-review', properties: { orderId: 'o-review' } });
    await eventually(async () => expect((await messagesOf('c-review', 'review-request')).map((m) => m.step)).toEqual(['review-request']));
    await eventually(async () => expect((await journeyOf('c-review', 'review-request'))?.state?.stage).toBe('waiting-for-review'));
    // What an operator types in the Web UI finds it, with the trigger event in its memo.
    const found = await eventually(async () => {
      const ids: string[] = [];
      for await (const execution of stack.client.workflow.list({ query: 'Journey="review-request" AND JourneyStage="waiting-for-review"' })) ids.push(execution.workflowId);
      expect(ids).toContain('review-request:o-review');
      return ids;
    });
    expect(found).toEqual(['review-request:o-review']);
    const description = await stack.client.workflow.getHandle('review-request:o-review').describe();
    expect(description.memo?.trigger).toMatchObject({ id: 'rv-delivered', type: 'order_delivered', customerId: 'c-review' });
    await post({ id: 'rv-submitted', type: 'review_submitted', customerId: 'c-review', properties: { orderId: 'o-review' } });
    await eventually(async () => expect(await journeyOf('c-review', 'review-request')).toMatchObject({ status: 'COMPLETED', state: { outcome: 'reviewed', messagesSent: 2 } }));
    const steps = (await messagesOf('c-review', 'review-request')).map((m) => m.step).sort();
    expect(steps).toEqual(['referral-invite', 'review-request']);
  });
});

describe('dormancy', () => {
  it('sends the informational notice, marks the account dormant, and reactivates it on the next event', async () => {
    await customer('c-dormant', { consents: [{ channel: 'email', purpose: 'informational', granted: true }] });
    await post({ id: 'dm-1', type: 'app_opened', customerId: 'c-dormant' });
    const [notice] = await eventually(async () => {
      const messages = (await messagesOf('c-dormant', 'dormancy')).sort((x, y) => x.step.localeCompare(y.step));
      expect(messages.map((m) => m.step)).toEqual(['notice-1', 'win-back-1']);
      expect(messages.filter((m) => m.status === 'pending')).toEqual([]); // written before the provider is called
      return messages;
    });
    expect(notice).toMatchObject({ step: 'notice-1', channel: 'email', purpose: 'informational', status: 'sent' });
    // The win-back offer is marketing: without marketing consent it is suppressed, not folded into the notice.
    expect((await messagesOf('c-dormant', 'dormancy')).find((m) => m.step === 'win-back-1')).toMatchObject({ purpose: 'marketing', status: 'suppressed' });
    expect(notice.content).not.toContain('(광고)');
    const dormant = await eventually(async () => {
      const profile = await stack.api<{ dormantAt: string | null }>('GET', '/v1/customers/c-dormant');
      expect(profile.body.dormantAt).not.toBeNull();
      return profile.body;
    });
    expect(Date.parse(dormant.dormantAt!)).toBeGreaterThan(0);
    await post({ id: 'dm-2', type: 'app_opened', customerId: 'c-dormant' });
    await eventually(async () => {
      const profile = await stack.api<{ dormantAt: string | null }>('GET', '/v1/customers/c-dormant');
      expect(profile.body.dormantAt).toBeNull();
    });
  });
});

describe('journey cancellation', () => {
  it('cancels a running journey through the API and records it', async () => {
    await customer('c-cancel');
    await post({ id: 'cx-cart', type: 'cart_updated', customerId: 'c-cancel', properties: { items: [{ productId: 'p-1', quantity: 1, price: 1000 }], value: 1000 } });
    await eventually(async () => expect((await journeyOf('c-cancel', 'cart-reminder'))?.state?.stage).toBe('waiting'));

    const cancelled = await stack.api<{ workflowId: string; status: string; reason: string }>('DELETE', '/v1/customers/c-cancel/journeys/cart-reminder:c-cancel?reason=customer%20asked');
    expect(cancelled.status).toBe(202);
    expect(cancelled.body).toMatchObject({ workflowId: 'cart-reminder:c-cancel', status: 'cancel-requested', reason: 'customer asked' });
    await eventually(async () => expect(await journeyOf('c-cancel', 'cart-reminder')).toMatchObject({ status: 'CANCELLED', state: { stage: 'cancelled', outcome: 'cancelled' } }));
    expect(await stack.db.journeyCancellation.findMany({ where: { customerId: 'c-cancel' } })).toEqual([
      expect.objectContaining({ workflowId: 'cart-reminder:c-cancel', journey: 'cart-reminder', reason: 'customer asked' }),
    ]);

    expect((await stack.api('DELETE', '/v1/customers/c-cancel/journeys/cart-reminder:c-cancel')).status).toBe(409);
    await customer('c-other');
    expect((await stack.api('DELETE', '/v1/customers/c-other/journeys/dormancy:c-cancel')).status).toBe(404);
    expect((await stack.api('DELETE', '/v1/customers/c-cancel/journeys/not a workflow')).status).toBe(400);
    expect(await stack.db.journeyCancellation.count()).toBe(1);
  });
});

// The messaging rules end to end through HTTP: each outcome in the messages API (sent in the
// Korean advertising format, held in quiet hours, suppressed over the cap or after an
// opt-out, failed), the opt-out link itself, and template preview.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PermanentProviderError, type ChannelProvider } from '../../src/channels/provider';
import { OutboxProvider } from '../../src/channels/outbox';
import { eventually, startStack, type Stack } from '../helpers/stack';

type Message = { journey: string; status: string; channel: string | null; variant?: string; content: string; reason: string | null; cost: { amount: string; currency: string } };

let stack: Stack;
// Quiet hours from an hour ago to two hours ahead (UTC): customers in UTC without night-time consent are held.
const hhmm = (offsetMinutes: number) => new Date(Date.now() + offsetMinutes * 60_000).toISOString().slice(11, 16);

beforeAll(async () => {
  const refusingPush: ChannelProvider = { name: 'push-api', send: () => Promise.reject(new PermanentProviderError('unregistered device token')) };
  stack = await startStack({
    env: { CART_REMINDER_CHANNELS: 'kakao,sms,email,push', CART_REMINDER_DELAY: '1s', CART_REMINDER_WINDOW: '2s', FREQUENCY_CAP: '2/7d', QUIET_HOURS: `${hhmm(-60)}-${hhmm(120)}`, SENDER_NAME: 'Seoul Shop' },
    providers: (db) => ({ default: new OutboxProvider(db), push: refusingPush }),
  });
});
afterAll(async () => {
  await stack?.stop();
});

async function customerWithOrder(id: string, consents: { channel: string; purpose: string; granted: boolean; nightTime?: boolean }[], extra: Record<string, unknown> = {}) {
  expect((await stack.api('PUT', `/v1/customers/${id}`, { phone: '+821055556666', timezone: 'UTC', attributes: { kakaoFriend: true, pushToken: 'tok-1' }, consents, ...extra })).status).toBe(201);
  await stack.api('POST', '/v1/events', {
    id: `${id}-o-0`,
    type: 'order_completed',
    customerId: id,
    occurredAt: '2026-01-01T00:00:00Z',
    properties: { orderId: `${id}-o-0`, total: 1000, currency: 'KRW', items: [] },
  });
}

const cart = (id: string, n: number) => stack.api('POST', '/v1/events', { id: `${id}-cart-${n}`, type: 'cart_updated', customerId: id, properties: { items: [{ productId: 'p-1', name: '린넨 셔츠', quantity: 1, price: 25_000 }], value: 25_000 } });

async function reminders(id: string, count: number): Promise<Message[]> {
  return eventually(async () => {
    const response = await stack.api<{ messages: Message[] }>('GET', `/v1/customers/${id}/messages`);
    const found = response.body.messages.filter((m) => m.journey === 'cart-reminder');
    expect(found).toHaveLength(count);
    // A message is written `pending` before its provider is called: wait for the outcome.
    expect(found.filter((m) => m.status === 'pending')).toEqual([]);
    return found;
  });
}

/** Waits until the customer's cart reminder is closed, so the next cart starts a new one. */
async function reminderClosed(id: string) {
  await eventually(async () => {
    const response = await stack.api<{ journeys: { journey: string; status: string }[] }>('GET', `/v1/customers/${id}/journeys`);
    const open = response.body.journeys.filter((j) => j.journey === 'cart-reminder' && j.status === 'RUNNING');
    expect(open).toEqual([]);
  });
}

describe('messaging rules through the API', () => {
  it('sends marketing as Korean advertising with an opt-out link that works, then honours the opt-out', async () => {
    await customerWithOrder('c-ad', [{ channel: 'kakao', purpose: 'marketing', granted: true, nightTime: true }]);
    await cart('c-ad', 1);
    const [sent] = await reminders('c-ad', 1);
    expect(sent).toMatchObject({ status: 'sent', channel: 'kakao', cost: { amount: '3.07', currency: 'KRW' } });
    expect(sent.content.startsWith('(광고) ')).toBe(true);
    expect(sent.content).toContain('보낸 곳: Seoul Shop');
    const token = /\/unsubscribe\/(\S+)$/.exec(sent.content)?.[1];
    expect(token).toBeDefined();

    const page = await fetch(`${stack.baseUrl}/unsubscribe/${token}`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<form method="post">');
    const done = await fetch(`${stack.baseUrl}/unsubscribe/${token}`, { method: 'POST' });
    expect(done.status).toBe(200);
    expect(await done.text()).toContain('수신거부가 완료되었습니다');
    const profile = await stack.api<{ consents: { channel: string; purpose: string; granted: boolean }[] }>('GET', '/v1/customers/c-ad');
    expect(profile.body.consents).toEqual([expect.objectContaining({ channel: 'kakao', purpose: 'marketing', granted: false, source: 'unsubscribe' })]);
    // The grant is not overwritten: both changes stay in the consent history.
    const history = await stack.db.consentChange.findMany({ where: { customerId: 'c-ad' }, orderBy: { id: 'asc' } });
    expect(history.map((h) => [h.channel, h.granted, h.source])).toEqual([
      ['kakao', true, 'api'],
      ['kakao', false, 'unsubscribe'],
    ]);

    await reminderClosed('c-ad');
    await cart('c-ad', 2);
    const after = await reminders('c-ad', 2);
    expect(after[0]).toMatchObject({ status: 'suppressed', reason: 'kakao: no marketing consent; sms: no marketing consent; email: no marketing consent; push: no marketing consent' });
    const forged = await fetch(`${stack.baseUrl}/unsubscribe/${token!.slice(0, -2)}xx`, { method: 'POST' });
    expect(forged.status).toBe(400);
  });

  it('holds a marketing message in the customer’s quiet hours', async () => {
    await customerWithOrder('c-night', [{ channel: 'kakao', purpose: 'marketing', granted: true }]);
    await cart('c-night', 1);
    const [held] = await reminders('c-night', 1);
    expect(held).toMatchObject({ status: 'held', channel: 'kakao', reason: 'quiet hours in UTC' });
    await eventually(async () => {
      const response = await stack.api<{ journeys: { journey: string; state: { stage: string; nextWakeAt: string } }[] }>('GET', '/v1/customers/c-night/journeys');
      const journey = response.body.journeys.find((j) => j.journey === 'cart-reminder');
      expect(journey?.state.stage).toBe('held');
      expect(Date.parse(journey!.state.nextWakeAt)).toBeGreaterThan(Date.now() + 60 * 60_000);
    });
  });

  it('cancels the held reminder when the customer orders during quiet hours: never sent, the order credited to nobody', async () => {
    await customerWithOrder('c-night-order', [{ channel: 'kakao', purpose: 'marketing', granted: true }]);
    await cart('c-night-order', 1);
    const [held] = await reminders('c-night-order', 1);
    expect(held).toMatchObject({ status: 'held' });
    const order = await stack.api('POST', '/v1/events', { id: 'c-night-order-o-1', type: 'order_completed', customerId: 'c-night-order', properties: { orderId: 'c-night-order-o-1', total: 25_000, currency: 'KRW', items: [] } });
    expect(order.status).toBe(202);
    await eventually(async () => {
      const [message] = await reminders('c-night-order', 1);
      expect(message).toMatchObject({ status: 'cancelled', reason: 'exited: ordered' });
    });
    await eventually(async () => {
      const response = await stack.api<{ journeys: { journey: string; status: string; state: { stage: string; outcome: string } }[] }>('GET', '/v1/customers/c-night-order/journeys');
      expect(response.body.journeys.find((j) => j.journey === 'cart-reminder')).toMatchObject({ status: 'COMPLETED', state: { stage: 'exited', outcome: 'exited: ordered' } });
    });
    expect(await stack.db.outboxEntry.count({ where: { recipient: '+821055556666', idempotencyKey: { startsWith: 'cart-reminder:c-night-order/' } } })).toBe(0);
    expect(await stack.db.conversion.count({ where: { orderId: 'c-night-order-o-1' } })).toBe(0);
  });

  it('suppresses marketing over the frequency cap', async () => {
    await customerWithOrder('c-cap', [{ channel: 'sms', purpose: 'marketing', granted: true, nightTime: true }]);
    for (let n = 1; n <= 3; n += 1) {
      await cart('c-cap', n);
      await reminders('c-cap', n);
      await reminderClosed('c-cap');
    }
    const messages = await reminders('c-cap', 3);
    expect(messages.map((m) => m.status)).toEqual(['suppressed', 'sent', 'sent']);
    expect(messages[0].reason).toBe('frequency cap: 2 marketing messages in the last 7 days (cap 2)');
    expect(messages[1]).toMatchObject({ channel: 'sms', cost: { amount: '25.9', currency: 'KRW' } }); // with the advertising footer it is an LMS
  });

  it('records a failed message when the only channel refuses it', async () => {
    await customerWithOrder('c-push', [{ channel: 'push', purpose: 'marketing', granted: true, nightTime: true }]);
    await cart('c-push', 1);
    const [failed] = await reminders('c-push', 1);
    expect(failed).toMatchObject({ status: 'failed', channel: 'push', reason: 'push: push-api refused: unregistered device token' });
  });
});

describe('template preview', () => {
  it('renders with sample data, per channel and locale, in the advertising format for marketing', async () => {
    const sms = await stack.api<{ content: string; variant: string }>('POST', '/v1/templates/preview', { template: 'cart-reminder', channel: 'sms' });
    expect(sms.status).toBe(200);
    expect(sms.body.content).toMatch(/^\(광고\) 김민지님, 장바구니 상품 1개가 기다리고 있어요\./);
    expect(sms.body.variant).toBe('lms');
    const en = await stack.api<{ content: string; variant: string | null }>('POST', '/v1/templates/preview', {
      template: 'review-request',
      locale: 'en',
      channel: 'email',
      purpose: 'informational',
      customer: { name: 'Jane' },
      data: { orderId: 'o-77' },
    });
    // A preview has no message to track: the link is the shop's own (SHOP_URL, here the default).
    expect(en.body).toMatchObject({ content: 'Hi Jane, how do you like your order o-77? Please leave a review.\nhttps://shop.example.com/orders/o-77/review', variant: null });
  });

  it('answers 404 for an unknown template and 400 naming the data that breaks it', async () => {
    const unknown = await stack.api<{ error: { code: string; message: string } }>('POST', '/v1/templates/preview', { template: 'nope' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.message).toContain('cart-reminder');
    const missing = await stack.api<{ error: { details: { field: string; message: string }[] } }>('POST', '/v1/templates/preview', { template: 'cart-reminder', data: { cart: { value: 1 } } });
    expect(missing.status).toBe(400);
    expect(missing.body.error.details[0]).toMatchObject({ field: 'data', message: expect.stringContaining('cart.items') as string });
  });
});

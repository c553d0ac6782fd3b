// One attribution model end to end: real dev server, worker, dispatcher, HTTP and PostgreSQL.
// Two journeys message one customer; the order both windows reach is credited once, to the
// last touch; an order placed before any message is credited to none.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startStack, type Stack } from '../helpers/stack';

type Message = { id: string; journey: string; status: string; sentAt: string | null };
type JourneyRow = { journey: string; status: string; state: { stage: string; outcome: string | null } | null };

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({
    env: {
      CART_REMINDER_DELAY: '1s',
      CART_REMINDER_WINDOW: '60s',
      CART_REMINDER_CHANNELS: 'email',
      BROWSE_ABANDONMENT_DELAY: '3s',
      BROWSE_ABANDONMENT_WINDOW: '60s',
      BROWSE_ABANDONMENT_CHANNELS: 'email',
      QUIET_HOURS: '00:00-00:00',
      FREQUENCY_CAP: '10/7d',
    },
  });
});
afterAll(async () => {
  await stack?.stop();
});

async function customer(id: string) {
  const put = await stack.api('PUT', `/v1/customers/${id}`, { email: `${id}@example.com`, consents: [{ channel: 'email', purpose: 'marketing', granted: true }] });
  expect(put.status).toBe(201);
  // One earlier order: the cart reminder needs it.
  await stack.api('POST', '/v1/events', { id: `${id}-o-0`, type: 'order_completed', customerId: id, occurredAt: '2026-01-01T00:00:00Z', properties: { orderId: `${id}-o-0`, total: 1000, currency: 'KRW', items: [] } });
}

const cart = (id: string) => stack.api('POST', '/v1/events', { id: `${id}-cart`, type: 'cart_updated', customerId: id, properties: { items: [{ productId: 'p-1', quantity: 1, price: 25_000 }], value: 25_000 } });

async function sentMessages(id: string, count: number): Promise<Message[]> {
  return eventually(async () => {
    const response = await stack.api<{ messages: Message[] }>('GET', `/v1/customers/${id}/messages`);
    const sent = response.body.messages.filter((m) => m.status === 'sent');
    expect(sent).toHaveLength(count);
    return sent;
  });
}

async function journeys(id: string): Promise<JourneyRow[]> {
  return (await stack.api<{ journeys: JourneyRow[] }>('GET', `/v1/customers/${id}/journeys`)).body.journeys;
}

describe('attribution across journeys', () => {
  it('credits an order reachable by two journeys’ windows once, to the message sent last, with the stored revenue', async () => {
    await customer('c-two');
    await cart('c-two');
    await stack.api('POST', '/v1/events', { id: 'c-two-view', type: 'product_viewed', customerId: 'c-two', properties: { productId: 'p-9', name: 'Lamp' } });
    const sent = await sentMessages('c-two', 2);
    const last = [...sent].sort((a, b) => Date.parse(b.sentAt!) - Date.parse(a.sentAt!))[0];
    expect(last.journey).toBe('browse-abandonment');

    const order = await stack.api('POST', '/v1/events', { id: 'c-two-o-1', type: 'order_completed', customerId: 'c-two', properties: { orderId: 'c-two-o-1', total: '39000.5', currency: 'KRW', items: [] } });
    expect(order.status).toBe(202);
    await eventually(async () => {
      const rows = await journeys('c-two');
      expect(rows.find((j) => j.journey === 'browse-abandonment')).toMatchObject({ status: 'COMPLETED', state: { outcome: 'converted' } });
      expect(rows.find((j) => j.journey === 'cart-reminder')).toMatchObject({ status: 'COMPLETED', state: { outcome: 'not converted: order c-two-o-1 credited to a later touch' } });
    });
    const conversions = await stack.db.conversion.findMany({ where: { orderId: 'c-two-o-1' } });
    expect(conversions).toHaveLength(1);
    expect(conversions[0]).toMatchObject({ journey: 'browse-abandonment', messageId: last.id, currency: 'KRW' });
    expect(conversions[0].revenue?.toFixed()).toBe('39000.5');
  });

  it('credits an order placed before the message (reported late) to nobody', async () => {
    await customer('c-early');
    const placedAt = new Date().toISOString();
    await cart('c-early');
    await sentMessages('c-early', 1);
    const order = await stack.api('POST', '/v1/events', { id: 'c-early-o-1', type: 'order_completed', customerId: 'c-early', occurredAt: placedAt, properties: { orderId: 'c-early-o-1', total: 25_000, currency: 'KRW', items: [] } });
    expect(order.status).toBe(202);
    // The order reached the journey (its delivery is recorded) and changed nothing.
    await eventually(async () => {
      const deliveries = await stack.db.eventDelivery.findMany({ where: { event: { idempotencyKey: 'c-early-o-1' }, journey: 'cart-reminder' } });
      expect(deliveries.map((d) => d.deliveredAt !== null)).toEqual([true]);
    });
    const [reminder] = (await journeys('c-early')).filter((j) => j.journey === 'cart-reminder');
    expect(reminder).toMatchObject({ status: 'RUNNING', state: { stage: 'waiting-for-conversion' } });
    expect(await stack.db.conversion.count({ where: { orderId: 'c-early-o-1' } })).toBe(0);
  });
});

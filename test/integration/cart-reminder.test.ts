// The cart reminder end to end: real dev server, real worker (replaying every task), real
// HTTP, real SQLite; the 24 h delay shortened to seconds by environment.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutboxProvider } from '../../src/channels/outbox';
import type { ChannelProvider, OutgoingMessage } from '../../src/channels/provider';
import { eventually, startStack, type Stack } from '../helpers/stack';

/** Delivers through the outbox, then fails once for chosen recipients: the crash-after-send case. */
class FailsOnceAfterSending implements ChannelProvider {
  readonly name = 'outbox';
  readonly calls: OutgoingMessage[] = [];
  private readonly failed = new Set<string>();
  constructor(
    private readonly inner: OutboxProvider,
    private readonly recipients: Set<string>,
  ) {}
  async send(message: OutgoingMessage) {
    this.calls.push(message);
    const receipt = await this.inner.send(message);
    if (this.recipients.has(message.recipient) && !this.failed.has(message.idempotencyKey)) {
      this.failed.add(message.idempotencyKey);
      throw new Error('connection reset after the provider accepted the message');
    }
    return receipt;
  }
}

type Message = { status: string; channel: string; recipient: string; reason: string | null; content: string; journey: string; step: string };
type JourneyRow = { workflowId: string; journey: string; status: string; state: { stage: string; outcome: string | null; messagesSent: number } | null };

let stack: Stack;
let provider: FailsOnceAfterSending;
const FLAKY_PHONE = '+821099990000';

beforeAll(async () => {
  stack = await startStack({
    env: { CART_REMINDER_DELAY: '2s', CART_REMINDER_WINDOW: '30s' },
    providers: (db) => {
      provider = new FailsOnceAfterSending(new OutboxProvider(db), new Set([FLAKY_PHONE]));
      return { default: provider };
    },
    // Replays every workflow task from history: non-determinism shows up here first.
    workerTuning: { maxCachedWorkflows: 0 },
  });
});

afterAll(async () => {
  await stack?.stop();
});

async function customerWithEarlierOrder(id: string, options: { phone?: string; consent?: boolean } = {}) {
  const put = await stack.api('PUT', `/v1/customers/${id}`, {
    name: 'Minji',
    phone: options.phone ?? '+821012345678',
    attributes: { kakaoFriend: true },
    timezone: 'Asia/Seoul',
    locale: 'ko',
    consents: options.consent === false ? [] : [{ channel: 'kakao', purpose: 'marketing', granted: true }],
  });
  expect(put.status).toBe(201);
  const order = await stack.api('POST', '/v1/events', {
    id: `${id}-earlier-order`,
    type: 'order_completed',
    customerId: id,
    occurredAt: '2026-10-01T10:00:00Z',
    properties: { orderId: `${id}-o-1`, total: 30_000, currency: 'KRW', items: [{ productId: 'p-1', quantity: 1, price: 30_000 }] },
  });
  expect(order).toEqual({ status: 202, body: { accepted: 1, duplicates: 0 } });
}

function cartEvent(customerId: string, id = `${customerId}-cart-1`) {
  return {
    id,
    type: 'cart_updated',
    customerId,
    properties: { items: [{ productId: 'p-2', name: 'Linen shirt', quantity: 2, price: 25_000 }], value: 50_000 },
  };
}

async function messagesOf(customerId: string): Promise<Message[]> {
  const response = await stack.api<{ messages: Message[] }>('GET', `/v1/customers/${customerId}/messages`);
  expect(response.status).toBe(200);
  return response.body.messages;
}

/** The customer's cart-reminder journeys (every customer also has a dormancy watcher, and orders start upsells). */
async function journeysOf(customerId: string): Promise<JourneyRow[]> {
  const response = await stack.api<{ journeys: JourneyRow[] }>('GET', `/v1/customers/${customerId}/journeys`);
  expect(response.status).toBe(200);
  return response.body.journeys.filter((journey) => journey.journey === 'cart-reminder');
}

describe('cart reminder through the API', () => {
  it('sends the reminder after the delay, shows it in the messages API, and records a later order as a conversion', async () => {
    await customerWithEarlierOrder('c-reminded');
    expect((await stack.api('POST', '/v1/events', cartEvent('c-reminded'))).body).toEqual({ accepted: 1, duplicates: 0 });

    const waiting = await eventually(async () => {
      const [journey] = await journeysOf('c-reminded');
      expect(journey).toMatchObject({ workflowId: 'cart-reminder:c-reminded', journey: 'cart-reminder', status: 'RUNNING' });
      return journey;
    });
    expect(['waiting', 'checking-eligibility', 'sending', 'waiting-for-conversion']).toContain(waiting.state?.stage);

    const [reminder] = await eventually(async () => {
      const messages = await messagesOf('c-reminded');
      expect(messages).toHaveLength(1);
      expect(messages[0].status).not.toBe('pending'); // written before the provider is called
      return messages;
    });
    expect(reminder).toMatchObject({ journey: 'cart-reminder', step: 'reminder', channel: 'kakao', recipient: '+821012345678', status: 'sent' });
    expect(reminder.content).toContain('Linen shirt × 2');

    await eventually(async () => expect((await journeysOf('c-reminded'))[0].state?.stage).toBe('waiting-for-conversion'));
    const order = await stack.api('POST', '/v1/events', {
      id: 'c-reminded-order-2',
      type: 'order_completed',
      customerId: 'c-reminded',
      properties: { orderId: 'c-reminded-o-2', total: 50_000, currency: 'KRW', items: [{ productId: 'p-2', quantity: 2, price: 25_000 }] },
    });
    expect(order.status).toBe(202);

    const [converted] = await eventually(async () => {
      const journeys = await journeysOf('c-reminded');
      expect(journeys[0]).toMatchObject({ status: 'COMPLETED', state: { stage: 'converted', outcome: 'converted', messagesSent: 1 } });
      return journeys;
    });
    expect(converted.workflowId).toBe('cart-reminder:c-reminded');
    const conversions = await stack.db.conversion.findMany({ where: { customerId: 'c-reminded' } });
    expect(conversions).toHaveLength(1);
    expect(conversions[0]).toMatchObject({ journey: 'cart-reminder', orderId: 'c-reminded-o-2', currency: 'KRW' });
    // Revenue comes from the stored order, exactly.
    expect(conversions[0].revenue?.toFixed()).toBe('50000');
  });

  it('records a suppressed message with the reason when the customer has no marketing consent', async () => {
    await customerWithEarlierOrder('c-no-consent', { consent: false, phone: '+821077770000' });
    await stack.api('POST', '/v1/events', cartEvent('c-no-consent'));
    const [message] = await eventually(async () => {
      const messages = await messagesOf('c-no-consent');
      expect(messages).toHaveLength(1);
      return messages;
    });
    expect(message).toMatchObject({ status: 'suppressed', channel: null });
    expect(message.reason).toBe('kakao: no marketing consent; sms: no marketing consent; email: no marketing consent');
    expect(await stack.db.outboxEntry.count({ where: { recipient: '+821077770000' } })).toBe(0);
  });

  it('sends nothing to a customer without an earlier order', async () => {
    const put = await stack.api('PUT', '/v1/customers/c-first-cart', { phone: '+821011112222', consents: [{ channel: 'kakao', purpose: 'marketing', granted: true }] });
    expect(put.status).toBe(201);
    await stack.api('POST', '/v1/events', cartEvent('c-first-cart'));
    await eventually(async () => {
      const [journey] = await journeysOf('c-first-cart');
      expect(journey).toMatchObject({ status: 'COMPLETED', state: { stage: 'ineligible' } });
    });
    expect(await messagesOf('c-first-cart')).toEqual([]);
  });

  it('sends exactly one message when the send activity fails after the provider accepted it', async () => {
    await customerWithEarlierOrder('c-flaky', { phone: FLAKY_PHONE });
    await stack.api('POST', '/v1/events', cartEvent('c-flaky'));
    const [message] = await eventually(async () => {
      const messages = await messagesOf('c-flaky');
      expect(messages).toHaveLength(1);
      expect(messages[0].status).toBe('sent');
      return messages;
    });
    expect(message.recipient).toBe(FLAKY_PHONE);
    const attempts = provider.calls.filter((call) => call.recipient === FLAKY_PHONE);
    expect(attempts).toHaveLength(2); // the first attempt threw after delivering; the retry resumed it
    expect(new Set(attempts.map((call) => call.idempotencyKey)).size).toBe(1);
    expect(await stack.db.outboxEntry.count({ where: { recipient: FLAKY_PHONE } })).toBe(1);
    expect(await stack.db.message.count({ where: { customerId: 'c-flaky' } })).toBe(1);
  });

  it('counts a repeated event id as a duplicate and changes nothing', async () => {
    await stack.api('PUT', '/v1/customers/c-dup', {});
    const event = { id: 'dup-1', type: 'page_viewed', customerId: 'c-dup', properties: { path: '/' } };
    expect((await stack.api('POST', '/v1/events', event)).body).toEqual({ accepted: 1, duplicates: 0 });
    expect((await stack.api('POST', '/v1/events', { ...event, properties: { path: '/changed' } })).body).toEqual({ accepted: 0, duplicates: 1 });
    expect((await stack.api('POST', '/v1/events', { events: [event, { ...event, id: 'dup-2' }, { ...event, id: 'dup-2' }] })).body).toEqual({
      accepted: 1,
      duplicates: 2,
    });
    const stored = await stack.db.event.findMany({ where: { customerId: 'c-dup' }, orderBy: { idempotencyKey: 'asc' } });
    expect(stored.map((e) => e.idempotencyKey)).toEqual(['dup-1', 'dup-2']);
    expect(stored[0].properties).toEqual({ path: '/' });
  });

  it('keeps the first order when the same order id arrives under another event id', async () => {
    await customerWithEarlierOrder('c-order-dup');
    const again = await stack.api('POST', '/v1/events', {
      id: 'c-order-dup-resent-by-another-system',
      type: 'order_completed',
      customerId: 'c-order-dup',
      properties: { orderId: 'c-order-dup-o-1', total: 99_000, currency: 'KRW', items: [] },
    });
    expect(again.body).toEqual({ accepted: 1, duplicates: 0 });
    const orders = await stack.db.order.findMany({ where: { customerId: 'c-order-dup' }, include: { items: true } });
    expect(orders).toHaveLength(1);
    expect(orders[0]).toMatchObject({ id: 'c-order-dup-o-1', currency: 'KRW', items: [expect.objectContaining({ productId: 'p-1', currency: 'KRW' })] });
    expect(orders[0].total.toFixed()).toBe('30000');
  });
});

describe('API input validation', () => {
  const countAll = async () => ({
    events: await stack.db.event.count(),
    customers: await stack.db.customer.count(),
    orders: await stack.db.order.count(),
  });

  it('rejects a batch with one bad event, naming the field, and writes nothing', async () => {
    const before = await countAll();
    const response = await stack.api<{ error: { code: string; message: string; details: { field: string; message: string }[] } }>('POST', '/v1/events', {
      events: [
        { id: 'valid-but-batched', type: 'page_viewed', customerId: 'c-never-written' },
        { id: 'bad', type: 'order_completed', customerId: 'c-never-written', properties: { orderId: 'o-x', total: 'lots', currency: 'KRW', items: [] } },
      ],
    });
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('invalid_request');
    expect(response.body.error.details).toEqual([
      { field: 'events[1].properties.total', message: 'expected a non-negative amount with at most 4 decimals, such as 25000 or 19.99, got "lots"' },
    ]);
    expect(response.body.error.message).toContain('events[1].properties.total');
    expect(await countAll()).toEqual(before);
  });

  it('rejects malformed JSON, a missing subject, and an oversized batch', async () => {
    const malformed = await stack.api<{ error: { code: string } }>('POST', '/v1/events', '{"type":', { 'content-type': 'application/json' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('invalid_json');

    const noSubject = await stack.api<{ error: { details: { field: string }[] } }>('POST', '/v1/events', { type: 'page_viewed' });
    expect(noSubject.status).toBe(400);
    expect(noSubject.body.error.details.map((d) => d.field)).toContain('customerId');

    const tooMany = await stack.api<{ error: { details: { field: string; message: string }[] } }>('POST', '/v1/events', {
      events: Array.from({ length: 501 }, (_, i) => ({ type: 'page_viewed', anonymousId: `v-${i}` })),
    });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error.details[0]).toEqual({ field: 'events', message: 'send at most 500 events per request' });
  });

  it('rejects a bad profile without creating the customer', async () => {
    const response = await stack.api<{ error: { details: { field: string }[] } }>('PUT', '/v1/customers/c-bad-profile', {
      timezone: 'Mars/Olympus',
      consents: [{ channel: 'fax', purpose: 'marketing', granted: true }],
    });
    expect(response.status).toBe(400);
    expect(response.body.error.details.map((d) => d.field).sort()).toEqual(['consents[0].channel', 'timezone']);
    expect((await stack.api('GET', '/v1/customers/c-bad-profile')).status).toBe(404);
  });

  it('answers 404 for unknown customers and 401 without a valid key', async () => {
    for (const path of ['/v1/customers/nobody', '/v1/customers/nobody/messages', '/v1/customers/nobody/journeys']) {
      const response = await stack.api<{ error: { code: string } }>('GET', path);
      expect(response.status).toBe(404);
      expect(response.body.error.code).toBe('not_found');
    }
    const noKey = await fetch(`${stack.baseUrl}/v1/customers/nobody`);
    expect(noKey.status).toBe(401);
    const wrongKey = await stack.api('GET', '/v1/customers/nobody', undefined, { authorization: 'Bearer not-the-key' });
    expect(wrongKey.status).toBe(401);
  });

  it('updates consent and reports readiness', async () => {
    await stack.api('PUT', '/v1/customers/c-consent', { consents: [{ channel: 'email', purpose: 'marketing', granted: true }] });
    const revoked = await stack.api<{ consents: { channel: string; granted: boolean; revokedAt: string | null }[] }>('PUT', '/v1/customers/c-consent', {
      consents: [{ channel: 'email', purpose: 'marketing', granted: false }],
    });
    expect(revoked.status).toBe(200);
    expect(revoked.body.consents).toEqual([expect.objectContaining({ channel: 'email', granted: false, revokedAt: expect.any(String) as string })]);
    const ready = await fetch(`${stack.baseUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      status: 'ready',
      database: { ok: true },
      temporal: { ok: true },
      dispatch: { backlog: expect.any(Number) as number, oldestMs: expect.any(Number) as number },
    });
  });
});

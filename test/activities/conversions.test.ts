// Attribution against a real (migrated) PostgreSQL database (DESIGN.md "Attribution"): each
// order goes at most once, to the last message clicked before it within its window, else the
// last one sent within its window; revenue is the stored order's, exact.
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createConversionActivities } from '../../activities/conversions';
import { OutboxProvider } from '../../src/channels/outbox';
import { createDb, type Db } from '../../src/db';
import { useTestDatabase } from '../helpers/use-database';

const database = useTestDatabase('conversions');
let db: Db;
beforeAll(() => {
  db = database.db;
});

const activities = (client: Db = db) => createConversionActivities({ db: client, pool: database.pool, providers: { default: new OutboxProvider(client) }, messaging: {} as never });

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const t0 = Date.parse('2026-11-20T00:00:00Z');
const at = (offsetMs: number) => new Date(t0 + offsetMs);

let n = 0;
let customerId: string;
beforeEach(async () => {
  n += 1;
  customerId = `c-conv-${n}`;
  await db.customer.create({ data: { id: customerId, name: '민지' } });
});

/** A message of `journey` sent to the customer at `sentAt`, converting orders until `convertsUntil`. */
async function message(
  journey: string,
  fields: { sentAt: Date; convertsUntil: Date | null; clickedAt?: Date; customer?: string },
): Promise<{ id: string; journey: string; workflowId: string }> {
  const customer = fields.customer ?? customerId;
  const workflowId = `${journey}:${customer}`;
  const id = `m-${n}-${journey}`;
  await db.message.create({
    data: {
      id,
      idempotencyKey: `${workflowId}/run-1/${journey}`,
      customerId: customer,
      journey,
      workflowId,
      step: journey,
      channel: 'email',
      purpose: 'marketing',
      content: '(광고) …',
      status: 'sent',
      costCurrency: 'KRW',
      sentAt: fields.sentAt,
      convertsUntil: fields.convertsUntil,
      clickedAt: fields.clickedAt ?? null,
    },
  });
  return { id, journey, workflowId };
}

async function order(suffix: string, occurredAt: Date, total = '12345.6789', currency = 'USD'): Promise<string> {
  const id = `o-${n}-${suffix}`;
  await db.order.create({ data: { id, customerId, total, currency, occurredAt } });
  return id;
}

/** What attributeOrder answers when `m` is credited (the conversion's id aside). */
const creditedTo = (m: { id: string; journey: string; workflowId: string }) => ({ conversionId: expect.any(String) as string, messageId: m.id, journey: m.journey, workflowId: m.workflowId });

const conversionsOf = (orderId: string) => db.conversion.findMany({ where: { orderId } });

describe('attributeOrder', () => {
  it('credits an order two journeys’ windows reach once, to the message sent last', async () => {
    await message('cart-reminder', { sentAt: at(0), convertsUntil: at(7 * DAY) });
    const browse = await message('browse-abandonment', { sentAt: at(HOUR), convertsUntil: at(7 * DAY) });
    const orderId = await order('a', at(2 * HOUR));

    expect(await activities().attributeOrder({ orderId })).toEqual(creditedTo(browse));
    const rows = await conversionsOf(orderId);
    expect(rows.map((c) => [c.messageId, c.journey, c.workflowId])).toEqual([[browse.id, browse.journey, browse.workflowId]]);
  });

  it('prefers a message clicked before the order to a later unclicked one', async () => {
    const cart = await message('cart-reminder', { sentAt: at(0), convertsUntil: at(7 * DAY), clickedAt: at(30 * 60_000) });
    await message('browse-abandonment', { sentAt: at(HOUR), convertsUntil: at(7 * DAY) });
    const orderId = await order('a', at(2 * HOUR));

    expect(await activities().attributeOrder({ orderId })).toEqual(creditedTo(cart));
  });

  it('among clicked messages, credits the one clicked last, not the one sent last', async () => {
    const cart = await message('cart-reminder', { sentAt: at(0), convertsUntil: at(7 * DAY), clickedAt: at(90 * 60_000) });
    await message('browse-abandonment', { sentAt: at(HOUR), convertsUntil: at(7 * DAY), clickedAt: at(70 * 60_000) });
    const orderId = await order('a', at(2 * HOUR));

    expect(await activities().attributeOrder({ orderId })).toEqual(creditedTo(cart));
  });

  it('ignores a click after the order: the message sent last is credited', async () => {
    await message('cart-reminder', { sentAt: at(0), convertsUntil: at(7 * DAY), clickedAt: at(3 * HOUR) });
    const browse = await message('browse-abandonment', { sentAt: at(HOUR), convertsUntil: at(7 * DAY) });
    const orderId = await order('a', at(2 * HOUR));

    expect(await activities().attributeOrder({ orderId })).toEqual(creditedTo(browse));
  });

  it('credits no message for an order placed before any message was sent: null, and no Conversion row', async () => {
    await message('cart-reminder', { sentAt: at(HOUR), convertsUntil: at(7 * DAY) });
    const orderId = await order('a', at(0));

    expect(await activities().attributeOrder({ orderId })).toBeNull();
    expect(await conversionsOf(orderId)).toEqual([]);
  });

  it('does not credit a message whose convertsUntil is before the order, nor one sent without a window', async () => {
    const upsell = await message('upsell', { sentAt: at(-DAY), convertsUntil: at(7 * DAY) });
    await message('cart-reminder', { sentAt: at(0), convertsUntil: at(HOUR) });
    await message('browse-abandonment', { sentAt: at(HOUR), convertsUntil: null });
    const orderId = await order('a', at(2 * HOUR));
    expect(await activities().attributeOrder({ orderId })).toEqual(creditedTo(upsell));

    // After every window: nobody.
    const late = await order('late', at(8 * DAY));
    expect(await activities().attributeOrder({ orderId: late })).toBeNull();
    expect(await conversionsOf(late)).toEqual([]);
  });

  it('does not credit a message sent to another customer', async () => {
    const own = await message('cart-reminder', { sentAt: at(0), convertsUntil: at(7 * DAY) });
    await db.customer.create({ data: { id: `${customerId}-other` } });
    await message('browse-abandonment', { sentAt: at(HOUR), convertsUntil: at(7 * DAY), customer: `${customerId}-other` });
    const orderId = await order('a', at(2 * HOUR));

    expect(await activities().attributeOrder({ orderId })).toEqual(creditedTo(own));
  });

  it('gives the same answer and keeps one Conversion row when called twice', async () => {
    await message('cart-reminder', { sentAt: at(0), convertsUntil: at(7 * DAY) });
    const browse = await message('browse-abandonment', { sentAt: at(HOUR), convertsUntil: at(7 * DAY) });
    const orderId = await order('a', at(2 * HOUR));

    const first = await activities().attributeOrder({ orderId });
    const second = await activities().attributeOrder({ orderId });
    expect(first).toEqual(creditedTo(browse));
    expect(second).toEqual(first);
    expect(await conversionsOf(orderId)).toHaveLength(1);
    expect((await conversionsOf(orderId))[0].id).toBe(first!.conversionId);
  });

  it('gives both callers the same answer and keeps one Conversion row per order when two activity instances, each on its own connection pool, attribute at once', async () => {
    await message('cart-reminder', { sentAt: at(0), convertsUntil: at(30 * DAY) });
    const browse = await message('browse-abandonment', { sentAt: at(HOUR), convertsUntil: at(30 * DAY) });
    // Many orders, each raced by both: the window where both callers insert is narrow.
    const orderIds = Array.from({ length: 200 }, (_, i) => `o-${n}-race-${i}`);
    await db.order.createMany({ data: orderIds.map((id, i) => ({ id, customerId, total: '10.5', currency: 'KRW', occurredAt: at(2 * HOUR + i * 60_000) })) });

    const clients = [createDb(database.url, { poolSize: 2 }), createDb(database.url, { poolSize: 2 })];
    try {
      const [one, two] = clients.map((client) => activities(client));
      for (const orderId of orderIds) {
        const [a, b] = await Promise.all([one.attributeOrder({ orderId }), two.attributeOrder({ orderId })]);
        expect(a).toEqual(creditedTo(browse));
        expect(b).toEqual(a);
        const rows = await conversionsOf(orderId);
        expect(rows.map((c) => c.id)).toEqual([a!.conversionId]);
      }
    } finally {
      await Promise.all(clients.map((client) => client.$disconnect()));
    }
  });

  it('records the stored order’s revenue (exact decimal) and currency, its time and customer', async () => {
    const cart = await message('cart-reminder', { sentAt: at(0), convertsUntil: at(7 * DAY) });
    const orderId = await order('a', at(2 * HOUR), '12345.6789', 'USD');
    const other = await order('b', at(3 * HOUR), '0.0001', 'KRW');

    await activities().attributeOrder({ orderId });
    await activities().attributeOrder({ orderId: other });
    const [row] = await conversionsOf(orderId);
    expect(row.revenue?.toFixed()).toBe('12345.6789');
    expect(row).toMatchObject({ currency: 'USD', orderId, messageId: cart.id, customerId, occurredAt: at(2 * HOUR) });
    const [small] = await conversionsOf(other);
    expect([small.revenue?.toFixed(), small.currency]).toEqual(['0.0001', 'KRW']);
  });

  it('throws for an order that is not stored, recording nothing', async () => {
    await message('cart-reminder', { sentAt: at(0), convertsUntil: at(7 * DAY) });
    await expect(activities().attributeOrder({ orderId: `o-${n}-missing` })).rejects.toThrow(`order o-${n}-missing is not stored yet`);
    expect(await db.conversion.count({ where: { customerId } })).toBe(0);
  });
});

describe('attributeOrdersBetween', () => {
  it('attributes the customer’s orders in the range, and returns only those credited to the given message', async () => {
    const upsell = await message('upsell', { sentAt: at(0), convertsUntil: at(7 * DAY) });
    const cart = await message('cart-reminder', { sentAt: at(2 * DAY), convertsUntil: at(9 * DAY) });
    const early = await order('early', at(DAY)); // only the upsell's window
    const later = await order('later', at(3 * DAY)); // both windows: the cart reminder was sent last
    const outside = await order('outside', at(8 * DAY)); // after the range asked about

    const credited = await activities().attributeOrdersBetween({ customerId, after: at(0).toISOString(), before: at(7 * DAY).toISOString(), messageId: upsell.id });
    expect(credited).toEqual([{ ...creditedTo(upsell), orderId: early }]);
    // The other order in the range was attributed too (to its own last touch); the one outside was not touched.
    expect((await conversionsOf(later)).map((c) => c.messageId)).toEqual([cart.id]);
    expect(await conversionsOf(outside)).toEqual([]);

    const forCart = await activities().attributeOrdersBetween({ customerId, after: at(2 * DAY).toISOString(), before: at(9 * DAY).toISOString(), messageId: cart.id });
    expect(forCart).toEqual([
      { ...creditedTo(cart), orderId: later },
      { ...creditedTo(cart), orderId: outside },
    ]);
  });
});

describe('recordConversion', () => {
  const goal = (key: string, fields: { orderId?: string; messageId?: string } = {}) => ({
    idempotencyKey: `${key}/conversion`,
    customerId,
    journey: 'review-request',
    workflowId: `review-request:${customerId}`,
    revenue: 0,
    occurredAt: at(DAY).toISOString(),
    ...fields,
  });

  it('writes one goal conversion per idempotencyKey, with no revenue, currency or order', async () => {
    const review = await message('review-request', { sentAt: at(0), convertsUntil: null });
    const orderId = await order('reviewed', at(-DAY));

    const first = await activities().recordConversion(goal('run-1', { orderId, messageId: review.id }));
    const again = await activities().recordConversion(goal('run-1', { orderId, messageId: review.id }));
    await activities().recordConversion(goal('run-2'));
    expect(again).toEqual(first);

    const rows = await db.conversion.findMany({ where: { customerId }, orderBy: { idempotencyKey: 'asc' } });
    expect(rows.map((c) => [c.idempotencyKey, c.orderId, c.messageId, c.revenue, c.currency])).toEqual([
      ['run-1/conversion', null, review.id, null, null],
      ['run-2/conversion', null, null, null, null],
    ]);
    expect(first).toEqual({ conversionId: rows[0].id, attributedTo: `review-request:${customerId}` });
  });

  it('with an orderId and a currency, attributes the order by last touch, with the stored total and currency, not the event’s', async () => {
    const cart = await message('cart-reminder', { sentAt: at(0), convertsUntil: at(7 * DAY) });
    const browse = await message('browse-abandonment', { sentAt: at(HOUR), convertsUntil: at(7 * DAY) });
    const orderId = await order('a', at(2 * HOUR), '12345.6789', 'USD');

    // The cart reminder's run asks, naming its own message and what its event said.
    const answer = await activities().recordConversion({
      idempotencyKey: 'cart-run/conversion',
      customerId,
      journey: 'cart-reminder',
      workflowId: cart.workflowId,
      orderId,
      messageId: cart.id,
      revenue: 12345.68,
      currency: 'KRW',
      occurredAt: at(2 * HOUR).toISOString(),
    });
    const rows = await conversionsOf(orderId);
    expect(rows).toHaveLength(1);
    expect(answer).toEqual({ conversionId: rows[0].id, attributedTo: browse.workflowId });
    expect([rows[0].messageId, rows[0].revenue?.toFixed(), rows[0].currency]).toEqual([browse.id, '12345.6789', 'USD']);
  });
});

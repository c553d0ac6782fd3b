import { describe, expect, it } from 'vitest';
import { ApiError, formatPath, parseOrThrow } from '../../src/api/errors';
import { eventBatchSchema, eventSchema } from '../../src/api/events/schema';

const fieldsOf = (value: unknown, schema: typeof eventSchema | typeof eventBatchSchema = eventSchema): string[] => {
  try {
    parseOrThrow(schema, value);
  } catch (error) {
    if (error instanceof ApiError) return (error.details as { field: string }[]).map((d) => d.field);
    throw error;
  }
  throw new Error('expected a validation error');
};

describe('event schema', () => {
  it('accepts every documented type and unknown ones', () => {
    const events = [
      { type: 'page_viewed', anonymousId: 'v-1', properties: { path: '/' } },
      { type: 'cart_updated', customerId: 'c-1', properties: { items: [{ productId: 'p-1', price: 10 }], value: 10 } },
      { type: 'order_completed', customerId: 'c-1', occurredAt: '2026-11-23T09:00:00+09:00', properties: { orderId: 'o-1', total: 10, currency: 'KRW', items: [] } },
      { type: 'order_delivered', customerId: 'c-1', properties: { orderId: 'o-1' } },
      { type: 'review_submitted', customerId: 'c-1', properties: { orderId: 'o-1', rating: 5 } },
      { id: 'custom-1', type: 'wishlist_added', customerId: 'c-1', properties: { anything: ['goes'] } },
    ];
    for (const event of events) expect(eventSchema.safeParse(event).success, event.type).toBe(true);
  });

  it('fills defaults and keeps extra properties', () => {
    const parsed = eventSchema.parse({ type: 'cart_updated', customerId: 'c-1', properties: { items: [{ productId: 'p-1' }], value: 0, coupon: 'X' } });
    expect(parsed.properties).toEqual({ items: [{ productId: 'p-1', quantity: 1, price: '0' }], value: '0', coupon: 'X' });
  });

  it('reads amounts exactly, as numbers or decimal strings, into decimal strings', () => {
    const parsed = eventSchema.parse({
      type: 'order_completed',
      customerId: 'c-1',
      properties: { orderId: 'o-1', total: 0.3, currency: 'USD', discount: '0.10', items: [{ productId: 'p-1', price: 0.1 }, { productId: 'p-2', price: '0.2' }] },
    });
    expect(parsed.properties).toMatchObject({ total: '0.3', discount: '0.1', items: [{ price: '0.1' }, { price: '0.2' }] });
    for (const total of [-1, '1e3', 0.00001, '12.34567', 'lots', 1e16]) {
      expect(fieldsOf({ type: 'order_completed', customerId: 'c-1', properties: { orderId: 'o-1', total, currency: 'KRW', items: [] } }), String(total)).toEqual(['properties.total']);
    }
  });

  it('names the field and the problem', () => {
    expect(fieldsOf({ type: 'page_viewed' })).toEqual(['customerId']);
    expect(fieldsOf({ type: 'cart_updated', anonymousId: 'v-1', properties: { items: [], value: 1 } })).toEqual(['customerId']);
    expect(fieldsOf({ type: 'order_completed', customerId: 'c-1', properties: { orderId: 'o-1', total: 'ten', currency: 'won', items: [] } }).sort()).toEqual([
      'properties.currency',
      'properties.total',
    ]);
    expect(fieldsOf({ type: 'page_viewed', customerId: 'c-1', occurredAt: 'yesterday' })).toEqual(['occurredAt']);
    expect(fieldsOf({ type: 'Page Viewed', customerId: 'c-1' })).toEqual(['type']);
    expect(fieldsOf({ type: 'page_viewed', customerId: 'c 1' })).toEqual(['customerId']);
    expect(fieldsOf({ type: 'page_viewed', customerId: 'c-1', extra: true })).toEqual(['(body)']);
  });

  it('limits batches to 1–500 events and points into the batch', () => {
    expect(fieldsOf({ events: [] }, eventBatchSchema)).toEqual(['events']);
    expect(fieldsOf({ events: Array.from({ length: 501 }, () => ({ type: 'page_viewed', anonymousId: 'v' })) }, eventBatchSchema)).toEqual(['events']);
    expect(fieldsOf({ events: [{ type: 'page_viewed', anonymousId: 'v' }, { type: 'BAD', anonymousId: 'v' }] }, eventBatchSchema)).toEqual(['events[1].type']);
    expect(eventBatchSchema.safeParse({ events: Array.from({ length: 500 }, () => ({ type: 'page_viewed', anonymousId: 'v' })) }).success).toBe(true);
  });

  it('formats paths and errors the way the API answers', () => {
    expect(formatPath(['events', 2, 'properties', 'total'])).toBe('events[2].properties.total');
    expect(formatPath([])).toBe('');
    try {
      parseOrThrow(eventSchema, { type: 'page_viewed' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ApiError);
      expect(error).toMatchObject({ status: 400, code: 'invalid_request', message: 'customerId: one of customerId or anonymousId is required' });
    }
  });
});

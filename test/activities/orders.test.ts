// The journeys' order lookups, against hand-made orders.
import { beforeAll, describe, expect, it } from 'vitest';
import { createOrderActivities } from '../../activities/orders';
import { useTestDatabase } from '../helpers/use-database';

const database = useTestDatabase('orders');
beforeAll(async () => {
  const { db } = database;
  await db.customer.create({ data: { id: 'c-orders' } });
  for (const [id, at] of [['o-1', '2026-11-01T00:00:00Z'], ['o-2', '2026-11-10T00:00:00Z'], ['o-3', '2026-11-20T00:00:00Z']]) {
    await db.order.create({ data: { id, customerId: 'c-orders', total: '1000', currency: 'KRW', occurredAt: new Date(at) } });
  }
});

const activities = () => createOrderActivities({ db: database.db, pool: database.pool, providers: {} as never, messaging: {} as never });

describe('countOrders', () => {
  it('counts the orders completed strictly before the given time', async () => {
    expect(await activities().countOrders({ customerId: 'c-orders', before: '2026-11-10T00:00:00Z' })).toBe(1);
    expect(await activities().countOrders({ customerId: 'c-orders', before: '2026-11-10T00:00:00.001Z' })).toBe(2);
    expect(await activities().countOrders({ customerId: 'c-orders', before: '2027-01-01T00:00:00Z' })).toBe(3);
    expect(await activities().countOrders({ customerId: 'nobody', before: '2027-01-01T00:00:00Z' })).toBe(0);
  });
});

describe('firstOrderBetween', () => {
  it('answers the first order in (after, before]', async () => {
    expect(await activities().firstOrderBetween({ customerId: 'c-orders', after: '2026-11-01T00:00:00Z', before: '2026-11-20T00:00:00Z' })).toEqual({
      orderId: 'o-2',
      total: '1000',
      currency: 'KRW',
      occurredAt: '2026-11-10T00:00:00.000Z',
    });
    expect(await activities().firstOrderBetween({ customerId: 'c-orders', after: '2026-11-20T00:00:00Z', before: '2027-01-01T00:00:00Z' })).toBeNull();
  });
});

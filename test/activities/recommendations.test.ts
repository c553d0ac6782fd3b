// Upsell recommendations: one aggregate query over order items, against hand-made orders.
import { beforeAll, describe, expect, it } from 'vitest';
import { createRecommendationActivities } from '../../activities/recommendations';
import { OutboxProvider } from '../../src/channels/outbox';
import { useTestDatabase } from '../helpers/use-database';

const database = useTestDatabase('recommendations');
beforeAll(async () => {
  const { db } = database;
  const orders: [string, string, string[]][] = [
    ['c-a', 'o-a', ['p-shirt', 'p-socks', 'p-hat']],
    ['c-b', 'o-b', ['p-shirt', 'p-socks']],
    ['c-c', 'o-c', ['p-shirt', 'p-belt']],
    ['c-d', 'o-d', ['p-tie', 'p-cufflinks']], // nothing in common with the target's order
    ['c-target', 'o-old', ['p-belt']],
    ['c-target', 'o-target', ['p-shirt']],
    ['c-target', 'o-target-2', ['p-shirt']], // the customer's own orders never count
  ];
  for (const [customerId, id, products] of orders) {
    await db.customer.upsert({ where: { id: customerId }, create: { id: customerId }, update: {} });
    await db.order.create({
      data: { id, customerId, total: '1000', currency: 'KRW', occurredAt: new Date(), items: { create: products.map((productId) => ({ productId, name: productId.slice(2), price: '500', currency: 'KRW' })) } },
    });
  }
});

const activities = () => createRecommendationActivities({ db: database.db, pool: database.pool, providers: { default: new OutboxProvider(database.db) }, messaging: {} as never });

describe('recommendProducts', () => {
  it('ranks what other customers bought with the purchased products, without what this customer owns', async () => {
    expect(await activities().recommendProducts({ customerId: 'c-target', orderId: 'o-target', limit: 5 })).toEqual([
      { productId: 'p-socks', name: 'socks', boughtTogether: 2 },
      { productId: 'p-hat', name: 'hat', boughtTogether: 1 },
    ]);
  });

  it('respects the limit, and answers nothing for an order nobody else shares', async () => {
    expect(await activities().recommendProducts({ customerId: 'c-target', orderId: 'o-target', limit: 1 })).toEqual([{ productId: 'p-socks', name: 'socks', boughtTogether: 2 }]);
    expect(await activities().recommendProducts({ customerId: 'c-d', orderId: 'o-d', limit: 5 })).toEqual([]);
  });
});

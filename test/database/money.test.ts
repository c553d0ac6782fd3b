// Money is exact: numeric(19,4) with its currency, summed in the database or with decimals,
// never with floats. The sums below come out wrong with JavaScript numbers.
import { describe, expect, it } from 'vitest';
import { getCustomer } from '../../src/api/customers/service';
import { sumByCurrency } from '../../src/money';
import { useTestDatabase } from '../helpers/use-database';

const database = useTestDatabase('money');

describe('money', () => {
  it('sums 0.1 + 0.2 USD to exactly 0.3, per currency, never mixing currencies', async () => {
    expect(0.1 + 0.2).not.toBe(0.3); // what a float column would have stored
    await database.db.customer.create({ data: { id: 'c-usd' } });
    for (const [id, total, currency] of [['o-usd-1', '0.1', 'USD'], ['o-usd-2', '0.2', 'USD'], ['o-krw-1', '30000', 'KRW']]) {
      await database.db.order.create({ data: { id, customerId: 'c-usd', total, currency, occurredAt: new Date() } });
    }
    const customer = await getCustomer(database.db, 'c-usd');
    expect(customer.orders).toMatchObject({
      count: 3,
      revenue: [
        { amount: '30000', currency: 'KRW' },
        { amount: '0.3', currency: 'USD' },
      ],
    });
  });

  it('sums the costs of 3,040 FriendTalk messages to exactly 9,324 KRW (the reference campaign)', async () => {
    // 2,600 messages at 3.07 and 440 at 3.05 KRW: 7,982 + 1,342 = 9,324.
    const costs = [...Array<string>(2600).fill('3.07'), ...Array<string>(440).fill('3.05')];
    expect(costs.reduce((sum, cost) => sum + Number(cost), 0)).not.toBe(9324); // floats drift
    await database.db.customer.create({ data: { id: 'c-campaign' } });
    await database.db.message.createMany({
      data: costs.map((cost, i) => ({
        idempotencyKey: `campaign:ref/run/${i}`,
        customerId: 'c-campaign',
        journey: 'campaign',
        workflowId: 'campaign:ref',
        step: `recipient-${i}`,
        channel: 'kakao' as const,
        variant: 'friendtalk',
        purpose: 'marketing' as const,
        content: '(광고) …',
        status: 'sent' as const,
        cost,
        costCurrency: 'KRW',
      })),
    });
    const total = await database.db.message.aggregate({ where: { workflowId: 'campaign:ref' }, _sum: { cost: true }, _count: true });
    expect(total._count).toBe(3040);
    expect(total._sum.cost?.toFixed()).toBe('9324');
    const rows = await database.db.message.findMany({ where: { workflowId: 'campaign:ref' }, select: { cost: true, costCurrency: true } });
    expect(sumByCurrency(rows.map((r) => ({ amount: r.cost, currency: r.costCurrency })))).toEqual([{ amount: '9324', currency: 'KRW' }]);
  });

  it('refuses a negative amount or a malformed currency in the database itself', async () => {
    await database.db.customer.create({ data: { id: 'c-bad-money' } });
    await expect(database.db.order.create({ data: { id: 'o-neg', customerId: 'c-bad-money', total: '-1', currency: 'KRW', occurredAt: new Date() } })).rejects.toThrow(/Order_money_check/);
    await expect(database.db.order.create({ data: { id: 'o-cur', customerId: 'c-bad-money', total: '1', currency: 'krw', occurredAt: new Date() } })).rejects.toThrow(/Order_money_check/);
  });
});

import type { ActivityDeps } from '.';
import type { CompletedOrder } from '../workflows/kit';

export function createOrderActivities({ db }: ActivityDeps) {
  return {
    /** Orders the customer completed before `before` (ISO-8601). */
    async countOrders({ customerId, before }: { customerId: string; before: string }): Promise<number> {
      return db.order.count({ where: { customerId, occurredAt: { lt: new Date(before) } } });
    },

    /** The customer's first order in (after, before], if any. */
    async firstOrderBetween({ customerId, after, before }: { customerId: string; after: string; before: string }): Promise<CompletedOrder | null> {
      const order = await db.order.findFirst({ where: { customerId, occurredAt: { gt: new Date(after), lte: new Date(before) } }, orderBy: { occurredAt: 'asc' } });
      return order ? { orderId: order.id, total: order.total.toFixed(), currency: order.currency, occurredAt: order.occurredAt.toISOString() } : null;
    },
  };
}

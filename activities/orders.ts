import type { ActivityDeps } from '.';
import type { CompletedOrder } from '../workflows/kit';

export function createOrderActivities({ db, pool }: ActivityDeps) {
  return {
    /** Orders the customer completed before `before` (ISO-8601). Through pg: every cart reminder asks (a model count costs Prisma's client about 0.6 ms of CPU). */
    async countOrders({ customerId, before }: { customerId: string; before: string }): Promise<number> {
      const { rows } = await pool.query<{ orders: number }>(`SELECT count(*)::int AS orders FROM "Order" WHERE "customerId" = $1 AND "occurredAt" < $2::timestamptz`, [customerId, before]);
      return rows[0].orders;
    },

    /** The customer's first order in (after, before], if any. */
    async firstOrderBetween({ customerId, after, before }: { customerId: string; after: string; before: string }): Promise<CompletedOrder | null> {
      const order = await db.order.findFirst({ where: { customerId, occurredAt: { gt: new Date(after), lte: new Date(before) } }, orderBy: { occurredAt: 'asc' } });
      return order ? { orderId: order.id, total: order.total.toFixed(), currency: order.currency, occurredAt: order.occurredAt.toISOString() } : null;
    },
  };
}

import type { ActivityDeps } from '.';

export function createOrderActivities({ db }: ActivityDeps) {
  return {
    /** Orders the customer completed before `before` (ISO-8601). */
    async countOrders({ customerId, before }: { customerId: string; before: string }): Promise<number> {
      return db.order.count({ where: { customerId, occurredAt: { lt: new Date(before) } } });
    },
  };
}

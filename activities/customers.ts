import type { ActivityDeps } from '.';

export function createCustomerActivities({ db }: ActivityDeps) {
  return {
    /** Marks the account dormant (or active again). Idempotent: the same call twice changes nothing. */
    async setDormant({ customerId, dormant, at }: { customerId: string; dormant: boolean; at: string }): Promise<void> {
      await db.customer.updateMany({ where: { id: customerId }, data: { dormantAt: dormant ? new Date(at) : null } });
    },
  };
}

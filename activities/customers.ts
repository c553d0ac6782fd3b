import type { ActivityDeps } from '.';

export function createCustomerActivities({ db }: ActivityDeps) {
  return {
    /** Marks the account dormant (or active again). Idempotent: the same call twice changes nothing. */
    async setDormant({ customerId, dormant, at }: { customerId: string; dormant: boolean; at: string }): Promise<void> {
      await db.customer.updateMany({ where: { id: customerId }, data: { dormantAt: dormant ? new Date(at) : null } });
    },

    /** The customer's latest event (ISO-8601), kept by ingest: the dormancy watcher reads it instead of a signal per event. */
    async lastSeen({ customerId }: { customerId: string }): Promise<string | null> {
      const customer = await db.customer.findUnique({ where: { id: customerId }, select: { lastSeenAt: true } });
      return customer?.lastSeenAt?.toISOString() ?? null;
    },
  };
}

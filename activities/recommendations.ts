import type { ActivityDeps } from '.';

export interface RecommendedProduct {
  productId: string;
  name: string | null;
  /** How many other customers bought it together with one of the purchased products. */
  boughtTogether: number;
}

export function createRecommendationActivities({ db }: ActivityDeps) {
  return {
    /**
     * Products other customers bought in the same order as one of this order's products,
     * most co-purchased first, excluding anything this customer has already bought.
     */
    async recommendProducts({ customerId, orderId, limit }: { customerId: string; orderId: string; limit: number }): Promise<RecommendedProduct[]> {
      const purchased = await db.orderItem.findMany({ where: { orderId }, select: { productId: true } });
      if (purchased.length === 0) return [];
      const owned = await db.orderItem.findMany({ where: { order: { customerId } }, select: { productId: true }, distinct: ['productId'] });
      const ownedIds = owned.map((item) => item.productId);
      const coOrders = await db.orderItem.findMany({
        where: { productId: { in: purchased.map((item) => item.productId) }, order: { customerId: { not: customerId } } },
        select: { orderId: true },
        distinct: ['orderId'],
      });
      if (coOrders.length === 0) return [];
      const together = await db.orderItem.groupBy({
        by: ['productId'],
        where: { orderId: { in: coOrders.map((o) => o.orderId) }, productId: { notIn: ownedIds } },
        _count: { orderId: true },
        orderBy: [{ _count: { orderId: 'desc' } }, { productId: 'asc' }],
        take: limit,
      });
      const names = await db.orderItem.findMany({
        where: { productId: { in: together.map((t) => t.productId) }, name: { not: null } },
        select: { productId: true, name: true },
        distinct: ['productId'],
      });
      return together.map((t) => ({
        productId: t.productId,
        name: names.find((n) => n.productId === t.productId)?.name ?? null,
        boughtTogether: t._count.orderId,
      }));
    },

    /** The customer's first order in [after, before) containing one of the products, if any. */
    async findOrderWithProducts({ customerId, productIds, after, before }: { customerId: string; productIds: string[]; after: string; before: string }) {
      const order = await db.order.findFirst({
        where: { customerId, occurredAt: { gte: new Date(after), lt: new Date(before) }, items: { some: { productId: { in: productIds } } } },
        orderBy: { occurredAt: 'asc' },
      });
      return order ? { orderId: order.id, total: order.total, currency: order.currency, occurredAt: order.occurredAt.toISOString() } : null;
    },
  };
}

import type { ActivityDeps } from '.';

export interface RecommendedProduct {
  productId: string;
  name: string | null;
  /** In how many other customers' orders it was bought together with one of the purchased products. */
  boughtTogether: number;
}

export function createRecommendationActivities({ db }: ActivityDeps) {
  return {
    /**
     * Products other customers bought in the same order as one of this order's products,
     * most co-purchased first, excluding anything this customer has already bought. One
     * aggregate query: nothing but the answer leaves the database.
     */
    async recommendProducts({ customerId, orderId, limit }: { customerId: string; orderId: string; limit: number }): Promise<RecommendedProduct[]> {
      return db.$queryRaw<RecommendedProduct[]>`
        WITH purchased AS (
          SELECT DISTINCT "productId" FROM "OrderItem" WHERE "orderId" = ${orderId}
        ), owned AS (
          SELECT DISTINCT i."productId" FROM "OrderItem" i JOIN "Order" o ON o.id = i."orderId" WHERE o."customerId" = ${customerId}
        ), co_orders AS (
          SELECT DISTINCT i."orderId" FROM "OrderItem" i JOIN "Order" o ON o.id = i."orderId"
          WHERE i."productId" IN (SELECT "productId" FROM purchased) AND o."customerId" <> ${customerId}
        )
        SELECT i."productId", max(i.name) AS name, count(DISTINCT i."orderId")::int AS "boughtTogether"
        FROM "OrderItem" i JOIN co_orders c ON c."orderId" = i."orderId"
        WHERE i."productId" NOT IN (SELECT "productId" FROM owned)
        GROUP BY i."productId"
        ORDER BY "boughtTogether" DESC, i."productId" ASC
        LIMIT ${limit}`;
    },

    /** The customer's first order in [after, before) containing one of the products, if any. */
    async findOrderWithProducts({ customerId, productIds, after, before }: { customerId: string; productIds: string[]; after: string; before: string }) {
      const order = await db.order.findFirst({
        where: { customerId, occurredAt: { gte: new Date(after), lt: new Date(before) }, items: { some: { productId: { in: productIds } } } },
        orderBy: { occurredAt: 'asc' },
      });
      return order ? { orderId: order.id, total: order.total.toFixed(), currency: order.currency, occurredAt: order.occurredAt.toISOString() } : null;
    },
  };
}

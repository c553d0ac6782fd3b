import type { ActivityDeps } from '.';
import { sqlRows } from '../src/db';
import { Prisma } from '../src/generated/prisma/client';

export interface RecommendedProduct {
  productId: string;
  name: string | null;
  /** In how many other customers' orders it was bought together with one of the purchased products. */
  boughtTogether: number;
}

export function createRecommendationActivities({ db, pool }: ActivityDeps) {
  return {
    /**
     * Products other customers bought in the same order as one of this order's products,
     * most co-purchased first, excluding anything this customer has already bought. One
     * aggregate query: nothing but the answer leaves the database. The orders sharing a product
     * come from the GIN index on "Order"."productIds" and are counted from those arrays, never
     * joined to their items; a product's name is the greatest its order items recorded.
     */
    async recommendProducts({ customerId, orderId, limit }: { customerId: string; orderId: string; limit: number }): Promise<RecommendedProduct[]> {
      return sqlRows<RecommendedProduct>(
        pool,
        Prisma.sql`
          WITH owned AS (
            SELECT DISTINCT unnest("productIds") AS "productId" FROM "Order" WHERE "customerId" = ${customerId}
          ), together AS (
            SELECT p AS "productId", count(*)::int AS "boughtTogether"
            FROM "Order" o CROSS JOIN LATERAL unnest(o."productIds") AS p
            WHERE o."productIds" && (SELECT "productIds" FROM "Order" WHERE id = ${orderId})
              AND o."customerId" <> ${customerId}
              AND p NOT IN (SELECT "productId" FROM owned)
            GROUP BY p
            ORDER BY "boughtTogether" DESC, p ASC
            LIMIT ${limit}
          )
          SELECT t."productId", (SELECT max(i.name) FROM "OrderItem" i WHERE i."productId" = t."productId") AS name, t."boughtTogether"
          FROM together t
          ORDER BY t."boughtTogether" DESC, t."productId" ASC`,
      );
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

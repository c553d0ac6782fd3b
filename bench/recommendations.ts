// The upsell's recommendations ("bought together") over a generated order base, against the
// statement they replaced, measured in the same run on the same database: that one joined every
// order's items (OrderItem, twice, and Order) on each call; the activity now finds the orders
// sharing a product in the GIN index on "Order"."productIds" and counts from those arrays.
//
//   npm run bench:recommendations [-- orders=200000 products=2000 calls=300]
//
// Runs on a private embedded PostgreSQL. Orders have one to three items; products are drawn
// with a skew (low numbers sell most), so a bestseller is in many orders. Each call asks for a
// random order's customer and order, as the upsell does; both statements must give the same
// answer (checked for every call).
import { createRecommendationActivities, type RecommendedProduct } from '../activities/recommendations';
import { OutboxProvider } from '../src/channels/outbox';
import { createDb, createPool } from '../src/db';
import { createTestDatabase } from '../test/helpers/database';

const arg = (name: string, fallback: number) => Number(process.argv.find((a) => a.startsWith(`${name}=`))?.split('=')[1] ?? fallback);
const ORDERS = arg('orders', 200_000);
const PRODUCTS = arg('products', 2_000);
const CALLS = arg('calls', 300);
const LIMIT = 3;

/** The statement recommendProducts ran until 2026-12-03 (activities/recommendations.ts). */
const JOINED_ITEMS_SQL = `
  WITH purchased AS (
    SELECT DISTINCT "productId" FROM "OrderItem" WHERE "orderId" = $2
  ), owned AS (
    SELECT DISTINCT i."productId" FROM "OrderItem" i JOIN "Order" o ON o.id = i."orderId" WHERE o."customerId" = $1
  ), co_orders AS (
    SELECT DISTINCT i."orderId" FROM "OrderItem" i JOIN "Order" o ON o.id = i."orderId"
    WHERE i."productId" IN (SELECT "productId" FROM purchased) AND o."customerId" <> $1
  )
  SELECT i."productId", max(i.name) AS name, count(DISTINCT i."orderId")::int AS "boughtTogether"
  FROM "OrderItem" i JOIN co_orders c ON c."orderId" = i."orderId"
  WHERE i."productId" NOT IN (SELECT "productId" FROM owned)
  GROUP BY i."productId"
  ORDER BY "boughtTogether" DESC, i."productId" ASC
  LIMIT $3`;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const mean = (values: number[]) => values.reduce((sum, v) => sum + v, 0) / values.length;

async function main() {
  const customers = Math.max(1, Math.floor(ORDERS / 3));
  console.log(`Generating ${ORDERS} orders of ${customers} customers over ${PRODUCTS} products in an embedded PostgreSQL…`);
  const database = await createTestDatabase('bench-recommendations', { ownServer: true });
  const pool = createPool(database.url, { size: 2, connectTimeoutMs: 10_000 });
  const db = createDb(database.url);
  try {
    await pool.query(`INSERT INTO "Customer" (id, "updatedAt") SELECT 'c-' || n, now() FROM generate_series(1, $1::int) AS n`, [customers]);
    // Item k of order n (k < 1 + n % 3): product floor(PRODUCTS * r^2) for a hash r in [0, 1),
    // so low product numbers sell most. Items first (in a scratch table), then the orders with
    // their distinct products, then the items themselves: the trigger finds nothing to change.
    await pool.query(
      `CREATE TEMP TABLE items AS
       SELECT n, k, 'p-' || floor($2::int * power(((n * 7919 + k * 104729) % 1000003) / 1000003.0, 2))::int AS product
       FROM generate_series(1, $1::int) AS n, generate_series(0, 2) AS k WHERE k < 1 + n % 3`,
      [ORDERS, PRODUCTS],
    );
    await pool.query(
      `INSERT INTO "Order" (id, "customerId", total, currency, "occurredAt", "productIds")
       SELECT 'o-' || n, 'c-' || (1 + (n * 31) % $1::int), 10000, 'KRW', now() - make_interval(mins => n % 100000), array_agg(DISTINCT product ORDER BY product)
       FROM pg_temp.items GROUP BY n`,
      [customers],
    );
    await pool.query(
      `INSERT INTO "OrderItem" (id, "orderId", "productId", name, quantity, price, currency)
       SELECT 'i-' || n || '-' || k, 'o-' || n, product, 'Product ' || product, 1, 10000, 'KRW' FROM pg_temp.items`,
    );
    await pool.query('VACUUM ANALYZE');
    const { rows: samples } = await pool.query<{ customerId: string; orderId: string }>(
      `SELECT "customerId", id AS "orderId" FROM "Order" ORDER BY md5(id) LIMIT $1`,
      [CALLS],
    );

    const activity = createRecommendationActivities({ db, pool, providers: { default: new OutboxProvider(db) }, messaging: {} as never });
    const joined = async (customerId: string, orderId: string) => (await pool.query<RecommendedProduct>(JOINED_ITEMS_SQL, [customerId, orderId, LIMIT])).rows;
    const timed = async <T>(work: () => Promise<T>): Promise<[T, number]> => {
      const started = process.hrtime.bigint();
      const result = await work();
      return [result, Number(process.hrtime.bigint() - started) / 1e6];
    };
    // One untimed round of each first: both find the same pages in cache.
    for (const { customerId, orderId } of samples.slice(0, 20)) {
      await joined(customerId, orderId);
      await activity.recommendProducts({ customerId, orderId, limit: LIMIT });
    }
    const before: number[] = [];
    const after: number[] = [];
    for (const { customerId, orderId } of samples) {
      const [old, oldMs] = await timed(() => joined(customerId, orderId));
      const [now, nowMs] = await timed(() => activity.recommendProducts({ customerId, orderId, limit: LIMIT }));
      if (JSON.stringify(now) !== JSON.stringify(old)) throw new Error(`different answers for ${orderId}: ${JSON.stringify(now)} against ${JSON.stringify(old)}`);
      before.push(oldMs);
      after.push(nowMs);
    }
    console.log('');
    console.log(`Recommendations over ${ORDERS} orders, ${PRODUCTS} products, ${CALLS} calls (same answers), ${new Date().toISOString().slice(0, 10)}, ${(await import('node:os')).cpus().length} cores`);
    console.log('| statement | median ms | mean ms | × baseline (mean) |');
    console.log('|---|---|---|---|');
    console.log(`| baseline: every order's items joined | ${median(before).toFixed(2)} | ${mean(before).toFixed(2)} | 1.00 |`);
    console.log(`| Order.productIds through its GIN index | ${median(after).toFixed(2)} | ${mean(after).toFixed(2)} | ${(mean(after) / mean(before)).toFixed(2)} |`);
  } finally {
    await db.$disconnect();
    await pool.end();
    await database.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

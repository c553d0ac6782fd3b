// A synthetic customer base generated inside PostgreSQL (INSERT … SELECT generate_series: no
// rows travel through Node), for the segment EXPLAIN test and the RFM / segment benchmarks.
// Deterministic: customer n's attributes, events and orders follow from n.
import type pg from 'pg';

export interface BaseSize {
  customers: number;
  /** page_viewed events, spread over the most active fifth of customers and the last 90 days. */
  events: number;
  /** Orders (one item each), spread over every customer and the last 2 years. */
  orders: number;
}

const CITIES = ['Seoul', 'Busan', 'Incheon', 'Daegu', 'Daejeon', 'Gwangju', 'Suwon', 'Ulsan', 'Changwon', 'Seongnam'];
const CATEGORIES = ['shoes', 'socks', 'coats', 'shirts', 'bags', 'hats', 'belts', 'scarves'];

/**
 * Fills an empty database, then VACUUM ANALYZEs it, as autovacuum would.
 * `now` anchors every time. Reports each table as it is done.
 */
export async function generateBase(
  client: pg.Pool | pg.PoolClient,
  size: BaseSize,
  { now = new Date(), log = () => undefined }: { now?: Date; log?: (line: string) => void } = {},
): Promise<void> {
  const at = now.toISOString();
  await client.query(
    `INSERT INTO "Customer" (id, email, name, locale, timezone, attributes, "lastSeenAt", "createdAt", "updatedAt")
     SELECT 'c-' || lpad(n::text, 8, '0'), 'c' || n || '@example.com', 'Customer ' || n,
            CASE WHEN n % 5 = 0 THEN 'en' ELSE 'ko' END, 'Asia/Seoul',
            jsonb_build_object('city', ($2::text[])[1 + n % 10], 'age', 18 + n % 60, 'gender', CASE WHEN n % 2 = 0 THEN 'f' ELSE 'm' END,
                               'interests', jsonb_build_array(($3::text[])[1 + n % 8], ($3::text[])[1 + (n / 8) % 8])),
            $4::timestamptz - make_interval(days => (n % 400)::int), $4::timestamptz - make_interval(days => (400 + n % 300)::int), $4::timestamptz
     FROM generate_series(1::bigint, $1::bigint) AS n`,
    [size.customers, CITIES, CATEGORIES, at],
  );
  log(`  customers: ${size.customers}`);
  await client.query(
    `INSERT INTO "Event" (id, "idempotencyKey", type, "customerId", "occurredAt", properties)
     SELECT 'e-' || n, 'e-' || n, 'page_viewed', 'c-' || lpad((1 + (n * 7919) % greatest($2::int / 5, 1))::text, 8, '0'),
            $3::timestamptz - make_interval(mins => ((n * 37) % (90 * 1440))::int),
            jsonb_build_object('path', CASE WHEN n % 3 = 0 THEN '/sale' ELSE '/p/' || (n % 500) END)
     FROM generate_series(1::bigint, $1::bigint) AS n`,
    [size.events, size.customers, at],
  );
  log(`  events: ${size.events}`);
  // Orders spread over every customer (about orders / customers each), amounts vary by n.
  await client.query(
    // With its one product in "productIds" already, as ingest writes it: the trigger that keeps
    // the array (migration order_product_ids) then has no order to rewrite.
    `INSERT INTO "Order" (id, "customerId", total, currency, "occurredAt", "createdAt", "productIds")
     SELECT 'o-' || n, 'c-' || lpad((1 + (n * 104729) % $2::int)::text, 8, '0'),
            (5000 + (n * 7717) % 295000)::numeric, 'KRW', $3::timestamptz - make_interval(mins => ((n * 53) % (730 * 1440))::int), $3::timestamptz,
            ARRAY['p-' || (n % 2000)]
     FROM generate_series(1::bigint, $1::bigint) AS n`,
    [size.orders, size.customers, at],
  );
  await client.query(
    `INSERT INTO "OrderItem" (id, "orderId", "productId", name, category, quantity, price, currency)
     SELECT 'i-' || n, 'o-' || n, 'p-' || (n % 2000), 'Product ' || (n % 2000), ($2::text[])[1 + n % 8], 1, (5000 + (n * 7717) % 295000)::numeric, 'KRW'
     FROM generate_series(1::bigint, $1::bigint) AS n`,
    [size.orders, CATEGORIES],
  );
  log(`  orders: ${size.orders}`);
  // As autovacuum keeps a live database: statistics for the planner, and the visibility map that
  // lets index-only scans skip the table (a bulk load leaves it empty).
  await client.query('VACUUM ANALYZE');
  // A live database checkpointed the load long ago: else the first statement that writes (the
  // RFM scoring) pays for writing out the load's dirty pages, and a read-only one does not.
  await client.query('CHECKPOINT');
}

// Accepting events: one transaction per request stores each event once (by idempotency key)
// with what it implies — the customer's stub and last-seen time, the order, the visitor link —
// and the deliveries to its journeys (the outbox the dispatcher drains). Temporal is not
// involved: 202 means stored, and delivery follows in the background (src/dispatch).
//
// This is the hot path, so it speaks SQL through `pg` directly, a handful of set-based
// statements per request whatever the batch size (Prisma's per-query overhead was most of
// the cost of a single event).
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { Config } from '../../config';
import { inTransaction, type SqlClient } from '../../db';
import { planDeliveries, type PlannedDelivery } from '../../routing/plan';
import type { EventInput } from './schema';
import { eventsAccepted, eventsDuplicate } from '../../metrics';

export interface IngestDeps {
  /** A pool on the app database, for ingest. */
  pool: pg.Pool;
  config: Config;
}

export interface IngestResult {
  accepted: number;
  duplicates: number;
}

/** The channel the dispatcher LISTENs on: a committed batch with deliveries wakes it at once. */
export const DELIVERY_CHANNEL = 'crm_event_deliveries';

interface OrderProperties {
  orderId: string;
  total: string;
  currency: string;
  coupon?: string;
  discount?: string;
  items: { productId: string; name?: string; category?: string; quantity: number; price: string }[];
}

interface Row {
  id: string;
  input: EventInput;
  occurredAt: Date;
}

/** When the event happened: as sent, or now if unsent — or dated in the future (a client's clock). */
function occurredAtOf(input: EventInput, now: Date): Date {
  return input.occurredAt && Date.parse(input.occurredAt) < now.getTime() ? new Date(input.occurredAt) : now;
}

/** Deadlocks between two batches locking customers in different orders are retried. */
const RETRIED_SQLSTATES = new Set(['40P01', '40001']);

/** Stores a validated batch, in order, all or nothing. */
export async function ingestEvents(deps: IngestDeps, events: EventInput[], now: Date = new Date(), { requestId }: { requestId?: string } = {}): Promise<IngestResult> {
  const result = await store(deps, events, now, requestId);
  countIngested(events, result);
  return result;
}

async function store(deps: IngestDeps, events: EventInput[], now: Date, requestId: string | undefined): Promise<IngestResult> {
  if (events.length === 1 && isPlain(events[0])) return storePlainEvent(deps, events[0], now, requestId);
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await inTransaction(deps.pool, (client) => storeEvents(client, deps.config, events, now, { requestId }));
    } catch (error) {
      if (attempt < 3 && RETRIED_SQLSTATES.has((error as { code?: string }).code ?? '')) continue;
      throw error;
    }
  }
}

/** Metrics by event type; when a batch holds duplicates, the first events of each type are taken as the stored ones (the counts per batch are exact, the split by type close). */
function countIngested(events: EventInput[], { accepted, duplicates }: IngestResult): void {
  if (duplicates === 0) for (const event of events) eventsAccepted.inc({ type: event.type });
  else if (accepted === 0) for (const event of events) eventsDuplicate.inc({ type: event.type });
  else events.forEach((event, index) => (index < accepted ? eventsAccepted : eventsDuplicate).inc({ type: event.type }));
}

export interface StoreOptions {
  /**
   * Whether the events are the customers' own activity (default): they update `lastSeenAt`
   * (the dormancy clock), make a stub of an unknown customer and may start the dormancy
   * watcher. Events the system records about a customer it has (`consent_changed`) do none
   * of that.
   */
  activity?: boolean;
  /** The API request that brought the events (X-Request-Id), kept with them for the log. */
  requestId?: string;
}

/**
 * Stores events with what they imply and their planned journey deliveries, inside the
 * caller's transaction (which it neither begins nor ends).
 */
export async function storeEvents(client: SqlClient, config: Config, events: EventInput[], now: Date, { activity = true, requestId }: StoreOptions = {}): Promise<IngestResult> {
  const rows: Row[] = events.map((input) => ({
    id: randomUUID(),
    input,
    occurredAt: occurredAtOf(input, now),
  }));

  // 1. The events, once per idempotency key (a repeat, in this batch or ever, is a duplicate).
  const inserted = await client.query<{ id: string }>(
    `INSERT INTO "Event" (id, "idempotencyKey", type, "customerId", "anonymousId", "occurredAt", properties, "requestId")
     SELECT *, $8::text FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::jsonb[])
     ON CONFLICT ("idempotencyKey") DO NOTHING RETURNING id`,
    [
      rows.map((r) => r.id),
      rows.map((r) => r.input.id ?? r.id),
      rows.map((r) => r.input.type),
      rows.map((r) => r.input.customerId ?? null),
      rows.map((r) => r.input.anonymousId ?? null),
      rows.map((r) => r.occurredAt),
      rows.map((r) => JSON.stringify(r.input.properties)),
      requestId ?? null,
    ],
  );
  const insertedIds = new Set(inserted.rows.map((r) => r.id));
  const fresh = rows.filter((r) => insertedIds.has(r.id));
  if (fresh.length === 0) return { accepted: 0, duplicates: rows.length };

  // 2. Customers named by the events, when the events are their activity: a stub if new, and
  //    the latest time seen. Locked in id order, so concurrent batches queue rather than
  //    deadlock. RETURNING shows the dormancy columns as they were (this statement does not
  //    change them).
  const lastSeen = new Map<string, Date>();
  for (const row of fresh) {
    const id = row.input.customerId;
    if (id && (!lastSeen.has(id) || lastSeen.get(id)! < row.occurredAt)) lastSeen.set(id, row.occurredAt);
  }
  const customerIds = activity ? [...lastSeen.keys()].sort() : [];
  const customers = new Map<string, { dormantAt: Date | null; dormancyWatchedAt: Date | null }>();
  if (customerIds.length) {
    const upserted = await client.query<{ id: string; dormantAt: Date | null; dormancyWatchedAt: Date | null }>(
      `INSERT INTO "Customer" (id, "lastSeenAt", "updatedAt")
       SELECT id, seen, $3 FROM unnest($1::text[], $2::timestamptz[]) AS x(id, seen) ORDER BY id
       ON CONFLICT (id) DO UPDATE SET "lastSeenAt" = GREATEST("Customer"."lastSeenAt", EXCLUDED."lastSeenAt")
       RETURNING id, "dormantAt", "dormancyWatchedAt"`,
      [customerIds, customerIds.map((id) => lastSeen.get(id)), now],
    );
    for (const c of upserted.rows) customers.set(c.id, c);
  }

  // 3. A signup links the visitor: their anonymous history and on-site messages follow them.
  for (const row of fresh) {
    const { type, customerId, anonymousId } = row.input;
    if (type !== 'signed_up' || !customerId || !anonymousId) continue;
    await client.query(`INSERT INTO "VisitorLink" ("anonymousId", "customerId") VALUES ($1, $2) ON CONFLICT DO NOTHING`, [anonymousId, customerId]);
    await client.query(`UPDATE "Event" SET "customerId" = $2 WHERE "anonymousId" = $1 AND "customerId" IS NULL`, [anonymousId, customerId]);
    await client.query(`UPDATE "Message" SET "customerId" = $2 WHERE "visitorId" = $1 AND "customerId" IS NULL`, [anonymousId, customerId]);
  }

  // 4. An anonymous event of a visitor who signed up is their customer's activity too.
  const anonymous = activity ? fresh.filter((r) => !r.input.customerId && r.input.anonymousId) : [];
  if (anonymous.length) {
    await client.query(
      `UPDATE "Customer" c SET "lastSeenAt" = GREATEST(c."lastSeenAt", x.seen)
       FROM (SELECT l."customerId", max(a.seen) AS seen FROM unnest($1::text[], $2::timestamptz[]) AS a(anon, seen)
             JOIN "VisitorLink" l ON l."anonymousId" = a.anon GROUP BY l."customerId" ORDER BY l."customerId") x
       WHERE c.id = x."customerId"`,
      [anonymous.map((r) => r.input.anonymousId), anonymous.map((r) => r.occurredAt)],
    );
  }

  // 5. Orders: the first event naming an order id defines it; a resend changes nothing.
  const orders = fresh.filter((r) => r.input.type === 'order_completed' && r.input.customerId);
  if (orders.length) await storeOrders(client, orders);

  // 6. The deliveries, planned in order. The dormancy watcher is started by a customer's first
  //    event and woken when they come back from dormancy; otherwise it reads lastSeenAt.
  const watcherNeeded = new Map<string, boolean>();
  for (const [id, c] of customers) watcherNeeded.set(id, c.dormancyWatchedAt === null || (c.dormantAt !== null && c.dormantAt > c.dormancyWatchedAt));
  const deliveries: (PlannedDelivery & { eventId: string })[] = [];
  const watched = new Set<string>();
  for (const row of fresh) {
    const customerId = row.input.customerId;
    const dormancyWatcherNeeded = customerId !== undefined && watcherNeeded.get(customerId) === true;
    for (const delivery of planDeliveries({ ...row.input, occurredAt: row.occurredAt.toISOString() }, config, now, { dormancyWatcherNeeded })) {
      deliveries.push({ ...delivery, eventId: row.id });
      if (delivery.journey === 'dormancy' && customerId) {
        watcherNeeded.set(customerId, false);
        watched.add(customerId);
      }
    }
  }
  if (deliveries.length) {
    await client.query(
      `INSERT INTO "EventDelivery" ("eventId", journey, "workflowId", mode)
       SELECT e, j, w, m::"DeliveryMode" FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS x(e, j, w, m, n) ORDER BY n`,
      [deliveries.map((d) => d.eventId), deliveries.map((d) => d.journey), deliveries.map((d) => d.workflowId), deliveries.map((d) => d.mode)],
    );
    if (watched.size) await client.query(`UPDATE "Customer" SET "dormancyWatchedAt" = $2 WHERE id = ANY($1::text[])`, [[...watched], now]);
    // Delivered on commit only: the dispatcher never wakes for a batch that was rolled back.
    // (FROM: a column of type void is more than a Prisma transaction can read back.)
    await client.query(`SELECT 1 FROM pg_notify($1, '')`, [DELIVERY_CHANNEL]);
  }
  return { accepted: fresh.length, duplicates: rows.length - fresh.length };
}

/** Neither an order nor a signup that links a visitor: one statement does it all. */
function isPlain(event: EventInput): boolean {
  return event.type !== 'order_completed' && !(event.type === 'signed_up' && event.anonymousId);
}

/**
 * The common single event (a page view, a cart change) in one statement — one round trip and
 * an implicit transaction — doing what storeEvents does: the event once, the customer's stub
 * and last-seen time (or the linked customer's, for a visitor), and the deliveries. Whether
 * the dormancy watcher is due is decided from the customer row under its lock: the upsert
 * stamps dormancyWatchedAt only then, and the delivery is written only if it did.
 */
async function storePlainEvent({ pool, config }: IngestDeps, input: EventInput, now: Date, requestId: string | undefined): Promise<IngestResult> {
  const occurredAt = occurredAtOf(input, now);
  const id = randomUUID();
  const planned = planDeliveries({ ...input, occurredAt: occurredAt.toISOString() }, config, now, { dormancyWatcherNeeded: true });
  const dormancyCandidate = planned.some((d) => d.journey === 'dormancy');
  // A named statement: prepared once per connection, not planned again for every event.
  const { rows } = await pool.query<{ accepted: number }>({
    name: 'ingest-plain-event',
    text: `WITH ev AS (
       INSERT INTO "Event" (id, "idempotencyKey", type, "customerId", "anonymousId", "occurredAt", properties, "requestId")
       VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $14)
       ON CONFLICT ("idempotencyKey") DO NOTHING RETURNING id
     ), cu AS (
       INSERT INTO "Customer" AS c (id, "lastSeenAt", "updatedAt", "dormancyWatchedAt")
       SELECT $4, $6, $8, CASE WHEN $12::boolean THEN $8::timestamptz END FROM ev WHERE $4::text IS NOT NULL
       ON CONFLICT (id) DO UPDATE SET
         "lastSeenAt" = GREATEST(c."lastSeenAt", EXCLUDED."lastSeenAt"),
         "dormancyWatchedAt" = CASE WHEN $12::boolean AND (c."dormancyWatchedAt" IS NULL OR (c."dormantAt" IS NOT NULL AND c."dormantAt" > c."dormancyWatchedAt"))
                                    THEN EXCLUDED."dormancyWatchedAt" ELSE c."dormancyWatchedAt" END
       RETURNING ($12::boolean AND c."dormancyWatchedAt" = $8::timestamptz) AS watch
     ), linked AS (
       UPDATE "Customer" c SET "lastSeenAt" = GREATEST(c."lastSeenAt", $6)
       FROM "VisitorLink" l, ev
       WHERE $4::text IS NULL AND l."anonymousId" = $5 AND c.id = l."customerId"
     ), dl AS (
       INSERT INTO "EventDelivery" ("eventId", journey, "workflowId", mode)
       SELECT ev.id, x.j, x.w, x.m::"DeliveryMode"
       FROM ev, unnest($9::text[], $10::text[], $11::text[]) WITH ORDINALITY AS x(j, w, m, n)
       WHERE x.j <> 'dormancy' OR coalesce((SELECT watch FROM cu), false)
       ORDER BY x.n
       RETURNING 1
     )
     SELECT (SELECT count(*) FROM ev)::int AS accepted,
            CASE WHEN (SELECT count(*) FROM dl) > 0 THEN pg_notify($13, '') END AS notified`,
    values: [
      id,
      input.id ?? id,
      input.type,
      input.customerId ?? null,
      input.anonymousId ?? null,
      occurredAt,
      JSON.stringify(input.properties),
      now,
      planned.map((d) => d.journey),
      planned.map((d) => d.workflowId),
      planned.map((d) => d.mode),
      dormancyCandidate,
      DELIVERY_CHANNEL,
      requestId ?? null,
    ],
  });
  return rows[0].accepted ? { accepted: 1, duplicates: 0 } : { accepted: 0, duplicates: 1 };
}

async function storeOrders(client: SqlClient, rows: Row[]): Promise<void> {
  const orders = rows.map((r) => ({ customerId: r.input.customerId!, occurredAt: r.occurredAt, ...(r.input.properties as unknown as OrderProperties) }));
  const created = await client.query<{ id: string }>(
    // "productIds" with the order (one array per order, as JSON: SQL arrays must be rectangular),
    // so the trigger that keeps it (migration order_product_ids) has nothing to rewrite.
    `INSERT INTO "Order" (id, "customerId", total, currency, coupon, discount, "occurredAt", "productIds")
     SELECT id, customer, total, currency, coupon, discount, at, ARRAY(SELECT jsonb_array_elements_text(products))
     FROM unnest($1::text[], $2::text[], $3::numeric[], $4::text[], $5::text[], $6::numeric[], $7::timestamptz[], $8::jsonb[])
       AS x(id, customer, total, currency, coupon, discount, at, products)
     ON CONFLICT (id) DO NOTHING RETURNING id`,
    [
      orders.map((o) => o.orderId),
      orders.map((o) => o.customerId),
      orders.map((o) => o.total),
      orders.map((o) => o.currency),
      orders.map((o) => o.coupon ?? null),
      orders.map((o) => o.discount ?? null),
      orders.map((o) => o.occurredAt),
      orders.map((o) => JSON.stringify([...new Set(o.items.map((item) => item.productId))])),
    ],
  );
  const createdIds = new Set(created.rows.map((r) => r.id));
  const items = orders.filter((o) => createdIds.has(o.orderId)).flatMap((o) => o.items.map((item) => ({ ...item, orderId: o.orderId, currency: o.currency })));
  if (!items.length) return;
  await client.query(
    `INSERT INTO "OrderItem" (id, "orderId", "productId", name, category, quantity, price, currency)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::numeric[], $8::text[])`,
    [
      items.map(() => randomUUID()),
      items.map((i) => i.orderId),
      items.map((i) => i.productId),
      items.map((i) => i.name ?? null),
      items.map((i) => i.category ?? null),
      items.map((i) => i.quantity),
      items.map((i) => i.price),
      items.map((i) => i.currency),
    ],
  );
}

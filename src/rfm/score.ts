// RFM scoring in the database, in three steps a workflow drives (workflows/rfm-scoring.ts):
//
// 1. score:  one statement aggregates the orders of RFM_LOOKBACK per customer, finds each
//            axis's four quintile cut values and writes every customer's new score, with the
//            segment kept from before, into a table beside CustomerRfm ("CustomerRfm_next"),
//            then indexes it as CustomerRfm is indexed;
// 2. batch:  a range of the new scores is compared with the current ones; each change of
//            segment stores an `rfm_segment_changed` event (`from`, `to`) — in batches, with
//            progress, as events start journeys;
// 3. finish: customers no longer in the base get an event with `to: null`, and the new table
//            takes CustomerRfm's place in one transaction (drop, rename).
//
// Why a table swap rather than updating CustomerRfm row by row: a million inserts or updates
// through CustomerRfm's two indexes cost twice as much as writing the rows bare and building the
// indexes once, sorted (measured: 7.0 s against 2.8 + 1.0 s); and readers (segments, campaigns,
// GET /v1/rfm) see the old scores until the swap and the new ones after it, never a mix.
//
// Scores: 1 + floor(5 × (customers with a strictly worse value) / N) — the quintile of the base
// a customer beats, so ties share a score. R is worse with more days since the last order, F
// with fewer orders, M with less revenue (in the RFM currency).
//
// Why cut values and not a rank per customer: "at least ceil(k·N/5) customers are worse" holds
// exactly when the value beats the one at position ceil(k·N/5) of the base sorted from worst,
// so four order statistics per axis (percentile_disc, asked for fractions that land on those
// positions exactly) replace three window sorts of the whole base — a third of the time.
import { storeEvents } from '../api/events/service';
import type { Config } from '../config';
import { sqlOverPrisma, type Db, type DbTx } from '../db';
import { GRID_ARRAY } from './grid';

/** The table a run writes its scores into; it becomes CustomerRfm when the run finishes. */
const NEXT = '"CustomerRfm_next"';

/** Hash tables, sorts and index builds of a million customers stay in memory (the defaults spill to disk). */
const SCORING_WORK_MEM = '256MB';

/**
 * How long the swap waits for readers of CustomerRfm (a segment preview, a campaign snapshot)
 * before it gives up and the activity is retried: while it waits, new readers queue behind it.
 */
const SWAP_LOCK_TIMEOUT = '5s';

/**
 * The grid as a CASE over (r − 1) × 5 + FM, FM = round((F + M) / 2) with halves up: for each of a
 * million rows, a CASE of integer constants costs a tenth of subscripting an array parameter.
 */
const GRID_CASE = `CASE (r - 1) * 5 + (f + m + 1) / 2 ${GRID_ARRAY.map((segment, i) => `WHEN ${i + 1} THEN '${segment.replaceAll("'", "''")}'`).join(' ')} END`;

const SCORE_SQL = `
  INSERT INTO ${NEXT} ("customerId", r, f, m, segment, "previousSegment", "recencyDays", orders, revenue, currency, "scoredAt")
  WITH base AS MATERIALIZED (
    SELECT o."customerId",
           floor(date_part('epoch', $1::timestamptz - max(o."occurredAt")) / 86400)::int AS "recencyDays",
           count(*)::int AS orders,
           COALESCE(sum(o.total) FILTER (WHERE o.currency = $3::text), 0) AS revenue
    FROM "Order" o
    WHERE o."occurredAt" > $2::timestamptz AND o."occurredAt" <= $1::timestamptz
    GROUP BY o."customerId"
  ), positions AS (
    -- percentile_disc(p) takes the value at position ceil(p·N): p = (ceil(k·N/5) − ½) / N lands
    -- on ceil(k·N/5) whatever the rounding of p·N in floating point.
    SELECT array_agg((ceil(k * n / 5.0) - 0.5) / n ORDER BY k)::float8[] AS p
    FROM (SELECT count(*) AS n FROM base) size, generate_series(1, 4) AS k WHERE n > 0
  ), cuts AS (
    SELECT percentile_disc((SELECT p FROM positions)) WITHIN GROUP (ORDER BY "recencyDays" DESC) AS r,
           percentile_disc((SELECT p FROM positions)) WITHIN GROUP (ORDER BY orders) AS f,
           percentile_disc((SELECT p FROM positions)) WITHIN GROUP (ORDER BY revenue) AS m
    FROM base
  ), cut AS (
    -- As scalars: subscripting the arrays for every customer costs more than the ranking.
    SELECT r[1] AS r1, r[2] AS r2, r[3] AS r3, r[4] AS r4, f[1] AS f1, f[2] AS f2, f[3] AS f3, f[4] AS f4,
           m[1] AS m1, m[2] AS m2, m[3] AS m3, m[4] AS m4
    FROM cuts
  ), scored AS (
    SELECT b.*,
           1 + (cut.r1 > b."recencyDays")::int + (cut.r2 > b."recencyDays")::int + (cut.r3 > b."recencyDays")::int + (cut.r4 > b."recencyDays")::int AS r,
           1 + (cut.f1 < b.orders)::int + (cut.f2 < b.orders)::int + (cut.f3 < b.orders)::int + (cut.f4 < b.orders)::int AS f,
           1 + (cut.m1 < b.revenue)::int + (cut.m2 < b.revenue)::int + (cut.m3 < b.revenue)::int + (cut.m4 < b.revenue)::int AS m
    FROM base b CROSS JOIN cut
    OFFSET 0 -- a fence: each score is computed once per customer, not again wherever it is used
  ), segmented AS (
    SELECT scored.*, ${GRID_CASE} AS segment FROM scored
    OFFSET 0
  )
  SELECT s."customerId", s.r, s.f, s.m, s.segment,
         -- The segment before the latest change: the current one if it changes now.
         CASE WHEN cur.segment <> s.segment THEN cur.segment ELSE cur."previousSegment" END,
         s."recencyDays", s.orders, s.revenue, $3::text, $1::timestamptz
  FROM segmented s LEFT JOIN "CustomerRfm" cur ON cur."customerId" = s."customerId"
  -- In customer order: each batch, a range of customers, then reads adjacent pages (here and,
  -- once this table is CustomerRfm, in the next run), not a page per customer.
  ORDER BY s."customerId"`;

const BATCH_SQL = `
  WITH batch AS MATERIALIZED (
    SELECT "customerId", segment FROM ${NEXT} WHERE "customerId" > $1::text ORDER BY "customerId" LIMIT $2::int
  )
  SELECT (SELECT count(*) FROM batch)::int AS applied,
         (SELECT max("customerId") FROM batch) AS last,
         -- The batch is a range of customer ids: its current scores are read by that range of
         -- the primary key, not by a pass over the whole table for every batch.
         COALESCE((SELECT json_agg(json_build_object('customerId', b."customerId", 'from', c.segment, 'to', b.segment) ORDER BY b."customerId")
                   FROM batch b JOIN "CustomerRfm" c ON c."customerId" = b."customerId"
                   WHERE c."customerId" > $1::text AND c."customerId" <= (SELECT max("customerId") FROM batch) AND c.segment <> b.segment), '[]'::json) AS changes`;

const GONE_SQL = `
  SELECT COALESCE(json_agg(json_build_object('customerId', c."customerId", 'from', c.segment, 'to', NULL) ORDER BY c."customerId"), '[]'::json) AS changes
  FROM "CustomerRfm" c WHERE NOT EXISTS (SELECT 1 FROM ${NEXT} n WHERE n."customerId" = c."customerId")`;

export interface RfmSettings {
  /** RFM_LOOKBACK: the base is the customers with an order in it. */
  lookbackMs: number;
  /** Revenue (M) counts orders in this currency: CHANNEL_COSTS_CURRENCY. */
  currency: string;
}

export interface SegmentChange {
  customerId: string;
  from: string | null;
  to: string | null;
}

/** What a table's comment records: the run that wrote it, and (once it is CustomerRfm) how many customers it unscored. */
interface RunMark {
  runKey: string;
  removed?: number;
}

async function runMarkOf(tx: DbTx, table: string): Promise<RunMark | null> {
  const [row] = await tx.$queryRawUnsafe<{ mark: string | null }[]>(`SELECT obj_description(to_regclass($1), 'pg_class') AS mark`, table);
  if (!row?.mark) return null;
  try {
    return JSON.parse(row.mark) as RunMark;
  } catch {
    return null;
  }
}

const mark = (tx: DbTx, table: string, value: RunMark) => tx.$executeRawUnsafe(`COMMENT ON TABLE ${table} IS '${JSON.stringify(value).replaceAll("'", "''")}'`);

/**
 * Scores the base into the run's table beside CustomerRfm, from scratch (a table a run left
 * behind goes first), and indexes it as CustomerRfm is. Returns the base's size.
 */
async function stage(tx: DbTx, runKey: string, settings: RfmSettings, now: Date): Promise<number> {
  await tx.$executeRawUnsafe(`SET LOCAL work_mem = '${SCORING_WORK_MEM}'`);
  await tx.$executeRawUnsafe(`SET LOCAL maintenance_work_mem = '${SCORING_WORK_MEM}'`);
  await tx.$executeRawUnsafe(`DROP TABLE IF EXISTS ${NEXT}`);
  // Same columns, types, NOT NULLs and defaults; no indexes yet: they are built once, below.
  await tx.$executeRawUnsafe(`CREATE TABLE ${NEXT} (LIKE "CustomerRfm" INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`);
  const customers = await tx.$executeRawUnsafe(SCORE_SQL, now.toISOString(), new Date(now.getTime() - settings.lookbackMs).toISOString(), settings.currency);
  // The names CustomerRfm's own take at the swap (prisma/migrations: CustomerRfm_pkey, CustomerRfm_segment_idx).
  await tx.$executeRawUnsafe(`ALTER TABLE ${NEXT} ADD CONSTRAINT "CustomerRfm_next_pkey" PRIMARY KEY ("customerId")`);
  await tx.$executeRawUnsafe(`CREATE INDEX "CustomerRfm_next_segment_idx" ON ${NEXT} (segment)`);
  // The batches' plans, and segments' after the swap, need statistics (autovacuum comes later).
  await tx.$executeRawUnsafe(`ANALYZE ${NEXT}`);
  await mark(tx, NEXT, { runKey });
  return customers;
}

/** A table's columns as a comparable string: name, type and NOT NULL, in order. */
const COLUMNS_SQL = `
  SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod) || CASE WHEN attnotnull THEN ' not null' ELSE '' END, ', ' ORDER BY attnum) AS columns
  FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped`;

/**
 * The run's scores are staged (not another run's), in a table shaped as CustomerRfm is now (a
 * migration may have changed it since): else scores them again with the run's time.
 */
async function ensureStaged(tx: DbTx, runKey: string, settings: RfmSettings, now: Date) {
  const ours = (await runMarkOf(tx, NEXT))?.runKey === runKey;
  const columnsOf = async (table: string) => (await tx.$queryRawUnsafe<{ columns: string | null }[]>(COLUMNS_SQL, table))[0].columns;
  const next = await columnsOf(NEXT);
  const current = await columnsOf('"CustomerRfm"');
  if (!ours || next !== current) await stage(tx, runKey, settings, now);
}

/** Step 1: scores the base into the run's table (again from scratch if retried). Returns the base's size. */
export async function scoreIntoNext(db: Db, runKey: string, settings: RfmSettings, now: Date): Promise<number> {
  return db.$transaction(async (tx) => stage(tx, runKey, settings, now), { timeout: 30 * 60_000, maxWait: 10_000 });
}

const changeEvents = (runKey: string, changes: SegmentChange[], now: Date) =>
  changes.map((change) => ({
    id: `rfm:${runKey}:${change.customerId}`,
    type: 'rfm_segment_changed',
    customerId: change.customerId,
    occurredAt: now.toISOString(),
    properties: { from: change.from, to: change.to },
  }));

/** Stores the changes' events (idempotent by event id: a retried batch stores none twice). */
async function storeChanges(tx: DbTx, config: Config, runKey: string, changes: SegmentChange[], now: Date) {
  // The events are not the customers' activity: no dormancy clock, no stub customers.
  if (changes.length) await storeEvents(sqlOverPrisma(tx), config, changeEvents(runKey, changes, now), now, { activity: false });
}

/**
 * Step 2: compares the next `limit` new scores after customer `after` ('' first) with the
 * current ones and stores an event per change of segment. Returns how many customers it
 * covered, the last one (null when none were left) and how many changed segment.
 */
export async function applyBatch(db: Db, config: Config, runKey: string, after: string, limit: number, settings: RfmSettings, now: Date): Promise<{ applied: number; last: string | null; changed: number }> {
  return db.$transaction(
    async (tx) => {
      // A run staged by an earlier release (or whose table another run replaced) scores again,
      // with its same time; its batches start over from `after`, and events already stored are
      // not stored twice.
      await ensureStaged(tx, runKey, settings, now);
      const [row] = await tx.$queryRawUnsafe<{ applied: number; last: string | null; changes: SegmentChange[] }[]>(BATCH_SQL, after, limit);
      await storeChanges(tx, config, runKey, row.changes, now);
      return { applied: row.applied, last: row.last, changed: row.changes.length };
    },
    { timeout: 30 * 60_000, maxWait: 10_000 },
  );
}

/**
 * Step 3: unscores customers who left the base (an event each) and puts the run's scores in
 * CustomerRfm's place. Returns how many left; a retry after it committed returns the same.
 */
export async function finishRun(db: Db, config: Config, runKey: string, settings: RfmSettings, now: Date): Promise<number> {
  return db.$transaction(
    async (tx) => {
      const done = await runMarkOf(tx, '"CustomerRfm"');
      if (done?.runKey === runKey) return done.removed ?? 0;
      await ensureStaged(tx, runKey, settings, now);
      await tx.$executeRawUnsafe(`SET LOCAL work_mem = '${SCORING_WORK_MEM}'`);
      // Nothing else writes CustomerRfm (runs never overlap): who left is read while readers
      // carry on; only the drop and renames below keep them waiting, for milliseconds.
      const [{ changes }] = await tx.$queryRawUnsafe<{ changes: SegmentChange[] }[]>(GONE_SQL);
      await storeChanges(tx, config, runKey, changes, now);
      await tx.$executeRawUnsafe(`SET LOCAL lock_timeout = '${SWAP_LOCK_TIMEOUT}'`);
      await tx.$executeRawUnsafe(`LOCK TABLE "CustomerRfm" IN ACCESS EXCLUSIVE MODE`);
      await tx.$executeRawUnsafe(`DROP TABLE "CustomerRfm"`);
      await tx.$executeRawUnsafe(`ALTER TABLE ${NEXT} RENAME TO "CustomerRfm"`);
      await tx.$executeRawUnsafe(`ALTER TABLE "CustomerRfm" RENAME CONSTRAINT "CustomerRfm_next_pkey" TO "CustomerRfm_pkey"`);
      await tx.$executeRawUnsafe(`ALTER INDEX "CustomerRfm_next_segment_idx" RENAME TO "CustomerRfm_segment_idx"`);
      await mark(tx, '"CustomerRfm"', { runKey, removed: changes.length });
      return changes.length;
    },
    // Minutes only when it must score again (see ensureStaged); else about a second.
    { timeout: 30 * 60_000, maxWait: 10_000 },
  );
}

// RFM scoring in the database, in three steps a workflow drives (workflows/rfm-scoring.ts):
//
// 1. score:  one statement aggregates the orders of RFM_LOOKBACK per customer, finds each
//            axis's four quintile cut values and scores the base into the run's staging rows,
//            written in customer id order;
// 2. apply:  a batch of staging rows (a range of their ids, so of customers) becomes the customers'
//            CustomerRfm, keeping the previous segment; each change of segment stores an
//            `rfm_segment_changed` event (`from`, `to`) in the same transaction;
// 3. finish: customers no longer in the base lose their score (an event with `to: null`), and
//            the staging rows go.
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

const DAY_MS = 86_400_000;

/** Hash tables and sorts of a million customers stay in memory (the default spills to disk). */
const SCORING_WORK_MEM = '256MB';

/**
 * The grid as a CASE over (r − 1) × 5 + FM, FM = round((F + M) / 2) with halves up: for each of a
 * million rows, a CASE of integer constants costs a tenth of subscripting an array parameter.
 */
const GRID_CASE = `CASE (r - 1) * 5 + (f + m + 1) / 2 ${GRID_ARRAY.map((segment, i) => `WHEN ${i + 1} THEN '${segment.replaceAll("'", "''")}'`).join(' ')} END`;

const SCORE_SQL = `
  INSERT INTO "RfmStaging" ("runId", "customerId", "recencyDays", orders, revenue, r, f, m, segment)
  WITH base AS MATERIALIZED (
    SELECT o."customerId",
           floor(extract(epoch FROM ($2::timestamptz - max(o."occurredAt"))) / 86400)::int AS "recencyDays",
           count(*)::int AS orders,
           COALESCE(sum(o.total) FILTER (WHERE o.currency = $4::text), 0) AS revenue
    FROM "Order" o
    WHERE o."occurredAt" > $3::timestamptz AND o."occurredAt" <= $2::timestamptz
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
  )
  -- In customer id order: the ids the rows take follow it, so a batch is a range of customers.
  SELECT $1::text, "customerId", "recencyDays", orders, revenue, r, f, m, ${GRID_CASE}
  FROM scored ORDER BY "customerId"`;

const APPLY_SQL = `
  WITH batch AS MATERIALIZED (
    SELECT * FROM "RfmStaging" WHERE id > $2::bigint AND "runId" = $1::text ORDER BY id LIMIT $3::int
  ), span AS (
    SELECT min("customerId") AS low, max("customerId") AS high FROM batch
  ), prior AS (
    -- The batch is a range of customer ids: read the current scores of that range through the
    -- primary key, not the whole table for every batch.
    SELECT c."customerId", c.segment FROM span JOIN "CustomerRfm" c ON c."customerId" BETWEEN span.low AND span.high
  ), updated AS (
    UPDATE "CustomerRfm" c SET
      r = b.r, f = b.f, m = b.m,
      "previousSegment" = CASE WHEN c.segment <> b.segment THEN c.segment ELSE c."previousSegment" END,
      segment = b.segment, "recencyDays" = b."recencyDays", orders = b.orders, revenue = b.revenue, currency = $5::text, "scoredAt" = $4::timestamptz
    FROM batch b, span
    WHERE c."customerId" = b."customerId" AND c."customerId" BETWEEN span.low AND span.high
    RETURNING 1
  ), inserted AS (
    -- First scores as plain inserts (in key order): ON CONFLICT's speculative insertion costs a
    -- third more per row, and nothing else writes these rows while a run applies them.
    INSERT INTO "CustomerRfm" ("customerId", r, f, m, segment, "recencyDays", orders, revenue, currency, "scoredAt")
    SELECT "customerId", r, f, m, segment, "recencyDays", orders, revenue, $5::text, $4::timestamptz
    FROM batch b WHERE NOT EXISTS (SELECT 1 FROM prior p WHERE p."customerId" = b."customerId") ORDER BY id
    RETURNING 1
  )
  SELECT ((SELECT count(*) FROM updated) + (SELECT count(*) FROM inserted))::int AS applied,
         (SELECT max(id) FROM batch)::text AS last,
         COALESCE((SELECT json_agg(json_build_object('customerId', b."customerId", 'from', p.segment, 'to', b.segment) ORDER BY b.id)
                   FROM batch b JOIN prior p USING ("customerId") WHERE p.segment <> b.segment), '[]'::json) AS changes`;

const FINISH_SQL = `
  WITH gone AS (
    -- Every customer of the base was applied with the run's time; the others left it. A retry
    -- after this step committed finds nobody older, so it unscores nobody.
    DELETE FROM "CustomerRfm" c WHERE c."scoredAt" < $1::timestamptz
    RETURNING c."customerId", c.segment
  )
  SELECT COALESCE(json_agg(json_build_object('customerId', "customerId", 'from', segment, 'to', NULL) ORDER BY "customerId"), '[]'::json) AS changes FROM gone`;

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

/** Scores the base into the run's staging rows, from scratch. Returns the base's size. */
async function stage(tx: DbTx, runKey: string, settings: RfmSettings, now: Date): Promise<number> {
  // Leftovers of runs that died before finishing (a day old: never a run in progress).
  await tx.$executeRawUnsafe(`DELETE FROM "RfmStaging" WHERE "runId" = $1 OR "createdAt" < $2::timestamptz`, runKey, new Date(now.getTime() - DAY_MS).toISOString());
  await tx.$executeRawUnsafe(`SET LOCAL work_mem = '${SCORING_WORK_MEM}'`);
  const customers = await tx.$executeRawUnsafe(SCORE_SQL, runKey, now.toISOString(), new Date(now.getTime() - settings.lookbackMs).toISOString(), settings.currency);
  // The batches' plans need to know the staging rows are there (autovacuum comes later).
  await tx.$executeRawUnsafe(`ANALYZE "RfmStaging"`);
  return customers;
}

/** Step 1: scores the base into the run's staging rows (again from scratch if retried). Returns the base's size. */
export async function scoreIntoStaging(db: Db, runKey: string, settings: RfmSettings, now: Date): Promise<number> {
  return db.$transaction(
    async (tx) => stage(tx, runKey, settings, now),
    { timeout: 30 * 60_000, maxWait: 10_000 },
  );
}

const changeEvents = (runKey: string, changes: SegmentChange[], now: Date) =>
  changes.map((change) => ({
    id: `rfm:${runKey}:${change.customerId}`,
    type: 'rfm_segment_changed',
    customerId: change.customerId,
    occurredAt: now.toISOString(),
    properties: { from: change.from, to: change.to },
  }));

/**
 * Step 2: applies the next `limit` staging rows after `after` (the `last` of the previous batch;
 * '' first). Returns how many were applied, the last one's position (null when none were left)
 * and how many changed segment.
 */
export async function applyBatch(db: Db, config: Config, runKey: string, after: string, limit: number, settings: RfmSettings, now: Date): Promise<{ applied: number; last: string | null; changed: number }> {
  // A run staged before staging rows had ids carried a customer id here: its rows are
  // gone (the migration cleared them), so it has nothing left to apply.
  if (!/^\d*$/.test(after)) return { applied: 0, last: null, changed: 0 };
  return db.$transaction(
    async (tx) => {
      // The staging table is UNLOGGED (no WAL for a million transient rows): a crash of
      // PostgreSQL empties it. Then the run scores again, with its same time, and carries on;
      // the new rows' ids all follow `after`, so every customer is applied (again: same values).
      const [{ staged }] = await tx.$queryRawUnsafe<{ staged: boolean }[]>(`SELECT EXISTS (SELECT 1 FROM "RfmStaging" WHERE "runId" = $1) AS staged`, runKey);
      if (!staged) await stage(tx, runKey, settings, now);
      await tx.$executeRawUnsafe(`SET LOCAL work_mem = '${SCORING_WORK_MEM}'`);
      const [row] = await tx.$queryRawUnsafe<{ applied: number; last: string | null; changes: SegmentChange[] }[]>(APPLY_SQL, runKey, after || '0', limit, now.toISOString(), settings.currency);
      // The events are not the customers' activity: no dormancy clock, no stub customers.
      if (row.changes.length) await storeEvents(sqlOverPrisma(tx), config, changeEvents(runKey, row.changes, now), now, { activity: false });
      return { applied: row.applied, last: row.last, changed: row.changes.length };
    },
    { timeout: 5 * 60_000, maxWait: 10_000 },
  );
}

/** Step 3: unscores customers who left the base and clears the run's staging rows. Returns how many left. */
export async function finishRun(db: Db, config: Config, runKey: string, now: Date): Promise<number> {
  return db.$transaction(
    async (tx) => {
      await tx.$executeRawUnsafe(`SET LOCAL work_mem = '${SCORING_WORK_MEM}'`);
      const [row] = await tx.$queryRawUnsafe<{ changes: SegmentChange[] }[]>(FINISH_SQL, now.toISOString());
      if (row.changes.length) await storeEvents(sqlOverPrisma(tx), config, changeEvents(runKey, row.changes, now), now, { activity: false });
      // Runs never overlap (the schedule skips): with no other run's rows, TRUNCATE frees the
      // run's million rows at once instead of deleting them one by one.
      const others = await tx.$queryRawUnsafe<unknown[]>(`SELECT 1 FROM "RfmStaging" WHERE "runId" <> $1 LIMIT 1`, runKey);
      if (others.length) await tx.$executeRawUnsafe(`DELETE FROM "RfmStaging" WHERE "runId" = $1`, runKey);
      else await tx.$executeRawUnsafe(`TRUNCATE "RfmStaging"`);
      return row.changes.length;
    },
    { timeout: 5 * 60_000, maxWait: 10_000 },
  );
}

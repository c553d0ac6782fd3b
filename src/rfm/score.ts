// RFM scoring in the database, in three steps a workflow drives (workflows/rfm-scoring.ts):
//
// 1. score:  one statement aggregates the orders of RFM_LOOKBACK per customer and ranks the
//            base on each axis into the run's staging rows;
// 2. apply:  a batch of staging rows (customer id order) becomes the customers' CustomerRfm,
//            keeping the previous segment; each change of segment stores an
//            `rfm_segment_changed` event (`from`, `to`) in the same transaction;
// 3. finish: customers no longer in the base lose their score (an event with `to: null`), and
//            the staging rows go.
//
// Scores: 1 + floor(5 × (customers with a strictly worse value) / customers in the base) — the
// quintile of the base a customer beats, so ties share a score. R is worse with more days since
// the last order, F with fewer orders, M with less revenue (in the RFM currency).
import { storeEvents } from '../api/events/service';
import type { Config } from '../config';
import { sqlOverPrisma, type Db } from '../db';
import { GRID_ARRAY } from './grid';

const DAY_MS = 86_400_000;

const SCORE_SQL = `
  INSERT INTO "RfmStaging" ("runId", "customerId", "recencyDays", orders, revenue, r, f, m, segment)
  WITH base AS (
    SELECT o."customerId",
           floor(extract(epoch FROM ($2::timestamptz - max(o."occurredAt"))) / 86400)::int AS "recencyDays",
           count(*)::int AS orders,
           COALESCE(sum(o.total) FILTER (WHERE o.currency = $4::text), 0) AS revenue
    FROM "Order" o
    WHERE o."occurredAt" > $3::timestamptz AND o."occurredAt" <= $2::timestamptz
    GROUP BY o."customerId"
  ), ranked AS (
    SELECT base.*, count(*) OVER () AS n,
           rank() OVER (ORDER BY "recencyDays" DESC) AS rr,
           rank() OVER (ORDER BY orders) AS fr,
           rank() OVER (ORDER BY revenue) AS mr
    FROM base
  ), scored AS (
    SELECT "customerId", "recencyDays", orders, revenue,
           (1 + 5 * (rr - 1) / n)::int AS r, (1 + 5 * (fr - 1) / n)::int AS f, (1 + 5 * (mr - 1) / n)::int AS m
    FROM ranked
  )
  SELECT $1::text, "customerId", "recencyDays", orders, revenue, r, f, m, ($5::text[])[(r - 1) * 5 + round((f + m) / 2.0)::int]
  FROM scored`;

const APPLY_SQL = `
  WITH batch AS (
    SELECT * FROM "RfmStaging" WHERE "runId" = $1::text AND "customerId" > $2::text ORDER BY "customerId" LIMIT $3::int
  ), prior AS (
    SELECT c."customerId", c.segment FROM "CustomerRfm" c JOIN batch USING ("customerId")
  ), upserted AS (
    INSERT INTO "CustomerRfm" ("customerId", r, f, m, segment, "recencyDays", orders, revenue, currency, "scoredAt")
    SELECT "customerId", r, f, m, segment, "recencyDays", orders, revenue, $5::text, $4::timestamptz FROM batch
    ON CONFLICT ("customerId") DO UPDATE SET
      r = EXCLUDED.r, f = EXCLUDED.f, m = EXCLUDED.m,
      "previousSegment" = CASE WHEN "CustomerRfm".segment <> EXCLUDED.segment THEN "CustomerRfm".segment ELSE "CustomerRfm"."previousSegment" END,
      segment = EXCLUDED.segment, "recencyDays" = EXCLUDED."recencyDays", orders = EXCLUDED.orders,
      revenue = EXCLUDED.revenue, currency = EXCLUDED.currency, "scoredAt" = EXCLUDED."scoredAt"
    RETURNING 1
  )
  SELECT (SELECT count(*) FROM upserted)::int AS applied,
         (SELECT max("customerId") FROM batch) AS last,
         COALESCE((SELECT json_agg(json_build_object('customerId', b."customerId", 'from', p.segment, 'to', b.segment) ORDER BY b."customerId")
                   FROM batch b JOIN prior p USING ("customerId") WHERE p.segment <> b.segment), '[]'::json) AS changes`;

const FINISH_SQL = `
  WITH gone AS (
    DELETE FROM "CustomerRfm" c
    WHERE NOT EXISTS (SELECT 1 FROM "RfmStaging" s WHERE s."runId" = $1 AND s."customerId" = c."customerId")
      -- A retry after this step committed finds no staging rows: it must not unscore everyone.
      AND EXISTS (SELECT 1 FROM "RfmStaging" s WHERE s."runId" = $1)
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

/** Step 1: scores the base into the run's staging rows (again from scratch if retried). Returns the base's size. */
export async function scoreIntoStaging(db: Db, runKey: string, settings: RfmSettings, now: Date): Promise<number> {
  return db.$transaction(
    async (tx) => {
      // Leftovers of runs that died before finishing (a day old: never a run in progress).
      await tx.$executeRawUnsafe(`DELETE FROM "RfmStaging" WHERE "runId" = $1 OR "createdAt" < $2::timestamptz`, runKey, new Date(now.getTime() - DAY_MS).toISOString());
      return tx.$executeRawUnsafe(SCORE_SQL, runKey, now.toISOString(), new Date(now.getTime() - settings.lookbackMs).toISOString(), settings.currency, GRID_ARRAY);
    },
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
 * Step 2: applies the next batch after `after` (a customer id; '' first). Returns how many were
 * applied, the last id (null when none were left) and how many changed segment.
 */
export async function applyBatch(db: Db, config: Config, runKey: string, after: string, limit: number, settings: RfmSettings, now: Date): Promise<{ applied: number; last: string | null; changed: number }> {
  return db.$transaction(
    async (tx) => {
      const [row] = await tx.$queryRawUnsafe<{ applied: number; last: string | null; changes: SegmentChange[] }[]>(APPLY_SQL, runKey, after, limit, now.toISOString(), settings.currency);
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
      const [row] = await tx.$queryRawUnsafe<{ changes: SegmentChange[] }[]>(FINISH_SQL, runKey);
      if (row.changes.length) await storeEvents(sqlOverPrisma(tx), config, changeEvents(runKey, row.changes, now), now, { activity: false });
      await tx.$executeRawUnsafe(`DELETE FROM "RfmStaging" WHERE "runId" = $1`, runKey);
      return row.changes.length;
    },
    { timeout: 5 * 60_000, maxWait: 10_000 },
  );
}

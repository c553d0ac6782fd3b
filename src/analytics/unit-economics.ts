// Unit economics (DESIGN.md "Analytics"): CAC per acquisition channel and overall, LTV by
// acquisition cohort, LTV/CAC and its band — in SQL over the period's new customers only.
//
// - Acquired: a customer's first signup (`signed_up`) or first order, whichever came first, falls
//   in the period. Their acquisition channel: the first signup's `properties.channel`, else the
//   profile attribute `acquisitionChannel`, else "unattributed".
// - Spend: POST /v1/acquisition-spend rows, overlapping ones summed; a row that only partly
//   overlaps the period counts for the share of its days inside it. Only spend in the report's
//   currency counts (money is never converted).
// - LTV: the gross margin (MARGIN_RATE × revenue of every order to date) per acquired customer.
import type pg from 'pg';
import { Decimal, money, type Money } from '../money';
import type { Period } from './report';

export type LtvCacBand = 'failing' | 'weak' | 'healthy' | 'under-investing';

/** What each band means, as the response says it. */
export const BAND_MEANING: Record<LtvCacBand, string> = {
  failing: 'LTV/CAC below 1: a customer brings in less margin than it cost to acquire them, so growth loses money.',
  weak: 'LTV/CAC from 1 to 3: customers pay back their acquisition with little to spare; raise retention and repeat purchases before spending more.',
  healthy: 'LTV/CAC from 3 to 5: a customer brings in 3 to 5 times what they cost to acquire, a sustainable balance.',
  'under-investing': 'LTV/CAC above 5: customers are worth far more than they cost; acquisition could grow faster.',
};

export function bandOf(ratio: Decimal): LtvCacBand {
  if (ratio.lessThan(1)) return 'failing';
  if (ratio.lessThan(3)) return 'weak';
  if (ratio.lessThanOrEqualTo(5)) return 'healthy';
  return 'under-investing';
}

export interface UnitEconomics {
  from: Date;
  to: Date;
  currency: string;
  marginRate: string;
  spend: Money;
  acquired: number;
  /** Spend / customers acquired; null when nobody was acquired. */
  cac: Money | null;
  byChannel: { channel: string; spend: Money; acquired: number; cac: Money | null }[];
  /** Average gross margin to date of the customers acquired in the period. */
  ltv: Money | null;
  ltvToCac: string | null;
  band: LtvCacBand | null;
  explanation: string;
  /** By month of acquisition (UTC). */
  cohorts: { cohort: string; customers: number; revenue: Money; ltv: Money }[];
}

const ACQUIRED_SQL = `
  WITH candidates AS (
    -- Only customers active in the period can have been acquired in it (each side on its index).
    SELECT "customerId" AS id FROM "Event" WHERE type = 'signed_up' AND "customerId" IS NOT NULL AND "occurredAt" >= $1 AND "occurredAt" < $2
    UNION
    SELECT "customerId" FROM "Order" WHERE "occurredAt" >= $1 AND "occurredAt" < $2
  ), acquired AS (
    SELECT c.id,
           LEAST((SELECT min(e."occurredAt") FROM "Event" e WHERE e."customerId" = c.id AND e.type = 'signed_up'),
                 (SELECT min(o."occurredAt") FROM "Order" o WHERE o."customerId" = c.id)) AS at,
           COALESCE((SELECT e.properties->>'channel' FROM "Event" e WHERE e."customerId" = c.id AND e.type = 'signed_up' ORDER BY e."occurredAt" LIMIT 1),
                    customer.attributes->>'acquisitionChannel', 'unattributed') AS channel
    FROM candidates c JOIN "Customer" customer ON customer.id = c.id
  )
  SELECT a.channel, to_char(a.at AT TIME ZONE 'UTC', 'YYYY-MM') AS cohort, count(*)::int AS customers,
         COALESCE(sum((SELECT sum(o.total) FROM "Order" o WHERE o."customerId" = a.id AND o.currency = $3)), 0)::text AS revenue
  FROM acquired a WHERE a.at >= $1 AND a.at < $2
  GROUP BY 1, 2`;

const SPEND_SQL = `
  -- Days are whole (dates, both ends included); the period's last day is the one before \`to\`.
  WITH period AS (SELECT ($1::timestamptz AT TIME ZONE 'UTC')::date AS first, (($2::timestamptz - interval '1 millisecond') AT TIME ZONE 'UTC')::date AS last)
  SELECT s.channel, sum(s.amount * (LEAST(s."to", period.last) - GREATEST(s."from", period.first) + 1) / (s."to" - s."from" + 1))::text AS spend
  FROM "AcquisitionSpend" s, period
  WHERE s.currency = $3 AND s."from" <= period.last AND s."to" >= period.first
  GROUP BY s.channel`;

const ratio = (amount: Decimal, count: number) => (count ? amount.dividedBy(count).toDecimalPlaces(4) : null);

export async function unitEconomics(pool: pg.Pool, period: Period, currency: string, marginRate: string): Promise<UnitEconomics> {
  const [acquired, spends] = await Promise.all([
    pool.query<{ channel: string; cohort: string; customers: number; revenue: string }>(ACQUIRED_SQL, [period.from, period.to, currency]),
    pool.query<{ channel: string; spend: string }>(SPEND_SQL, [period.from, period.to, currency]),
  ]);
  const margin = new Decimal(marginRate);
  const spendOf = new Map(spends.rows.map((row) => [row.channel, new Decimal(row.spend).toDecimalPlaces(4)]));
  const acquiredOf = new Map<string, number>();
  for (const row of acquired.rows) acquiredOf.set(row.channel, (acquiredOf.get(row.channel) ?? 0) + row.customers);

  const channels = [...new Set([...spendOf.keys(), ...acquiredOf.keys()])].sort();
  const byChannel = channels.map((channel) => {
    const spend = spendOf.get(channel) ?? new Decimal(0);
    const count = acquiredOf.get(channel) ?? 0;
    const cac = ratio(spend, count);
    return { channel, spend: money(spend, currency), acquired: count, cac: cac ? money(cac, currency) : null };
  });

  const cohortRows = new Map<string, { customers: number; revenue: Decimal }>();
  for (const row of acquired.rows) {
    const cohort = cohortRows.get(row.cohort) ?? { customers: 0, revenue: new Decimal(0) };
    cohort.customers += row.customers;
    cohort.revenue = cohort.revenue.plus(row.revenue);
    cohortRows.set(row.cohort, cohort);
  }
  const cohorts = [...cohortRows.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([cohort, { customers, revenue }]) => ({ cohort, customers, revenue: money(revenue, currency), ltv: money(revenue.times(margin).dividedBy(customers).toDecimalPlaces(4), currency) }));

  const spend = [...spendOf.values()].reduce((sum, amount) => sum.plus(amount), new Decimal(0));
  const count = [...acquiredOf.values()].reduce((n, c) => n + c, 0);
  const revenue = [...cohortRows.values()].reduce((sum, cohort) => sum.plus(cohort.revenue), new Decimal(0));
  const cac = ratio(spend, count);
  const ltv = ratio(revenue.times(margin), count);
  const ltvToCac = cac && ltv && !cac.isZero() ? ltv.dividedBy(cac) : null;
  const band = ltvToCac ? bandOf(ltvToCac) : null;
  return {
    from: period.from,
    to: period.to,
    currency,
    marginRate,
    spend: money(spend, currency),
    acquired: count,
    cac: cac ? money(cac, currency) : null,
    byChannel,
    ltv: ltv ? money(ltv, currency) : null,
    ltvToCac: ltvToCac ? ltvToCac.toDecimalPlaces(2).toFixed() : null,
    band,
    explanation: band
      ? BAND_MEANING[band]
      : count
        ? 'No acquisition spend in the period: record it with POST /v1/acquisition-spend to get CAC and LTV/CAC.'
        : 'No customer was acquired in the period (first signup or first order).',
    cohorts,
  };
}

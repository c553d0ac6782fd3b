// Analytics: what journeys, campaigns and channels brought, in one SQL pass over the messages of
// a period and the conversions the one attribution model credited to them (DESIGN.md
// "Attribution", "Analytics").
//
// The period is a cohort of messages: those sent in [from, to) (or, never sent, recorded in it),
// with every conversion credited to them, whenever it came. So each attributed order is counted
// once, under the message it was credited to, and the rows of /journeys and /campaigns add up
// to the attributed orders of those messages (tested).
import type pg from 'pg';
import { campaignReport } from '../campaigns/service';
import { liftFromGroups, type GroupRow, type Lift } from './lift';
import { Decimal, money, roasOf, type Money } from '../money';

export interface Period {
  from: Date;
  to: Date;
}

export interface AnalyticsRow {
  /** Customers (or visitors) with a message in the period, whatever became of it; the held out not counted. */
  recipients: number;
  /** Of them, those who were sent a message. */
  reached: number;
  /** Messages sent. */
  sent: number;
  /** Reached customers with at least one conversion credited to those messages. */
  converted: number;
  /** converted / reached; null when nobody was reached. */
  conversionRate: number | null;
  /** Orders credited (a goal conversion, such as a signup, converts without an order). */
  orders: number;
  /** Revenue of the credited orders, in the report's currency. */
  revenue: Money;
  /** Messages (CHANNEL_COSTS) and coupons (the discount of credited orders that redeemed the campaign's coupon), apart. */
  cost: { messages: Money; coupons: Money; total: Money };
  roas: string | null;
  roasPercent: number | null;
}

type Scope = 'journey' | 'campaign' | 'channel';

/** What rows are grouped by, and which messages count. */
const SCOPES: Record<Scope, { key: string; where: string }> = {
  journey: { key: 'm.journey', where: `m.journey <> 'campaign'` },
  campaign: { key: `substr(m."workflowId", length('campaign:') + 1)`, where: `m.journey = 'campaign'` },
  // Only a message that went out has a channel; it is the channel that carried it.
  channel: { key: 'm.channel::text', where: 'm.channel IS NOT NULL' },
};

const rowsSql = (scope: Scope) => `
  WITH msg AS (
    SELECT m.id, ${SCOPES[scope].key} AS key, m.status::text AS status, m.cost, m."costCurrency",
           COALESCE(m."customerId", 'visitor:' || m."visitorId") AS who,
           campaign.offer->>'coupon' AS coupon
    FROM "Message" m
    LEFT JOIN "Campaign" campaign ON m.journey = 'campaign' AND m."workflowId" = 'campaign:' || campaign.id
    -- Two ranges, each on its own index (Message_sentAt_idx, Message_createdAt_idx).
    WHERE ((m."sentAt" >= $1 AND m."sentAt" < $2) OR (m."sentAt" IS NULL AND m."createdAt" >= $1 AND m."createdAt" < $2))
      AND ${SCOPES[scope].where}
  ), sends AS (
    SELECT key,
           count(DISTINCT who) FILTER (WHERE status <> 'holdout')::int AS recipients,
           count(DISTINCT who) FILTER (WHERE status = 'sent')::int AS reached,
           count(*) FILTER (WHERE status = 'sent')::int AS sent,
           COALESCE(sum(cost) FILTER (WHERE "costCurrency" = $3), 0)::text AS "messageCost"
    FROM msg GROUP BY key
  ), credited AS (
    SELECT msg.key,
           count(DISTINCT msg.who)::int AS converted,
           count(c."orderId")::int AS orders,
           COALESCE(sum(c.revenue) FILTER (WHERE c.currency = $3), 0)::text AS revenue,
           COALESCE(sum(o.discount) FILTER (WHERE o.coupon = msg.coupon AND o.currency = $3), 0)::text AS coupons
    FROM msg JOIN "Conversion" c ON c."messageId" = msg.id LEFT JOIN "Order" o ON o.id = c."orderId"
    GROUP BY msg.key
  )
  SELECT s.*, COALESCE(cr.converted, 0) AS converted, COALESCE(cr.orders, 0) AS orders,
         COALESCE(cr.revenue, '0') AS revenue, COALESCE(cr.coupons, '0') AS coupons
  FROM sends s LEFT JOIN credited cr USING (key)
  ORDER BY s.key`;

interface RawRow {
  key: string;
  recipients: number;
  reached: number;
  sent: number;
  messageCost: string;
  converted: number;
  orders: number;
  revenue: string;
  coupons: string;
}

/** Rows by the scope's key: the journey, campaign id or channel. */
async function analyticsRows(pool: pg.Pool, scope: Scope, period: Period, currency: string): Promise<(AnalyticsRow & { key: string })[]> {
  const { rows } = await pool.query<RawRow>(rowsSql(scope), [period.from, period.to, currency]);
  return rows.map((row) => {
    const total = new Decimal(row.messageCost).plus(row.coupons);
    return {
      key: row.key,
      recipients: row.recipients,
      reached: row.reached,
      sent: row.sent,
      converted: row.converted,
      conversionRate: row.reached ? row.converted / row.reached : null,
      orders: row.orders,
      revenue: money(row.revenue, currency),
      cost: { messages: money(row.messageCost, currency), coupons: money(row.coupons, currency), total: money(total, currency) },
      ...roasOf(row.revenue, total),
    };
  });
}

export interface JourneyAnalytics extends AnalyticsRow {
  journey: string;
  /**
   * With `<JOURNEY>_HOLDOUT`: the customers the journey messaged (whatever became of the message)
   * against those it held out, each group's orders within the journey's window from the
   * (would-be) send. Null for a journey without a holdout or without an order window.
   */
  lift: Lift | null;
}

/**
 * Per journey: treatment and control customers of the period's marketing messages, and those of
 * them with an order within the window from their first such message (the window per journey
 * in $4, milliseconds).
 */
const JOURNEY_LIFT_SQL = `
  WITH people AS (
    SELECT m.journey, m.status = 'holdout' AS holdout, m."customerId", min(COALESCE(m."sentAt", m."createdAt")) AS at
    FROM "Message" m
    WHERE ((m."sentAt" >= $1 AND m."sentAt" < $2) OR (m."sentAt" IS NULL AND m."createdAt" >= $1 AND m."createdAt" < $2))
      AND m.journey <> 'campaign' AND m.purpose = 'marketing' AND m."customerId" IS NOT NULL AND $4::jsonb ? m.journey
    GROUP BY 1, 2, 3
  )
  SELECT p.journey, p.holdout, count(*)::int AS customers, count(*) FILTER (WHERE o.orders > 0)::int AS converted, COALESCE(sum(o.revenue), 0)::text AS revenue
  FROM people p
  LEFT JOIN LATERAL (
    SELECT count(*) AS orders, sum(total) FILTER (WHERE currency = $3) AS revenue FROM "Order"
    WHERE "customerId" = p."customerId" AND "occurredAt" >= p.at AND "occurredAt" < p.at + ($4::jsonb ->> p.journey)::bigint * interval '1 millisecond'
  ) o ON TRUE
  GROUP BY 1, 2`;

/**
 * `holdouts`: journey → percent held out (only those count for lift); `windows`: journey → its
 * conversion window in milliseconds.
 */
export async function journeyAnalytics(
  pool: pg.Pool,
  period: Period,
  currency: string,
  { holdouts = {}, windows = {} }: { holdouts?: Record<string, number>; windows?: Record<string, number> } = {},
): Promise<JourneyAnalytics[]> {
  const measured = Object.fromEntries(Object.entries(windows).filter(([journey]) => (holdouts[journey] ?? 0) > 0));
  const [rows, groups] = await Promise.all([
    analyticsRows(pool, 'journey', period, currency),
    Object.keys(measured).length
      ? pool.query<GroupRow & { journey: string }>(JOURNEY_LIFT_SQL, [period.from, period.to, currency, JSON.stringify(measured)]).then((result) => result.rows)
      : Promise.resolve([]),
  ]);
  return rows.map(({ key, ...row }) => {
    const own = groups.filter((group) => group.journey === key);
    return { journey: key, ...row, lift: own.length ? liftFromGroups(own, new Decimal(row.cost.total.amount), currency) : null };
  });
}

export interface CampaignAnalytics extends AnalyticsRow {
  campaign: string;
  name: string;
  /** Treatment against the held-out control, over the whole campaign (its window from its start), as in its report. */
  lift: Lift | null;
}

export async function campaignAnalytics(pool: pg.Pool, period: Period, currency: string): Promise<CampaignAnalytics[]> {
  const rows = await analyticsRows(pool, 'campaign', period, currency);
  const result: CampaignAnalytics[] = [];
  for (const { key, ...row } of rows) {
    const report = await campaignReport(pool, key, currency);
    result.push({ campaign: key, name: report?.name ?? key, ...row, lift: report?.lift ?? null });
  }
  return result;
}

export interface ChannelAnalytics extends AnalyticsRow {
  channel: string;
}

export async function channelAnalytics(pool: pg.Pool, period: Period, currency: string): Promise<ChannelAnalytics[]> {
  return (await analyticsRows(pool, 'channel', period, currency)).map(({ key, ...row }) => ({ channel: key, ...row }));
}

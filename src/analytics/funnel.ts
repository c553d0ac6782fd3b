// The funnel (DESIGN.md "Why", "Analytics"): who reached each stage in a period, the drop-off
// between stages, and the journey that answers each drop-off with its conversion rate.
//
// People are customers, or visitors not (yet) known as one: a signup links a visitor's earlier
// events to the customer, so they count once.
import type pg from 'pg';
import { journeyAnalytics, type Period } from './report';

export const FUNNEL_STAGES = ['awareness', 'exploration', 'purchase', 'repurchase', 'recommendation'] as const;
export type FunnelStage = (typeof FUNNEL_STAGES)[number];

/** The journey that answers the drop-off after each stage. */
export const ANSWERING_JOURNEY: Record<FunnelStage, { journey: string; answers: string }> = {
  awareness: { journey: 'signup-nudge', answers: 'visits and leaves without signing up' },
  exploration: { journey: 'cart-reminder', answers: 'viewed products or filled a cart, did not buy' },
  purchase: { journey: 'upsell', answers: 'bought once' },
  repurchase: { journey: 'dormancy', answers: 'a long time without a purchase' },
  recommendation: { journey: 'review-request', answers: 'satisfied but silent' },
};

export interface FunnelReport {
  from: Date;
  to: Date;
  stages: {
    stage: FunnelStage;
    /** What reaching the stage means. */
    reachedBy: string;
    people: number;
    /**
     * 1 − people / the previous stage's people (null for the first, or after an empty stage);
     * never below 0 — a stage can count people not seen at the one before (an order by phone).
     */
    dropOff: number | null;
    /** The journey for those who stop here, and its conversion rate in the period (converted / reached; null without sends). */
    journey: string;
    answers: string;
    journeyConversionRate: number | null;
  }[];
}

const REACHED_BY: Record<FunnelStage, string> = {
  awareness: 'a visit (page_viewed or app_opened)',
  exploration: 'a product view or a cart (product_viewed, cart_updated)',
  purchase: 'an order',
  repurchase: 'an order after an earlier one',
  recommendation: 'a review (review_submitted) or a referral (referral_sent)',
};

const FUNNEL_SQL = `
  WITH events AS (
    SELECT type, COALESCE("customerId", 'visitor:' || "anonymousId") AS who FROM "Event"
    WHERE "occurredAt" >= $1 AND "occurredAt" < $2
      AND type IN ('page_viewed', 'app_opened', 'product_viewed', 'cart_updated', 'review_submitted', 'referral_sent')
  ), orders AS (
    SELECT o."customerId",
           EXISTS (SELECT 1 FROM "Order" earlier WHERE earlier."customerId" = o."customerId" AND earlier."occurredAt" < o."occurredAt") AS again
    FROM "Order" o WHERE o."occurredAt" >= $1 AND o."occurredAt" < $2
  )
  SELECT (SELECT count(DISTINCT who) FROM events WHERE type IN ('page_viewed', 'app_opened'))::int AS awareness,
         (SELECT count(DISTINCT who) FROM events WHERE type IN ('product_viewed', 'cart_updated'))::int AS exploration,
         (SELECT count(DISTINCT "customerId") FROM orders)::int AS purchase,
         (SELECT count(DISTINCT "customerId") FROM orders WHERE again)::int AS repurchase,
         (SELECT count(DISTINCT who) FROM events WHERE type IN ('review_submitted', 'referral_sent'))::int AS recommendation`;

export async function funnel(pool: pg.Pool, period: Period, currency: string): Promise<FunnelReport> {
  const [{ rows }, journeys] = await Promise.all([pool.query<Record<FunnelStage, number>>(FUNNEL_SQL, [period.from, period.to]), journeyAnalytics(pool, period, currency)]);
  const counts = rows[0];
  return {
    from: period.from,
    to: period.to,
    stages: FUNNEL_STAGES.map((stage, i) => {
      const previous = i > 0 ? counts[FUNNEL_STAGES[i - 1]] : 0;
      const { journey, answers } = ANSWERING_JOURNEY[stage];
      return {
        stage,
        reachedBy: REACHED_BY[stage],
        people: counts[stage],
        dropOff: previous > 0 ? Math.max(0, 1 - counts[stage] / previous) : null,
        journey,
        answers,
        journeyConversionRate: journeys.find((row) => row.journey === journey)?.conversionRate ?? null,
      };
    }),
  };
}

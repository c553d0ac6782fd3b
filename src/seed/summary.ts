// What the demo shop made, read back from the database, and its two reference cases as the
// analytics report them (GET /v1/analytics/journeys and /campaigns over the year). A case that
// does not come out exactly fails the seed: the figures are the product's, not the plan's.
import type pg from 'pg';
import { campaignAnalytics, journeyAnalytics, type CampaignAnalytics, type JourneyAnalytics } from '../analytics/report';
import { journeyAnalyticsOptions } from '../api/analytics/router';
import type { Config } from '../config';
import { Decimal } from '../money';
import { CAMPAIGN_COST, CAMPAIGN_REVENUE, CART_COHORT, CART_REVENUE, type Shop } from './shop';
import type { Played } from './simulate';

export interface Summary {
  period: { from: Date; to: Date };
  counts: Record<string, number>;
  cart: JourneyAnalytics;
  campaign: CampaignAnalytics;
  text: string;
}

const n = (value: number) => value.toLocaleString('en');
const wonOf = (amount: string) => n(Number(new Decimal(amount).toDecimalPlaces(0, Decimal.ROUND_HALF_UP).toFixed()));

export async function summarise(pool: pg.Pool, shop: Shop, played: Played, config: Config): Promise<Summary> {
  const period = { from: shop.yearStart, to: shop.end };
  const { rows } = await pool.query<Record<string, number>>(`
    SELECT (SELECT count(*) FROM "Customer")::int AS customers,
           (SELECT count(*) FROM "Event")::int AS events,
           (SELECT count(*) FROM "Order")::int AS orders,
           (SELECT count(DISTINCT "customerId") FROM "Order")::int AS buyers,
           (SELECT count(*) FROM "Message" WHERE status = 'sent')::int AS sent,
           (SELECT count(*) FROM "Message" WHERE status = 'holdout')::int AS "heldOut",
           (SELECT count(*) FROM "Message" WHERE status = 'suppressed')::int AS suppressed,
           (SELECT count(*) FROM "Conversion")::int AS conversions,
           (SELECT count(*) FROM "CustomerRfm")::int AS scored,
           (SELECT count(*) FROM "EventDelivery" WHERE "deliveredAt" IS NULL)::int AS "leftForNpmStart"`);
  const counts = rows[0];
  const journeys = await journeyAnalytics(pool, period, config.messaging.costCurrency, journeyAnalyticsOptions(config));
  const campaigns = await campaignAnalytics(pool, period, config.messaging.costCurrency);
  const cart = journeys.find((j) => j.journey === 'cart-reminder');
  const campaign = campaigns.find((c) => c.campaign === played.campaignId);
  if (!cart || !campaign) throw new Error('the demo shop has no cart reminders or no campaign in its analytics');

  const lines = [
    '',
    `The demo shop, ${period.from.toISOString().slice(0, 10)} to ${period.to.toISOString().slice(0, 10)}:`,
    `  ${n(counts.customers)} customers (${n(counts.buyers)} bought), ${n(counts.events)} events, ${n(counts.orders)} orders, RFM scores for ${n(counts.scored)}`,
    `  ${n(counts.sent)} messages sent, ${n(counts.heldOut)} held out, ${n(counts.suppressed)} suppressed; ${n(counts.conversions)} conversions`,
    `  ${shop.spend.length} months × channel of acquisition spend`,
    '',
    '  journey                 recipients   sent  converted      revenue (KRW)   cost (KRW)    ROAS',
    ...journeys.map(
      (j) =>
        `  ${j.journey.padEnd(22)} ${n(j.recipients).padStart(10)} ${n(j.sent).padStart(6)} ${n(j.converted).padStart(10)} ${wonOf(j.revenue.amount).padStart(18)} ${wonOf(j.cost.total.amount).padStart(12)} ${(j.roasPercent === null ? '–' : `${n(j.roasPercent)}%`).padStart(8)}`,
    ),
    `  campaign "${campaign.name}": ${n(campaign.recipients)} recipients, ${n(campaign.sent)} sent, ${n(campaign.orders)} orders, revenue ${wonOf(campaign.revenue.amount)} KRW, cost ${wonOf(campaign.cost.total.amount)} KRW (coupons ${wonOf(campaign.cost.coupons.amount)}), ROAS ${campaign.roasPercent ?? '–'}%` +
      (campaign.lift ? `; control ${n(campaign.lift.control.customers)} customers, ${n(campaign.lift.control.converted)} ordered` : ''),
    '',
    `  Reference cases (DESIGN.md): cart reminder ${n(cart.recipients)} recipients, ${wonOf(cart.cost.total.amount)} KRW, ${wonOf(cart.revenue.amount)} KRW → ${n(cart.roasPercent ?? 0)}%; RFM campaign ${wonOf(campaign.cost.total.amount)} KRW, ${wonOf(campaign.revenue.amount)} KRW → ${n(campaign.roasPercent ?? 0)}%`,
    `  ${n(counts.leftForNpmStart)} event deliveries wait for \`npm start\`: it starts the shop's dormancy watchers and consent re-confirmations on its own Temporal.`,
    `  Dashboard: \`npm start\`, then http://localhost:${config.port}/dashboard?from=${period.from.toISOString().slice(0, 10)}&to=${period.to.toISOString().slice(0, 10)}`,
  ];
  const expected = [
    [cart.recipients, CART_COHORT],
    [cart.revenue.amount, String(CART_REVENUE)],
    [wonOf(cart.cost.total.amount), '9,324'],
    [cart.roasPercent, 31_835],
    [campaign.revenue.amount, String(CAMPAIGN_REVENUE)],
    [wonOf(campaign.cost.total.amount), n(CAMPAIGN_COST)],
    [campaign.roasPercent, 927],
  ] as const;
  const wrong = expected.filter(([got, want]) => got !== want);
  if (wrong.length) throw new Error(`${lines.join('\n')}\n\nThe reference cases did not come out: ${wrong.map(([got, want]) => `${String(got)} instead of ${String(want)}`).join('; ')}`);
  return { period, counts, cart, campaign, text: lines.join('\n') };
}

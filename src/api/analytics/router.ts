// Analytics (src/analytics/): journeys, campaigns and channels for a period, as JSON or, with
// `Accept: text/csv`, as CSV (one line per row; money as amount and currency columns).
import { stringify } from 'csv-stringify/sync';
import { Router, type Request, type Response } from 'express';
import type pg from 'pg';
import { z } from 'zod';
import { campaignAnalytics, channelAnalytics, journeyAnalytics, type AnalyticsRow, type Period } from '../../analytics/report';
import { funnel } from '../../analytics/funnel';
import { unitEconomics } from '../../analytics/unit-economics';
import type { Lift } from '../../analytics/lift';
import type { Config } from '../../config';
import { ApiError, parseOrThrow } from '../errors';

const DAY_MS = 86_400_000;
/** Without `from`, a period is the 30 days before `to` (default: now). */
const DEFAULT_PERIOD_MS = 30 * DAY_MS;

const instant = z.union([z.iso.datetime({ offset: true }), z.iso.date()], { error: 'expected an ISO-8601 date (2026-11-01) or date-time (2026-11-01T09:00:00Z)' });
const periodSchema = z.object({ from: instant.optional(), to: instant.optional() });

/** The period of a request: `from` and `to` validated, `to` defaulting to now and `from` to 30 days before it. */
export function periodOf(query: unknown, now: Date): Period {
  const { from, to } = parseOrThrow(periodSchema, query);
  const end = to ? new Date(to) : now;
  const start = from ? new Date(from) : new Date(end.getTime() - DEFAULT_PERIOD_MS);
  if (start >= end) throw new ApiError(400, 'invalid_request', 'from: must be before to', [{ field: 'from', message: 'must be before to' }]);
  return { from: start, to: end };
}

/** The CSV columns every row has (money as amount, with one currency column). */
const ROW_COLUMNS = ['recipients', 'reached', 'sent', 'converted', 'conversionRate', 'orders', 'revenue', 'currency', 'messageCost', 'couponCost', 'totalCost', 'roas', 'roasPercent'];
const LIFT_COLUMNS = [
  'treatmentCustomers', 'treatmentConversionRate', 'controlCustomers', 'controlConversionRate', 'absoluteLift', 'relativeLift',
  'liftLow', 'liftHigh', 'significant', 'incrementalConversions', 'incrementalRevenue', 'incrementalRoas',
];

/** A row's shared columns, flat, for CSV. */
const flatRow = (row: AnalyticsRow) => ({
  recipients: row.recipients,
  reached: row.reached,
  sent: row.sent,
  converted: row.converted,
  conversionRate: row.conversionRate,
  orders: row.orders,
  revenue: row.revenue.amount,
  currency: row.revenue.currency,
  messageCost: row.cost.messages.amount,
  couponCost: row.cost.coupons.amount,
  totalCost: row.cost.total.amount,
  roas: row.roas,
  roasPercent: row.roasPercent,
});

const flatLift = (lift: Lift | null) => ({
  treatmentCustomers: lift?.treatment.customers,
  treatmentConversionRate: lift?.treatment.conversionRate,
  controlCustomers: lift?.control.customers,
  controlConversionRate: lift?.control.conversionRate,
  absoluteLift: lift?.absoluteLift,
  relativeLift: lift?.relativeLift,
  liftLow: lift?.confidenceInterval?.[0],
  liftHigh: lift?.confidenceInterval?.[1],
  significant: lift?.significant,
  incrementalConversions: lift?.incrementalConversions,
  incrementalRevenue: lift?.incrementalRevenue?.amount,
  incrementalRoas: lift?.incrementalRoas,
});

/** Answers CSV (asked for with `Accept: text/csv`): a header, one line per row, an empty cell for a null. */
function sendCsv(res: Response, name: string, period: Period, columns: string[], rows: object[]) {
  res.type('text/csv').attachment(`${name}-${period.from.toISOString().slice(0, 10)}-${period.to.toISOString().slice(0, 10)}.csv`);
  res.send(stringify(rows, { header: true, columns, cast: { boolean: (value) => String(value) } }));
}

/** What /journeys measures lift with: the holdouts, and the journeys whose conversions are orders in a window, with it. */
export function journeyAnalyticsOptions(config: Config): { holdouts: Record<string, number>; windows: Record<string, number> } {
  const { cartReminder, upsell, dormancy, browseAbandonment } = config.journeys;
  return {
    holdouts: config.messaging.holdouts,
    windows: {
      'cart-reminder': cartReminder.windowMs,
      upsell: upsell.windowMs,
      dormancy: dormancy.windowMs,
      ...(browseAbandonment ? { 'browse-abandonment': browseAbandonment.windowMs } : {}),
    },
  };
}

export function analyticsRouter({ pool, config, clock = () => new Date() }: { pool: pg.Pool; config: Config; clock?: () => Date }): Router {
  const router = Router();
  const currency = config.messaging.costCurrency;
  const wantsCsv = (req: Request) => req.get('accept')?.includes('text/csv') ?? false;
  const journeyOptions = journeyAnalyticsOptions(config);

  router.get('/v1/analytics/journeys', async (req, res) => {
    const period = periodOf(req.query, clock());
    const journeys = await journeyAnalytics(pool, period, currency, journeyOptions);
    if (wantsCsv(req)) {
      const rows = journeys.map((row) => ({ journey: row.journey, ...flatRow(row), ...flatLift(row.lift) }));
      return sendCsv(res, 'journeys', period, ['journey', ...ROW_COLUMNS, ...LIFT_COLUMNS], rows);
    }
    res.json({ from: period.from, to: period.to, currency, journeys });
  });

  router.get('/v1/analytics/campaigns', async (req, res) => {
    const period = periodOf(req.query, clock());
    const campaigns = await campaignAnalytics(pool, period, currency);
    if (wantsCsv(req)) {
      const rows = campaigns.map((row) => ({ campaign: row.campaign, name: row.name, ...flatRow(row), ...flatLift(row.lift) }));
      return sendCsv(res, 'campaigns', period, ['campaign', 'name', ...ROW_COLUMNS, ...LIFT_COLUMNS], rows);
    }
    res.json({ from: period.from, to: period.to, currency, campaigns });
  });

  router.get('/v1/analytics/channels', async (req, res) => {
    const period = periodOf(req.query, clock());
    const channels = await channelAnalytics(pool, period, currency);
    if (wantsCsv(req)) return sendCsv(res, 'channels', period, ['channel', ...ROW_COLUMNS], channels.map((row) => ({ channel: row.channel, ...flatRow(row) })));
    res.json({ from: period.from, to: period.to, currency, channels });
  });

  router.get('/v1/analytics/funnel', async (req, res) => {
    const period = periodOf(req.query, clock());
    const report = await funnel(pool, period, currency);
    if (wantsCsv(req)) return sendCsv(res, 'funnel', period, ['stage', 'people', 'dropOff', 'journey', 'journeyConversionRate'], report.stages);
    res.json(report);
  });

  router.get('/v1/analytics/unit-economics', async (req, res) => {
    const period = periodOf(req.query, clock());
    const report = await unitEconomics(pool, period, currency, config.analytics.marginRate);
    if (!wantsCsv(req)) return void res.json(report);
    // CSV: one line per acquisition channel, then the whole period.
    const line = (channel: string, spend: string, acquired: number, cac: string | undefined) => ({ channel, spend, currency, acquired, cac, ltv: '', ltvToCac: '', band: '' });
    const rows = [
      ...report.byChannel.map((row) => line(row.channel, row.spend.amount, row.acquired, row.cac?.amount)),
      { ...line('(all)', report.spend.amount, report.acquired, report.cac?.amount), ltv: report.ltv?.amount ?? '', ltvToCac: report.ltvToCac ?? '', band: report.band ?? '' },
    ];
    sendCsv(res, 'unit-economics', period, ['channel', 'spend', 'currency', 'acquired', 'cac', 'ltv', 'ltvToCac', 'band'], rows);
  });

  return router;
}

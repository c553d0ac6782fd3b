// Campaigns: creation (the audience and the content checked before anything is written), the
// report (DESIGN.md "Campaigns", "Holdouts"), computed from the messages and conversions
// tables so its numbers always add up to them.
import { randomBytes } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type pg from 'pg';
import { liftFromGroups, type Lift } from '../analytics/lift';
import { ApiError } from '../api/errors';
import type { Config } from '../config';
import type { Db } from '../db';
import { renderContent, sampleEvent, TemplateError, templateDefinition, type InlineContent } from '../messaging/templates';
import { Decimal, money, roasOf, type Money } from '../money';
import { SegmentRuleError } from '../segments/compile';
import type { Rule } from '../segments/rules';
import { checkRule } from '../segments/service';
import type { CampaignContent, CreateCampaignInput, Offer } from './schema';

export const campaignWorkflowId = (id: string) => `campaign:${id}`;
/** One message per campaign and customer: the send's idempotency key. */
export const campaignMessageKey = (id: string, customerId: string) => `campaign:${id}/${customerId}`;

/** The audience as one rule: in any of the segments, and (if given) matching the rules. */
export function audienceRule(audience: { segments?: string[]; rules?: Rule }): Rule {
  const parts: Rule[] = [];
  if (audience.segments) parts.push({ any: audience.segments.map((segment) => ({ segment })) });
  if (audience.rules) parts.push(audience.rules);
  return parts.length === 1 ? parts[0] : { all: parts };
}

/** A campaign's content as the renderer takes it: a missing locale falls back to the other. */
export function inlineContent(content: CampaignContent): InlineContent {
  const both = (text: { ko?: string; en?: string }) => ({ ko: text.ko ?? text.en!, en: text.en ?? text.ko! });
  return {
    text: both(content),
    byChannel: content.byChannel ? Object.fromEntries(Object.entries(content.byChannel).map(([channel, text]) => [channel, both(text)])) : undefined,
  };
}

/** What a campaign's text sees besides `customer`: the offer and the customer's RFM score. */
export function campaignVariables(offer: Offer | null, rfm: { segment: string | null; r: number | null; f: number | null; m: number | null }) {
  return { offer, rfm };
}

const sampleCustomer = { id: 'c-sample', name: '김민지', email: 'sample@example.com', locale: 'ko' };

/** Renders the content for a sample customer in every locale and channel text: an unknown variable is a 400 naming where. */
async function checkContent(input: CreateCampaignInput, config: Config): Promise<void> {
  const variables = {
    customer: sampleCustomer,
    event: sampleEvent,
    shopUrl: config.messaging.shopUrl,
    ...campaignVariables(input.offer ?? null, { segment: 'champions', r: 5, f: 5, m: 5 }),
  };
  const bad = (field: string, message: string) => new ApiError(400, 'invalid_request', `${field}: ${message}`, [{ field, message }]);
  if (input.template) {
    let definition;
    try {
      definition = templateDefinition(input.template);
    } catch (error) {
      throw bad('template', (error as Error).message);
    }
    for (const locale of ['ko', 'en'] as const) {
      try {
        await renderContent(definition, `template "${input.template}"`, locale, { ...definition.sample, ...variables });
      } catch (error) {
        if (error instanceof TemplateError) throw bad('template', error.message);
        throw error;
      }
    }
    return;
  }
  const content = input.content!;
  const texts: [string, string][] = [];
  for (const locale of ['ko', 'en'] as const) if (content[locale]) texts.push([`content.${locale}`, content[locale]]);
  for (const [channel, text] of Object.entries(content.byChannel ?? {})) for (const locale of ['ko', 'en'] as const) if (text[locale]) texts.push([`content.byChannel.${channel}.${locale}`, text[locale]]);
  for (const [field, text] of texts) {
    try {
      await renderContent({ text: { ko: text, en: text } }, field, 'ko', variables);
    } catch (error) {
      if (error instanceof TemplateError) throw bad(field, error.message.slice(error.message.indexOf(': ') + 2));
      throw error;
    }
  }
}

/** Where in the request a path of the audience rule (audienceRule) points. */
function audienceField(path: string, audience: { segments?: string[]; rules?: unknown }): string {
  if (audience.segments && audience.rules) {
    const segment = /^rules\.all\[0\]\.any\[(\d+)\]/.exec(path);
    return segment ? `audience.segments[${segment[1]}]` : `audience.${path.replace(/^rules\.all\[1\]/, 'rules')}`;
  }
  const segment = audience.segments && /^rules\.any\[(\d+)\]/.exec(path);
  return segment ? `audience.segments[${segment[1]}]` : `audience.${path}`;
}

export interface CampaignDeps {
  db: Db;
  pool: pg.Pool;
  client: Client;
  config: Config;
}

/** Checks, stores and starts a campaign (`campaign:<id>`). Nothing is kept if it cannot start. */
export async function createCampaign({ db, pool, client, config }: CampaignDeps, input: CreateCampaignInput): Promise<{ id: string; status: string }> {
  try {
    await checkRule(pool, audienceRule(input.audience), config.segments);
  } catch (error) {
    if (!(error instanceof SegmentRuleError)) throw error;
    // Paths inside the audience: rules.… as given, or the segments list.
    const field = audienceField(error.path, input.audience);
    const message = error.message.slice(error.path.length + 2);
    throw new ApiError(400, 'invalid_request', `${field}: ${message}`, [{ field, message }]);
  }
  await checkContent(input, config);

  const id = `cmp_${randomBytes(8).toString('hex')}`;
  await db.campaign.create({
    data: {
      id,
      name: input.name,
      audience: input.audience,
      template: input.template ?? null,
      content: input.content ? (inlineContent(input.content) as object) : undefined,
      purpose: input.purpose,
      channels: input.channels,
      offer: input.offer ? (input.offer as object) : undefined,
      sendAt: input.sendAt ? new Date(input.sendAt) : null,
      holdoutPercent: input.holdoutPercent,
      windowDays: input.windowDays,
      ratePerSecond: input.ratePerSecond ?? null,
    },
  });
  try {
    await client.workflow.start('campaign', { workflowId: campaignWorkflowId(id), taskQueue: config.temporal.taskQueue, args: [{ campaignId: id, sendAt: input.sendAt ?? null, windowDays: input.windowDays }] });
  } catch (error) {
    await db.campaign.delete({ where: { id } });
    throw new ApiError(503, 'temporal_unavailable', `the campaign could not be started (nothing was kept): ${(error as Error).message}`);
  }
  return { id, status: 'scheduled' };
}

export interface CampaignReport {
  id: string;
  name: string;
  status: string;
  sendAt: Date | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  audience: number | null;
  holdout: number | null;
  sent: number;
  held: number;
  suppressed: { total: number; byReason: Record<string, number> };
  failed: number;
  cancelled: number;
  conversions: number;
  revenue: Money;
  cost: { messages: Money; coupons: Money; total: Money };
  roas: string | null;
  roasPercent: number | null;
  lift: Lift | null;
}

/** The report of DESIGN.md, from the messages and conversions of `campaign:<id>`. */
export async function campaignReport(pool: pg.Pool, id: string, currency: string): Promise<CampaignReport | null> {
  const campaigns = await pool.query<{ id: string; name: string; status: string; sendAt: Date | null; startedAt: Date | null; finishedAt: Date | null; audienceSize: number | null; holdoutSize: number | null; offer: Offer | null; windowDays: number }>(
    `SELECT id, name, status::text, "sendAt", "startedAt", "finishedAt", "audienceSize", "holdoutSize", offer, "windowDays" FROM "Campaign" WHERE id = $1`,
    [id],
  );
  const campaign = campaigns.rows[0];
  if (!campaign) return null;
  const workflowId = campaignWorkflowId(id);

  const byStatus = await pool.query<{ status: string; reason: string | null; count: number; cost: string }>(
    `SELECT status::text, reason, count(*)::int AS count, COALESCE(sum(cost) FILTER (WHERE "costCurrency" = $2), 0)::text AS cost
     FROM "Message" WHERE "workflowId" = $1 GROUP BY status, reason`,
    [workflowId, currency],
  );
  const count = (status: string) => byStatus.rows.filter((r) => r.status === status).reduce((n, r) => n + r.count, 0);
  const byReason: Record<string, number> = {};
  for (const row of byStatus.rows) if (row.status === 'suppressed') byReason[row.reason ?? 'no reason given'] = (byReason[row.reason ?? 'no reason given'] ?? 0) + row.count;
  const messageCost = byStatus.rows.reduce((sum, row) => sum.plus(row.cost), new Decimal(0));

  // Conversions: orders attributed to this campaign's messages (one attribution model); the
  // coupons' cost: the discount on those that redeemed the campaign's coupon.
  const conversions = await pool.query<{ conversions: number; revenue: string; coupons: string }>(
    `SELECT count(*)::int AS conversions,
            COALESCE(sum(c.revenue) FILTER (WHERE c.currency = $2), 0)::text AS revenue,
            COALESCE(sum(o.discount) FILTER (WHERE o.coupon = $3 AND o.currency = $2), 0)::text AS coupons
     FROM "Conversion" c LEFT JOIN "Order" o ON o.id = c."orderId" WHERE c."workflowId" = $1`,
    [workflowId, currency, campaign.offer?.coupon ?? null],
  );
  const { revenue, coupons } = conversions.rows[0];
  const total = messageCost.plus(coupons);

  return {
    id: campaign.id,
    name: campaign.name,
    status: campaign.status,
    sendAt: campaign.sendAt,
    startedAt: campaign.startedAt,
    finishedAt: campaign.finishedAt,
    audience: campaign.audienceSize,
    holdout: campaign.holdoutSize,
    sent: count('sent'),
    held: count('held'),
    suppressed: { total: count('suppressed'), byReason },
    failed: count('failed'),
    cancelled: count('cancelled'),
    conversions: conversions.rows[0].conversions,
    revenue: money(revenue, currency),
    cost: { messages: money(messageCost, currency), coupons: money(coupons, currency), total: money(total, currency) },
    ...roasOf(revenue, total),
    lift: campaign.startedAt ? await liftOf(pool, campaign.id, campaign.startedAt, campaign.windowDays, currency, total) : null,
  };
}

/**
 * Treatment (messaged) against control (held out), measured alike: customers with an order in
 * the campaign's window from its start, attributed or not — the control has no message to
 * attribute to.
 */
async function liftOf(pool: pg.Pool, id: string, startedAt: Date, windowDays: number, currency: string, cost: Decimal): Promise<Lift | null> {
  const { rows } = await pool.query<{ holdout: boolean; customers: number; converted: number; revenue: string }>(
    `SELECT r.holdout, count(*)::int AS customers, count(*) FILTER (WHERE o.orders > 0)::int AS converted, COALESCE(sum(o.revenue), 0)::text AS revenue
     FROM "CampaignRecipient" r
     LEFT JOIN LATERAL (
       SELECT count(*) AS orders, sum(total) FILTER (WHERE currency = $4) AS revenue FROM "Order"
       WHERE "customerId" = r."customerId" AND "occurredAt" >= $2 AND "occurredAt" < $2::timestamptz + make_interval(days => $3)
     ) o ON TRUE
     WHERE r."campaignId" = $1 GROUP BY r.holdout`,
    [id, startedAt, windowDays, currency],
  );
  return liftFromGroups(rows, cost, currency);
}

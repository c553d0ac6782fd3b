// A campaign's side effects (workflows/campaign.ts): the audience snapshot with its holdout,
// pages of sends through the same guarded send as journeys, the held messages' second try,
// and attribution of the recipients' orders.
import { Context } from '@temporalio/activity';
import { RateLimiter } from 'limiter';
import pLimit from 'p-limit';
import type { ActivityDeps } from '.';
import { audienceRule, campaignMessageKey, campaignVariables, campaignWorkflowId } from '../src/campaigns/service';
import type { Offer } from '../src/campaigns/schema';
import { Params, compileRule } from '../src/segments/compile';
import { contextFor } from '../src/segments/service';
import type { Rule } from '../src/segments/rules';
import { ruleSchema } from '../src/segments/rules';
import { sqlOverPrisma } from '../src/db';
import type { InlineContent } from '../src/messaging/templates';
import { createConversionActivities } from './conversions';
import { createMessageActivities, type MessageStatus, type SendRequest } from './messages';

const DAY_MS = 86_400_000;
/** Sends in flight at once within a page. */
const SEND_CONCURRENCY = 8;

/** A customer to send to, with their RFM score (templates see it as `rfm`). */
interface Recipient {
  customerId: string;
  segment: string | null;
  r: number | null;
  f: number | null;
  m: number | null;
}

export type CampaignStatus = 'scheduled' | 'running' | 'paused' | 'completed' | 'cancelled';

export interface PageResult {
  /** Sends by outcome in this page. */
  counts: Partial<Record<MessageStatus, number>>;
  /** The earliest time a message held for quiet hours may go (ISO), if any was held. */
  heldUntil: string | null;
}

export function createCampaignActivities(deps: ActivityDeps) {
  const { db } = deps;
  const messages = createMessageActivities(deps);
  const { attributeOrder } = createConversionActivities(deps);

  const campaignOf = async (campaignId: string) => db.campaign.findUniqueOrThrow({ where: { id: campaignId } });

  /** The send of one recipient, as the page and the held pass make it. */
  const requestFor = (campaign: Awaited<ReturnType<typeof campaignOf>>, { customerId, ...rfm }: Recipient): SendRequest => ({
    idempotencyKey: campaignMessageKey(campaign.id, customerId),
    customerId,
    journey: 'campaign',
    workflowId: campaignWorkflowId(campaign.id),
    step: 'send',
    purpose: campaign.purpose,
    template: campaign.template ?? `campaign:${campaign.id}`,
    ...(campaign.content ? { content: campaign.content as unknown as InlineContent } : {}),
    channels: campaign.channels,
    data: campaignVariables((campaign.offer as Offer | null) ?? null, rfm),
    conversionWindowMs: campaign.windowDays * DAY_MS,
  });

  const tally = (result: PageResult, status: MessageStatus, heldUntil?: string | null) => {
    result.counts[status] = (result.counts[status] ?? 0) + 1;
    if (status === 'held' && heldUntil && (!result.heldUntil || heldUntil < result.heldUntil)) result.heldUntil = heldUntil;
  };

  /**
   * Sends to each recipient, SEND_CONCURRENCY at a time (the guarded send locks one customer's
   * row at a time, so recipients do not wait on each other), at most ratePerSecond a second.
   */
  const sendAll = async (campaign: Awaited<ReturnType<typeof campaignOf>>, recipients: Recipient[]): Promise<PageResult> => {
    const limiter = campaign.ratePerSecond ? new RateLimiter({ tokensPerInterval: campaign.ratePerSecond, interval: 'second' }) : null;
    const concurrently = pLimit(SEND_CONCURRENCY);
    const result: PageResult = { counts: {}, heldUntil: null };
    let done = 0;
    await Promise.all(
      recipients.map((recipient) =>
        concurrently(async () => {
          if (limiter) await limiter.removeTokens(1);
          const outcome = await messages.sendMessage(requestFor(campaign, recipient));
          tally(result, outcome.status, outcome.heldUntil);
          done += 1;
          Context.current().heartbeat(done);
        }),
      ),
    );
    return result;
  };

  return {
    async setCampaignStatus({ campaignId, status, at }: { campaignId: string; status: CampaignStatus; at: string }): Promise<void> {
      await db.campaign.update({
        where: { id: campaignId },
        data: { status, ...(status === 'completed' || status === 'cancelled' ? { finishedAt: new Date(at) } : {}) },
      });
    },

    /**
     * Snapshots the audience once (a retry finds it taken): recipients in customer id order,
     * each held out by a stable hash of campaign and customer; the held-out ones get a
     * `holdout` message record instead of a send.
     */
    async snapshotCampaign({ campaignId, at }: { campaignId: string; at: string }): Promise<{ audience: number; holdout: number }> {
      const campaign = await campaignOf(campaignId);
      if (campaign.audienceSize === null) {
        const audience = campaign.audience as { segments?: string[]; rules?: unknown };
        const rule: Rule = audienceRule({ segments: audience.segments, rules: audience.rules === undefined ? undefined : ruleSchema.parse(audience.rules) });
        const params = new Params();
        const predicate = compileRule(rule, await contextFor(sqlOverPrisma(db), rule, { currency: deps.messaging.costCurrency }, new Date(at)), params);
        const id = params.add(campaignId, 'text');
        const percent = params.add(campaign.holdoutPercent, 'int');
        await db.$transaction(
          async (tx) => {
            await tx.$executeRawUnsafe(
              `INSERT INTO "CampaignRecipient" ("campaignId", "customerId", seq, holdout)
               SELECT ${id}, c.id, row_number() OVER (ORDER BY c.id),
                      (('x' || substr(md5(${id} || ':' || c.id), 1, 8))::bit(32)::bigint % 100) < ${percent}
               FROM "Customer" c WHERE ${predicate}
               ON CONFLICT DO NOTHING`,
              ...params.values,
            );
            await tx.$executeRawUnsafe(
              `INSERT INTO "Message" (id, "idempotencyKey", "customerId", journey, "workflowId", step, template, purpose, content, status, reason, "costCurrency", "createdAt", "updatedAt")
               SELECT gen_random_uuid()::text, 'campaign:' || $1 || '/' || r."customerId", r."customerId", 'campaign', 'campaign:' || $1, 'send', $2, $3::"MessagePurpose", '', 'holdout', 'held out: the control group', $4, $5::timestamptz, $5::timestamptz
               FROM "CampaignRecipient" r WHERE r."campaignId" = $1 AND r.holdout
               ON CONFLICT ("idempotencyKey") DO NOTHING`,
              campaignId,
              campaign.template ?? `campaign:${campaignId}`,
              campaign.purpose,
              deps.messaging.costCurrency,
              // Dated when the audience was taken, as the sends are by theirs.
              at,
            );
            const [sizes] = await tx.$queryRawUnsafe<{ audience: number; holdout: number }[]>(
              `SELECT count(*)::int AS audience, count(*) FILTER (WHERE holdout)::int AS holdout FROM "CampaignRecipient" WHERE "campaignId" = $1`,
              campaignId,
            );
            await tx.campaign.update({ where: { id: campaignId }, data: { audienceSize: sizes.audience, holdoutSize: sizes.holdout, startedAt: new Date(at) } });
          },
          { timeout: 10 * 60_000, maxWait: 10_000 },
        );
      }
      const done = await campaignOf(campaignId);
      return { audience: done.audienceSize ?? 0, holdout: done.holdoutSize ?? 0 };
    },

    /**
     * Sends to the recipients with seq in (afterSeq, afterSeq + limit], held-out ones skipped,
     * at most `ratePerSecond` a second. Each send is idempotent (one key per campaign and
     * customer): a retried page sends nobody twice. Heartbeats its progress.
     */
    async sendCampaignPage({ campaignId, afterSeq, limit }: { campaignId: string; afterSeq: number; limit: number }): Promise<PageResult> {
      const campaign = await campaignOf(campaignId);
      const recipients = await db.$queryRawUnsafe<Recipient[]>(
        `SELECT cr."customerId", rfm.segment, rfm.r, rfm.f, rfm.m
         FROM "CampaignRecipient" cr LEFT JOIN "CustomerRfm" rfm ON rfm."customerId" = cr."customerId"
         WHERE cr."campaignId" = $1 AND cr.seq > $2::int AND cr.seq <= $3::int AND NOT cr.holdout ORDER BY cr.seq`,
        campaignId,
        afterSeq,
        afterSeq + limit,
      );
      return sendAll(campaign, recipients);
    },

    /** Sends again the campaign's messages held for quiet hours whose time has come. */
    async resendHeldCampaignMessages({ campaignId }: { campaignId: string }): Promise<PageResult> {
      const campaign = await campaignOf(campaignId);
      const held = await db.$queryRawUnsafe<Recipient[]>(
        `SELECT m."customerId", rfm.segment, rfm.r, rfm.f, rfm.m FROM "Message" m LEFT JOIN "CustomerRfm" rfm ON rfm."customerId" = m."customerId"
         WHERE m."workflowId" = $1 AND m.status = 'held' ORDER BY m."customerId"`,
        campaignWorkflowId(campaignId),
      );
      return sendAll(campaign, held);
    },

    /** A cancelled campaign's held messages are never sent. */
    async cancelHeldCampaignMessages({ campaignId }: { campaignId: string }): Promise<number> {
      const { count } = await db.message.updateMany({ where: { workflowId: campaignWorkflowId(campaignId), status: 'held' }, data: { status: 'cancelled', reason: 'exited: campaign cancelled', heldUntil: null } });
      return count;
    },

    /**
     * Credits the recipients' orders since the campaign started under the one attribution model
     * (each order once, to its last touch: this campaign or a journey). Returns how many went
     * to this campaign so far.
     */
    async attributeCampaignOrders({ campaignId, until }: { campaignId: string; until: string }): Promise<number> {
      const campaign = await campaignOf(campaignId);
      if (!campaign.startedAt) return 0;
      const orders = await db.$queryRawUnsafe<{ id: string }[]>(
        `SELECT o.id FROM "Order" o JOIN "CampaignRecipient" r ON r."customerId" = o."customerId" AND r."campaignId" = $1 AND NOT r.holdout
         WHERE o."occurredAt" >= $2::timestamptz AND o."occurredAt" <= $3::timestamptz
           AND NOT EXISTS (SELECT 1 FROM "Conversion" c WHERE c."orderId" = o.id)
         ORDER BY o."occurredAt"`,
        campaignId,
        campaign.startedAt.toISOString(),
        until,
      );
      for (const [i, order] of orders.entries()) {
        await attributeOrder({ orderId: order.id });
        if (i % 100 === 0) Context.current().heartbeat(i);
      }
      return db.conversion.count({ where: { workflowId: campaignWorkflowId(campaignId) } });
    },
  };
}

// POST /v1/campaigns, validated at the edge (DESIGN.md "Campaigns").
import { z } from 'zod';
import { channelSchema, purposeSchema } from '../api/schemas';
import { amountSchema } from '../money';
import { ruleSchema } from '../segments/rules';

const localized = z
  .object({ ko: z.string().min(1).max(2000).optional(), en: z.string().min(1).max(2000).optional() })
  .strict()
  .refine((text) => text.ko !== undefined || text.en !== undefined, 'give the text in ko, en or both');

export const campaignContentSchema = z
  .object({
    ko: z.string().min(1).max(2000).optional(),
    en: z.string().min(1).max(2000).optional(),
    /** Other text for some channels, e.g. a short SMS. */
    byChannel: z.partialRecord(channelSchema, localized).optional(),
  })
  .strict()
  .refine((content) => content.ko !== undefined || content.en !== undefined, 'give the text in ko, en or both');

export const offerSchema = z
  .object({
    text: z.string().min(1).max(500),
    coupon: z.string().min(1).max(100).optional(),
    /** What the coupon takes off an order, in the order's currency (for the cost of coupons, exact). */
    discount: amountSchema.optional(),
  })
  .strict();

export const createCampaignSchema = z
  .object({
    name: z.string().trim().min(1).max(200),
    audience: z
      .object({ segments: z.array(z.string().min(1).max(100)).min(1).max(20).optional(), rules: ruleSchema.optional() })
      .strict()
      .refine((audience) => audience.segments !== undefined || audience.rules !== undefined, 'give segments, rules or both'),
    template: z.string().min(1).max(100).optional(),
    content: campaignContentSchema.optional(),
    purpose: purposeSchema.default('marketing'),
    channels: z.array(channelSchema).min(1).max(5),
    offer: offerSchema.optional(),
    sendAt: z.iso.datetime({ offset: true, message: 'expected an ISO-8601 time such as 2026-12-01T09:00:00+09:00' }).optional(),
    holdoutPercent: z.number().int().min(0).max(90).default(10),
    windowDays: z.number().int().min(1).max(90).default(7),
    ratePerSecond: z.number().int().min(1).max(10_000).optional(),
  })
  .strict()
  .superRefine((campaign, ctx) => {
    if ((campaign.template === undefined) === (campaign.content === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['content'], message: 'give either template (a registered name) or content (Liquid per locale), not both' });
    }
  });

export type CreateCampaignInput = z.output<typeof createCampaignSchema>;
export type CampaignContent = z.output<typeof campaignContentSchema>;
export type Offer = z.output<typeof offerSchema>;

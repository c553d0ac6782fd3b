import { z } from 'zod';
import { amountSchema, currencySchema } from '../../money';
import { idSchema } from '../schemas';

export const MAX_BATCH = 500;

const itemSchema = z.object({
  productId: idSchema,
  name: z.string().max(500).optional(),
  category: z.string().max(200).optional(),
  quantity: z.number().int().positive().default(1),
  /** Unit price, in the order's currency. */
  price: amountSchema.default('0'),
});

/** Properties the journeys rely on, per event type; other types take any object. */
export const propertiesByType = {
  cart_updated: z.looseObject({ items: z.array(itemSchema), value: amountSchema }),
  order_completed: z.looseObject({
    orderId: idSchema,
    total: amountSchema,
    currency: currencySchema,
    items: z.array(itemSchema),
    /** A redeemed coupon and the discount it granted (coupon costs in ROAS). */
    coupon: z.string().trim().min(1).max(100).optional(),
    discount: amountSchema.optional(),
  }),
  order_delivered: z.looseObject({ orderId: idSchema }),
  review_submitted: z.looseObject({ orderId: idSchema }),
} as const;

/** Event types that are about a customer and mean nothing for an anonymous visitor. */
const needsCustomer = new Set(['signed_up', 'cart_updated', 'order_completed', 'order_delivered', 'review_submitted']);

export const eventSchema = z
  .object({
    id: z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters').optional(),
    type: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'expected a snake_case event type such as cart_updated'),
    customerId: idSchema.optional(),
    anonymousId: idSchema.optional(),
    occurredAt: z.iso.datetime({ offset: true, message: 'expected an ISO-8601 date-time such as 2026-11-23T09:00:00Z' }).optional(),
    properties: z.record(z.string(), z.unknown()).default({}),
  })
  .strict()
  .transform((event, ctx) => {
    if (!event.customerId && !event.anonymousId) {
      ctx.addIssue({ code: 'custom', path: ['customerId'], message: 'one of customerId or anonymousId is required' });
    }
    if (needsCustomer.has(event.type) && !event.customerId) {
      ctx.addIssue({ code: 'custom', path: ['customerId'], message: `is required for ${event.type}` });
    }
    const schema = propertiesByType[event.type as keyof typeof propertiesByType];
    if (!schema) return event;
    const parsed = schema.safeParse(event.properties);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, path: ['properties', ...issue.path] });
      return z.NEVER;
    }
    return { ...event, properties: parsed.data };
  });

export type EventInput = z.output<typeof eventSchema>;

export const eventBatchSchema = z
  .object({
    events: z.array(eventSchema).min(1, 'send at least one event').max(MAX_BATCH, `send at most ${MAX_BATCH} events per request`),
  })
  .strict();

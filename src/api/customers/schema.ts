import { z } from 'zod';
import { timeZoneSchema } from '../../time-zone';
import { channelSchema, purposeSchema } from '../schemas';


export const consentSchema = z
  .object({
    channel: channelSchema,
    purpose: purposeSchema,
    nightTime: z.boolean().optional(),
    granted: z.boolean(),
  })
  .strict();

export const customerProfileSchema = z
  .object({
    email: z.email('expected an email address').nullable().optional(),
    phone: z
      .string()
      .regex(/^\+?[0-9][0-9 -]{6,19}$/, 'expected a phone number such as +821012345678')
      .nullable()
      .optional(),
    name: z.string().max(200).nullable().optional(),
    locale: z.string().regex(/^[a-z]{2}(-[A-Za-z]{2,4})?$/, 'expected a locale such as ko or en-US').nullable().optional(),
    timezone: timeZoneSchema.nullable().optional(),
    attributes: z.record(z.string(), z.unknown()).optional(),
    consents: z
      .array(consentSchema)
      .max(20)
      .refine(
        (consents) => new Set(consents.map((c) => `${c.channel}/${c.purpose}`)).size === consents.length,
        'each channel and purpose may appear once',
      )
      .optional(),
  })
  .strict();

export type CustomerProfileInput = z.output<typeof customerProfileSchema>;

export const messagesQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  status: z.enum(['pending', 'sent', 'held', 'suppressed', 'failed', 'cancelled', 'holdout']).optional(),
});

export const cancelJourneyQuerySchema = z.object({
  reason: z.string().trim().min(1).max(500).optional(),
});

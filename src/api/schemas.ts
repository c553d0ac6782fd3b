// Shared field rules for API inputs.
import { z } from 'zod';

/** Ids of customers, visitors and orders become part of workflow ids: keep them plain. */
export const idSchema = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(128, 'must be at most 128 characters')
  .regex(/^[\w.@:+-]+$/, 'may contain only letters, digits and . _ @ : + -');

export const channelSchema = z.enum(['email', 'sms', 'push', 'kakao', 'onsite']);
export const purposeSchema = z.enum(['marketing', 'informational']);

/** `<journey>:<subject>`, e.g. cart-reminder:c-42. */
export const workflowIdSchema = z
  .string()
  .regex(/^[a-z][a-z0-9-]*:[\w.@:+-]{1,128}$/, 'expected a journey workflow id such as cart-reminder:c-42');

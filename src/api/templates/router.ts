// POST /v1/templates/preview: render a template as a customer would get it, with the
// template's sample data or your own.
import { Router } from 'express';
import { z } from 'zod';
import type { Config } from '../../config';
import { formatAdvertising, variantFor } from '../../messaging/rules';
import { renderTemplate, sampleEvent, TemplateError, templateDefinition, templateIds } from '../../messaging/templates';
import { ApiError, parseOrThrow } from '../errors';
import { channelSchema, purposeSchema } from '../schemas';

const previewSchema = z
  .object({
    template: z.string().min(1),
    locale: z.enum(['ko', 'en']).default('ko'),
    channel: channelSchema.default('kakao'),
    purpose: purposeSchema.default('marketing'),
    customer: z.object({ name: z.string().nullable().optional() }).optional(),
    /** Overrides the template's sample data, key by key. */
    data: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

export function templatesRouter({ config }: { config: Config }): Router {
  const router = Router();
  router.post('/v1/templates/preview', async (req, res) => {
    const input = parseOrThrow(previewSchema, req.body ?? {});
    let definition;
    try {
      definition = templateDefinition(input.template);
    } catch {
      throw new ApiError(404, 'not_found', `no template "${input.template}"; known: ${templateIds().join(', ')}`);
    }
    const variables = {
      customer: { id: 'c-preview', name: input.customer?.name ?? '김민지', email: 'preview@example.com', locale: input.locale },
      event: sampleEvent,
      // Links as the customer's would read before tracking (a preview has no message to track).
      shopUrl: config.messaging.shopUrl,
      ...definition.sample,
      ...input.data,
    };
    let content: string;
    try {
      content = await renderTemplate(input.template, input.locale, variables, input.channel);
    } catch (error) {
      if (error instanceof TemplateError) throw new ApiError(400, 'invalid_request', `data: ${error.message}`, [{ field: 'data', message: error.message }]);
      throw error;
    }
    if (input.purpose === 'marketing' && input.channel !== 'onsite') {
      content = formatAdvertising(content, { senderName: config.messaging.senderName, optOutUrl: `${config.publicUrl.replace(/\/$/, '')}/unsubscribe/<token>` });
    }
    res.json({ template: input.template, locale: input.locale, channel: input.channel, purpose: input.purpose, variant: variantFor(input.channel, input.purpose, content), content });
  });
  return router;
}

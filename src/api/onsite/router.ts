// On-site banners and popups for the visitor (or signed-in customer) on the page right now.
// Each message is delivered once: fetching it marks it shown.
import { Router } from 'express';
import type { Db } from '../../db';
import { parseOrThrow } from '../errors';
import { idSchema } from '../schemas';

export function onsiteRouter({ db }: { db: Db }): Router {
  const router = Router();
  router.get('/v1/onsite/:visitorId', async (req, res) => {
    const id = parseOrThrow(idSchema, req.params.visitorId, ['visitorId']);
    const now = new Date();
    const shown = await db.$transaction(async (tx) => {
      const pending = await tx.message.findMany({
        where: {
          channel: 'onsite',
          status: 'sent',
          shownAt: null,
          OR: [{ visitorId: id }, { customerId: id }],
          AND: [{ OR: [{ expiresAt: null }, { expiresAt: { gt: now } }] }],
        },
        orderBy: { createdAt: 'asc' },
      });
      await tx.message.updateMany({ where: { id: { in: pending.map((m) => m.id) } }, data: { shownAt: now } });
      return pending;
    });
    res.json({
      messages: shown.map((m) => ({
        id: m.id,
        journey: m.journey,
        step: m.step,
        // Popups come from journeys that nudge an action; the rest render as banners.
        placement: m.journey === 'signup-nudge' ? 'popup' : 'banner',
        content: m.content,
        expiresAt: m.expiresAt,
      })),
    });
  });
  return router;
}

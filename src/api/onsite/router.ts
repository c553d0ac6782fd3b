// On-site banners and popups for the visitor (or signed-in customer) on the page right now.
// Each message is delivered once: fetching it marks it shown.
import { Router } from 'express';
import type { Config } from '../../config';
import type { Db } from '../../db';
import { clickToken, clickUrl } from '../../messaging/links';
import { parseOrThrow } from '../errors';
import { idSchema } from '../schemas';

/** Where a message's button leads on the shop, and what it says (Korean when the message is). */
function actionOf(journey: string, content: string): { path: string; label: string } {
  const korean = /[\uac00-\ud7a3]/.test(content);
  if (journey === 'signup-nudge') return { path: '/signup', label: korean ? '지금 가입하기' : 'Sign up' };
  if (journey === 'cart-reminder') return { path: '/cart', label: korean ? '장바구니 보기' : 'View cart' };
  return { path: '/', label: korean ? '자세히 보기' : 'Learn more' };
}

export function onsiteRouter({ db, config, unsubscribeSecret }: { db: Db; config: Config; unsubscribeSecret: string }): Router {
  const router = Router();
  /** The button: through the click-tracking link (/r/<token>), which records the click, to the shop. */
  const action = (message: { journey: string; content: string; idempotencyKey: string }) => {
    const { path, label } = actionOf(message.journey, message.content);
    const token = clickToken(unsubscribeSecret, { messageKey: message.idempotencyKey, url: `${config.messaging.shopUrl}${path}` });
    return { label, url: clickUrl(config.publicUrl, token) };
  };
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
        action: action(m),
      })),
    });
  });
  return router;
}

// GET /r/:token: the tracked links in messages (src/messaging/links.ts). Public — customers
// click them from the message — and authorised by the signed token, which names the message and
// the destination: a click is stored as a `message_clicked` event through the ordinary ingest
// path (so segments and journeys see it like any event), the message keeps the time of its
// first click (attribution prefers clicked messages), and the customer is sent on with a 302.
// A token that does not verify, or names no message, is a 400 with no Location: the redirect
// only ever goes where we signed it to go.
import { Router } from 'express';
import type { Db } from '../../db';
import { verifyClickToken } from '../../messaging/links';
import { ApiError } from '../errors';
import { eventSchema } from '../events/schema';
import { ingestEvents, type IngestDeps } from '../events/service';

const invalidLink = () => new ApiError(400, 'invalid_token', 'this link is not valid');

export function redirectRouter({ db, pool, config, unsubscribeSecret }: IngestDeps & { db: Db; unsubscribeSecret: string }): Router {
  const router = Router();
  router.get('/r/:token', async (req, res) => {
    const target = verifyClickToken(unsubscribeSecret, req.params.token);
    if (!target) throw invalidLink();
    const message = await db.message.findUnique({
      where: { idempotencyKey: target.messageKey },
      select: { id: true, customerId: true, visitorId: true, journey: true, workflowId: true },
    });
    // A message with no customer or visitor was never delivered to anyone to click.
    if (!message || (!message.customerId && !message.visitorId)) throw invalidLink();

    const clickedAt = new Date();
    const subject = message.customerId ? { customerId: message.customerId } : { anonymousId: message.visitorId! };
    const event = eventSchema.parse({
      type: 'message_clicked',
      ...subject,
      properties: { messageId: message.id, journey: message.journey, workflowId: message.workflowId, url: target.url },
    });
    await ingestEvents({ pool, config }, [event], clickedAt);
    // The first click only: later clicks are events of their own but do not move it.
    await db.message.updateMany({ where: { id: message.id, clickedAt: null }, data: { clickedAt } });

    res.set('Cache-Control', 'no-store').redirect(302, target.url);
  });
  return router;
}

// The free opt-out every marketing message carries. Public (customers click it from the
// message), authorised by the signed token in the link. GET shows a confirmation form;
// POST (also RFC 8058 one-click) revokes marketing consent for that channel.
import { Router } from 'express';
import type { Config } from '../../config';
import { changeConsents } from '../../consent';
import type { Db } from '../../db';
import { verifyUnsubscribeToken } from '../../messaging/unsubscribe';
import { ApiError } from '../errors';

const page = (body: string) =>
  `<!doctype html><html lang="ko"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>수신거부</title></head><body style="font-family:sans-serif;max-width:32rem;margin:3rem auto">${body}</body></html>`;

const channelNames: Record<string, string> = { email: '이메일', sms: '문자', kakao: '카카오톡', push: '앱 푸시', onsite: '사이트' };

export function unsubscribeRouter({ db, unsubscribeSecret, config }: { db: Db; unsubscribeSecret: string; config: Config }): Router {
  const router = Router();
  const verify = (token: string) => {
    const target = verifyUnsubscribeToken(unsubscribeSecret, token);
    if (!target) throw new ApiError(400, 'invalid_token', 'this opt-out link is not valid');
    return target;
  };

  router.get('/unsubscribe/:token', (req, res) => {
    const { channel } = verify(req.params.token);
    res.type('html').send(
      page(`<h1>광고성 정보 수신거부</h1><p>${channelNames[channel] ?? channel}(으)로 받는 광고성 정보를 더 이상 받지 않습니다.</p>` +
        `<form method="post"><button type="submit">수신거부</button></form>`),
    );
  });

  router.post('/unsubscribe/:token', async (req, res) => {
    const { customerId, channel } = verify(req.params.token);
    // Revoked whether or not consent was on record: an opt-out is never lost. Kept in the
    // consent history with its source, and as a consent_changed event (ending the consent
    // re-confirmation journey when no marketing consent is left) in the same transaction.
    await db.$transaction(async (tx) => {
      const locked = await tx.$queryRaw<unknown[]>`SELECT 1 FROM "Customer" WHERE id = ${customerId} FOR UPDATE`;
      if (locked.length) await changeConsents(tx, config, customerId, [{ channel, purpose: 'marketing', granted: false }], 'unsubscribe');
    });
    res.type('html').send(page(`<h1>수신거부가 완료되었습니다</h1><p>${channelNames[channel] ?? channel}(으)로 광고성 정보를 보내지 않습니다.</p>`));
  });
  return router;
}

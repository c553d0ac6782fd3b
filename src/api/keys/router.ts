// API keys (admin only, like every route but the ingest ones): make one (shown once), list, revoke.
import { Router } from 'express';
import { newKeySchema, type KeyStore } from '../../keys/store';
import { callerKey } from '../auth';
import { ApiError, parseOrThrow } from '../errors';
import { idSchema } from '../schemas';

export function keysRouter({ keys }: { keys: KeyStore }): Router {
  const router = Router();
  router.post('/v1/keys', async (req, res) => {
    const input = parseOrThrow(newKeySchema.strict(), req.body);
    res.status(201).json(await keys.create(input));
  });
  router.get('/v1/keys', async (_req, res) => {
    res.json({ keys: await keys.list() });
  });
  router.delete('/v1/keys/:id', async (req, res) => {
    const id = parseOrThrow(idSchema, req.params.id, ['id']);
    if (callerKey(res).id === id) throw new ApiError(409, 'conflict', 'a key cannot revoke itself: revoke it with another admin key or `npm run keys -- revoke`');
    const revoked = await keys.revoke(id);
    if (!revoked) throw new ApiError(404, 'not_found', `no API key ${id}`);
    res.json(revoked);
  });
  return router;
}

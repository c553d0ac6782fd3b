import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { ApiError } from './errors';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** `Authorization: Bearer <key>` with one of the configured keys. */
export function requireApiKey(apiKeys: readonly string[]): RequestHandler {
  const accepted = apiKeys.map(digest);
  return (req, _res, next) => {
    const match = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '');
    if (!match) throw new ApiError(401, 'unauthorized', 'missing API key: send Authorization: Bearer <API key>');
    const presented = digest(match[1]);
    if (!accepted.some((key) => timingSafeEqual(key, presented))) throw new ApiError(401, 'unauthorized', 'unknown API key');
    next();
  };
}

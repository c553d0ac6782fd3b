// Who may call what: `Authorization: Bearer <key>` on every /v1 route and /metrics. An unknown or
// revoked key is 401; an ingest key outside the ingest routes is 403.
import type { Request, RequestHandler, Response } from 'express';
import type { ApiKeyIdentity, KeyStore } from '../keys/store';
import { ApiError } from './errors';

/** The routes an ingest key may call (DESIGN.md: send events, read on-site messages). */
export function isIngestRoute(req: Request): boolean {
  const path = req.baseUrl + req.path;
  return (req.method === 'POST' && path === '/v1/events') || (req.method === 'GET' && /^\/v1\/onsite\/[^/]+$/.test(path));
}

/** The key that authenticated this request (after authenticate()). */
export function callerKey(res: Response): ApiKeyIdentity {
  return res.locals.apiKey as ApiKeyIdentity;
}

/** Checks the bearer key and keeps its identity in res.locals.apiKey. */
export function authenticate(keys: KeyStore): RequestHandler {
  return async (req, res, next) => {
    const match = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '');
    if (!match) throw new ApiError(401, 'unauthorized', 'missing API key: send Authorization: Bearer <API key>');
    const identity = await keys.identify(match[1]);
    if (!identity) throw new ApiError(401, 'unauthorized', 'unknown or revoked API key');
    res.locals.apiKey = identity;
    next();
  };
}

/** Admin keys everywhere; ingest keys on the ingest routes only. */
export const requireScope: RequestHandler = (req, res, next) => {
  if (callerKey(res).scope === 'admin' || isIngestRoute(req)) return next();
  throw new ApiError(403, 'forbidden', `${req.method} ${req.baseUrl + req.path} needs an admin key; ingest keys may only send events (POST /v1/events) and read on-site messages (GET /v1/onsite/:visitorId)`);
};

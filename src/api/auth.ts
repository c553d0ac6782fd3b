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

/** A browser page on another site than this API's (its Origin header names another host). */
export function fromOtherSite(req: Request): boolean {
  const origin = req.get('origin');
  if (!origin) return false;
  try {
    return new URL(origin).host !== req.get('host');
  } catch {
    return true; // "null" (sandboxed frames, file://) and the like
  }
}

/**
 * Checks the key and keeps its identity in res.locals.apiKey: `Authorization: Bearer <key>`, or
 * on POST /v1/events `?key=<ingest key>` (the snippet's sendBeacon cannot set headers). Admin
 * keys are refused from other sites' pages and in URLs: only ingest keys belong in a website.
 */
export function authenticate(keys: KeyStore): RequestHandler {
  return async (req, res, next) => {
    const bearer = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '')?.[1];
    const inQuery = !bearer && req.method === 'POST' && req.baseUrl + req.path === '/v1/events' && typeof req.query.key === 'string' ? req.query.key : undefined;
    const presented = bearer ?? inQuery;
    if (!presented) throw new ApiError(401, 'unauthorized', 'missing API key: send Authorization: Bearer <API key>');
    const identity = await keys.identify(presented);
    if (!identity) throw new ApiError(401, 'unauthorized', 'unknown or revoked API key');
    if (identity.scope === 'admin' && inQuery) {
      throw new ApiError(403, 'forbidden', 'an admin key is not accepted in a URL (it would end up in logs and browser history); ?key= takes ingest keys only');
    }
    if (identity.scope === 'admin' && fromOtherSite(req)) {
      throw new ApiError(403, 'forbidden', `an admin key is not accepted from a web page of another site (Origin ${req.get('origin')}): it would be readable by anyone visiting it. Put an ingest key in websites (POST /v1/keys with scope "ingest")`);
    }
    res.locals.apiKey = identity;
    next();
  };
}

/** Admin keys everywhere; ingest keys on the ingest routes only. */
export const requireScope: RequestHandler = (req, res, next) => {
  if (callerKey(res).scope === 'admin' || isIngestRoute(req)) return next();
  throw new ApiError(403, 'forbidden', `${req.method} ${req.baseUrl + req.path} needs an admin key; ingest keys may only send events (POST /v1/events) and read on-site messages (GET /v1/onsite/:visitorId)`);
};

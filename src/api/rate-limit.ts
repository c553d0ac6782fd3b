// Per-key rate limits (RATE_LIMIT_PER_KEY) with rate-limiter-flexible's PostgreSQL store, so
// every API process counts against the same budget. Should the database not answer, an
// in-memory limiter of the same size per process stands in (the request would fail on the
// database anyway, but a limit that throws must not turn into a 500).
import type { RequestHandler } from 'express';
import type pg from 'pg';
import { RateLimiterMemory, RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import type { Config } from '../config';
import { callerKey } from './auth';
import { ApiError } from './errors';

export function rateLimitPerKey(pool: pg.Pool, limit: Config['api']['rateLimit']): RequestHandler {
  if (!limit) return (_req, _res, next) => next();
  const { points, seconds } = limit;
  const limiter = new RateLimiterPostgres({
    storeClient: pool,
    storeType: 'pool',
    tableName: 'rate_limits',
    // The migration made it (UNLOGGED), so the library need not.
    tableCreated: true,
    keyPrefix: 'key',
    points,
    duration: seconds,
    insuranceLimiter: new RateLimiterMemory({ points, duration: seconds }),
  });
  return async (_req, res, next) => {
    const key = callerKey(res).id;
    try {
      const state = await limiter.consume(key);
      res.set('RateLimit-Limit', String(points)).set('RateLimit-Remaining', String(state.remainingPoints));
    } catch (error) {
      if (!(error instanceof RateLimiterRes)) throw error;
      const retryAfter = Math.max(1, Math.ceil(error.msBeforeNext / 1000));
      res.set('Retry-After', String(retryAfter)).set('RateLimit-Limit', String(points)).set('RateLimit-Remaining', '0');
      throw new ApiError(429, 'rate_limited', `this key has used its ${points} requests per ${seconds} s (RATE_LIMIT_PER_KEY); retry in ${retryAfter} s`);
    }
    next();
  };
}

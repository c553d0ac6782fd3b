// Per-key rate limits (RATE_LIMIT_PER_KEY) with rate-limiter-flexible's PostgreSQL store, so
// every API process counts against the same budget. Should the database not answer, an
// in-memory limiter of the same size per process stands in (the request would fail on the
// database anyway, but a limit that throws must not turn into a 500).
//
// A round trip to PostgreSQL per request cost a quarter of single-event ingest, so each process
// takes points from the shared count in leases (a twentieth of the budget, at most 50) and
// spends them from memory. The shared count is exact: no more than `points` requests pass per
// window across all processes. What a lease costs is that points one process holds unspent are
// not available to the others until the window ends; near the end of the budget leases shrink
// to one point, and with a budget under 40 every lease is one point (one round trip a request).
import type { RequestHandler } from 'express';
import type pg from 'pg';
import { RateLimiterMemory, RateLimiterPostgres, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Config } from '../config';
import { callerKey } from './auth';
import { ApiError } from './errors';

export function rateLimitPerKey(pool: pg.Pool, limit: Config['api']['rateLimit']): RequestHandler {
  if (!limit) return (_req, _res, next) => next();
  const { points, seconds } = limit;
  const store = new RateLimiterPostgres({
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
  const limiter = new LeasedLimiter(store, points);
  return async (_req, res, next) => {
    const verdict = await limiter.consume(callerKey(res).id);
    res.set('RateLimit-Limit', String(points)).set('RateLimit-Remaining', String(verdict.remaining));
    if (!verdict.allowed) {
      const retryAfter = Math.max(1, Math.ceil(verdict.msBeforeNext / 1000));
      res.set('Retry-After', String(retryAfter));
      throw new ApiError(429, 'rate_limited', `this key has used its ${points} requests per ${seconds} s (RATE_LIMIT_PER_KEY); retry in ${retryAfter} s`);
    }
    next();
  };
}

export interface Verdict {
  allowed: boolean;
  /** Points left in this window as this process knows them (its lease plus the shared rest). */
  remaining: number;
  msBeforeNext: number;
}

interface Lease {
  /** Points this process may still spend without asking the store. */
  tokens: number;
  /** Points the store had left after this process's last lease. */
  sharedRemaining: number;
  expiresAt: number;
  /** The lease being taken, which concurrent requests for the key wait on. */
  pending?: Promise<void>;
}

/** Spends points leased from a shared rate-limiter-flexible store; see the file's header. */
export class LeasedLimiter {
  private readonly leases = new Map<string, Lease>();
  private readonly leaseSize: number;

  constructor(
    private readonly store: RateLimiterAbstract,
    private readonly points: number,
    leaseSize = Math.min(50, Math.floor(points / 20)),
  ) {
    this.leaseSize = Math.max(1, leaseSize);
  }

  async consume(key: string): Promise<Verdict> {
    for (;;) {
      const now = Date.now();
      let lease = this.leases.get(key);
      if (lease && lease.expiresAt <= now && !lease.pending) {
        this.leases.delete(key);
        lease = undefined;
      }
      if (lease?.pending) {
        await lease.pending;
        continue;
      }
      if (lease && lease.tokens > 0) {
        lease.tokens -= 1;
        return { allowed: true, remaining: lease.tokens + lease.sharedRemaining, msBeforeNext: lease.expiresAt - now };
      }
      if (lease && lease.sharedRemaining <= 0) {
        return { allowed: false, remaining: 0, msBeforeNext: lease.expiresAt - now };
      }
      const next: Lease = lease ?? { tokens: 0, sharedRemaining: this.points, expiresAt: Infinity };
      next.pending = this.lease(key, next).finally(() => {
        next.pending = undefined;
      });
      this.leases.set(key, next);
      await next.pending;
    }
  }

  /** Takes up to a lease of points from the store: exactly those that were left before it. */
  private async lease(key: string, lease: Lease): Promise<void> {
    const size = Math.max(1, Math.min(this.leaseSize, lease.sharedRemaining));
    let state: RateLimiterRes;
    try {
      state = await this.store.consume(key, size);
    } catch (error) {
      if (!(error instanceof RateLimiterRes)) throw error;
      state = error; // over the budget: the store counted all `size`, granted what was left
    }
    // The store adds atomically, so its count before this lease was consumed - size, and
    // the points granted here are what that left, however many processes lease at once.
    const before = state.consumedPoints - size;
    lease.tokens += Math.max(0, Math.min(size, this.points - before));
    lease.sharedRemaining = Math.max(0, this.points - state.consumedPoints);
    lease.expiresAt = Date.now() + state.msBeforeNext;
  }
}

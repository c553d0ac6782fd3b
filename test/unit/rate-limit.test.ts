// The leased per-key limiter against a shared rate-limiter-flexible store (the memory store
// here; the PostgreSQL store across two app instances is in test/integration/api-keys.test.ts).
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { describe, expect, it } from 'vitest';
import { LeasedLimiter } from '../../src/api/rate-limit';

/** A memory store that counts the calls made to it (a round trip each, were it PostgreSQL). */
function countingStore(points: number, duration: number) {
  const store = new RateLimiterMemory({ points, duration });
  const counted = { store, calls: 0 };
  const consume = store.consume.bind(store);
  store.consume = (key, taken) => (counted.calls++, consume(key, taken));
  return counted;
}

async function spend(limiter: LeasedLimiter, key: string, times: number) {
  const verdicts = [];
  for (let i = 0; i < times; i++) verdicts.push(await limiter.consume(key));
  return verdicts;
}

describe('LeasedLimiter', () => {
  it('lets exactly the budget through in one process, asking the store once per lease', async () => {
    const counted = countingStore(600, 60);
    const verdicts = await spend(new LeasedLimiter(counted.store, 600), 'k', 601);
    expect(verdicts.filter((v) => v.allowed)).toHaveLength(600);
    expect(verdicts[600]).toMatchObject({ allowed: false, remaining: 0 });
    expect(verdicts[600].msBeforeNext).toBeGreaterThan(50_000);
    expect(verdicts[0].remaining).toBe(599);
    expect(counted.calls).toBe(20); // leases of 30 (600 / 20)
  });

  it('shares one budget exactly between processes, whatever the order, and keys do not share', async () => {
    const store = new RateLimiterMemory({ points: 100, duration: 60 });
    const first = new LeasedLimiter(store, 100);
    const second = new LeasedLimiter(store, 100);
    let allowed = 0;
    for (let i = 0; i < 130; i++) if ((await (i % 3 === 0 ? first : second).consume('k')).allowed) allowed++;
    expect(allowed).toBe(100);
    expect((await first.consume('other')).allowed).toBe(true);
  });

  it('grants what was left when a lease asks for more than the store has (concurrent leases)', async () => {
    const store = new RateLimiterMemory({ points: 45, duration: 60 });
    await store.consume('k', 43); // another process spent 43
    const limiter = new LeasedLimiter(store, 45, 5);
    const verdicts = await Promise.all(Array.from({ length: 6 }, () => limiter.consume('k')));
    expect(verdicts.filter((v) => v.allowed)).toHaveLength(2);
  });

  it('takes one lease for concurrent requests of a key', async () => {
    const counted = countingStore(1000, 60);
    const limiter = new LeasedLimiter(counted.store, 1000);
    const verdicts = await Promise.all(Array.from({ length: 40 }, () => limiter.consume('k')));
    expect(verdicts.every((v) => v.allowed)).toBe(true);
    expect(counted.calls).toBe(1);
  });

  it('starts a fresh budget when the window ends, dropping what the lease held', async () => {
    const store = new RateLimiterMemory({ points: 40, duration: 1 });
    const limiter = new LeasedLimiter(store, 40);
    expect((await spend(limiter, 'k', 41)).filter((v) => v.allowed)).toHaveLength(40);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await spend(limiter, 'k', 41)).filter((v) => v.allowed)).toHaveLength(40);
  });
});

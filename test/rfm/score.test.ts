// RFM scoring against a real database (src/rfm/score.ts): hand-made bases whose every
// customer's expected R, F, M and segment is written out.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { segmentOf, type Score } from '../../src/rfm/grid';
import { applyBatch, finishRun, scoreIntoNext, type RfmSettings } from '../../src/rfm/score';
import { runScoring } from '../helpers/rfm-run';
import { useTestDatabase } from '../helpers/use-database';

const database = useTestDatabase('rfm_score');
const config = loadConfig({});
const DAY = 86_400_000;
const settings: RfmSettings = { lookbackMs: 365 * DAY, currency: 'KRW' };
let runs = 0;
/** The time of the latest run (a retried step reuses its run's time). */
let lastRunAt = new Date(0);

/** One whole scoring run as the workflow drives it, in batches of `limit`. */
async function score(now: Date, { limit = 3, rfm = settings } = {}) {
  lastRunAt = now;
  return runScoring(database.db, config, `test-run-${(runs += 1)}`, rfm, now, limit);
}

async function orders(customerId: string, list: { daysAgo: number; total: number; currency?: string }[], now: Date) {
  await database.db.customer.upsert({ where: { id: customerId }, create: { id: customerId }, update: {} });
  for (const [i, order] of list.entries()) {
    await database.db.order.create({
      data: { id: `${customerId}-o${i}-${now.getTime()}`, customerId, total: order.total, currency: order.currency ?? 'KRW', occurredAt: new Date(now.getTime() - order.daysAgo * DAY) },
    });
  }
}

/**
 * A fresh base of five, scored at `now`: <prefix>1 … <prefix>5 with 1 … 5 orders of 10,000, the
 * latest 10 … 6 days ago, so scores 1 … 5 on every axis. Returns their ids.
 */
async function scoredBaseOfFive(prefix: string, now: Date) {
  await database.db.customerRfm.deleteMany();
  await database.db.order.deleteMany();
  const ids = [1, 2, 3, 4, 5].map((i) => `${prefix}${i}`);
  for (const [i, id] of ids.entries()) await orders(id, Array.from({ length: i + 1 }, (_, n) => ({ daysAgo: 10 - i + n, total: 10_000 })), now);
  await score(now);
  return ids;
}

const tableExists = async (name: string) =>
  (await database.db.$queryRawUnsafe<{ found: boolean }[]>(`SELECT to_regclass($1) IS NOT NULL AS found`, `"${name}"`))[0].found;

const scores = async (ids: string[]) =>
  (await database.db.customerRfm.findMany({ where: { customerId: { in: ids } }, orderBy: { customerId: 'asc' } })).map((s) => [s.customerId, s.r, s.f, s.m, s.segment]);

describe('RFM scoring', () => {
  // 20 customers, distinct values: each quintile holds 4. F and M rank alike (FM = F); the
  // (R, FM) pairs reach every one of the 11 segments.
  const expected: [string, number, number, number, string][] = [
    ['a01', 5, 1, 1, 'new customers'],
    ['a02', 5, 2, 2, 'potential loyalist'],
    ['a03', 5, 4, 4, 'champions'],
    ['a04', 5, 5, 5, 'champions'],
    ['a05', 4, 1, 1, 'promising'],
    ['a06', 4, 2, 2, 'potential loyalist'],
    ['a07', 4, 3, 3, 'loyal'],
    ['a08', 4, 4, 4, 'champions'],
    ['a09', 3, 1, 1, 'about to sleep'],
    ['a10', 3, 2, 2, 'need attention'],
    ['a11', 3, 3, 3, 'need attention'],
    ['a12', 3, 4, 4, 'loyal'],
    ['a13', 2, 1, 1, 'hibernating'],
    ['a14', 2, 3, 3, 'at risk'],
    ['a15', 2, 4, 4, 'at risk'],
    ['a16', 2, 5, 5, "can't lose them"],
    ['a17', 1, 2, 2, 'lost'],
    ['a18', 1, 3, 3, 'at risk'],
    ['a19', 1, 5, 5, "can't lose them"],
    ['a20', 1, 5, 5, "can't lose them"],
  ];

  it('scores a base of 20 by quintile and reaches all 11 segments of the grid', async () => {
    const now = new Date('2026-11-27T12:00:00Z');
    // Recency: R5 customers ordered most recently, each a day apart; frequency and revenue:
    // the k-th within an FM level gets 4(FM - 1) + k orders of 10,000 KRW.
    const seenPerFm = new Map<number, number>();
    const seenPerR = new Map<number, number>();
    for (const [id, r, f] of expected) {
      const rIndex = seenPerR.get(r) ?? 0;
      seenPerR.set(r, rIndex + 1);
      const fIndex = seenPerFm.get(f) ?? 0;
      seenPerFm.set(f, fIndex + 1);
      const recencyDays = 200 - ((r - 1) * 4 + rIndex) * 5;
      const count = (f - 1) * 4 + fIndex + 1;
      await orders(`c-${id}`, Array.from({ length: count }, (_, n) => ({ daysAgo: recencyDays + n, total: 10_000 })), now);
    }
    // Outside the base: an order older than RFM_LOOKBACK.
    await orders('c-old', [{ daysAgo: 400, total: 10_000 }], now);

    const run = await score(now);
    expect(run).toMatchObject({ customers: 20, applied: 20, changed: 0, removed: 0 });
    expect(await scores(expected.map(([id]) => `c-${id}`))).toEqual(expected.map(([id, r, f, m, segment]) => [`c-${id}`, r, f, m, segment]));
    expect(new Set(expected.map((row) => row[4])).size).toBe(11);
    expect(await database.db.customerRfm.findUnique({ where: { customerId: 'c-old' } })).toBeNull();
    // The figures it scored, and no table of the run's left beside CustomerRfm.
    expect(await database.db.customerRfm.findUniqueOrThrow({ where: { customerId: 'c-a04' } })).toMatchObject({ recencyDays: 105, orders: 17, currency: 'KRW', previousSegment: null });
    expect((await database.db.customerRfm.findUniqueOrThrow({ where: { customerId: 'c-a04' } })).revenue.toFixed()).toBe('170000');
    expect(await tableExists('CustomerRfm_next')).toBe(false);
    // First scores are not changes: no events.
    expect(await database.db.event.count({ where: { type: 'rfm_segment_changed' } })).toBe(0);
  });
});

describe('RFM ties, rounding and changes', () => {
  beforeAll(async () => {
    await database.db.customerRfm.deleteMany();
    await database.db.order.deleteMany();
  });

  it('gives tied values the same score (the share of the base with a strictly worse value), and rounds FM halves up', async () => {
    const now = new Date('2027-06-01T12:00:00Z');
    await orders('t1', [{ daysAgo: 10, total: 10_000 }], now);
    await orders('t2', [{ daysAgo: 10, total: 10_000 }], now);
    await orders('t3', [{ daysAgo: 5, total: 15_000 }, { daysAgo: 6, total: 15_000 }], now);
    await orders('t4', [{ daysAgo: 5, total: 10_000 }, { daysAgo: 7, total: 10_000 }], now);
    // A USD order counts for recency and frequency, not for revenue in KRW.
    await orders('t5', [{ daysAgo: 1, total: 25_000 }, { daysAgo: 2, total: 25_000 }, { daysAgo: 3, total: 99, currency: 'USD' }], now);
    await score(now);
    expect(await scores(['t1', 't2', 't3', 't4', 't5'])).toEqual([
      ['t1', 1, 1, 1, 'lost'],
      ['t2', 1, 1, 1, 'lost'],
      ['t3', 3, 3, 4, 'loyal'], // FM = round(3.5) = 4
      ['t4', 3, 3, 3, 'need attention'],
      ['t5', 5, 5, 5, 'champions'],
    ]);
  });

  it('a customer moving from loyal to at risk gets an rfm_segment_changed event and keeps the previous segment; one who leaves the base is unscored', async () => {
    await database.db.customerRfm.deleteMany();
    await database.db.order.deleteMany();
    const first = new Date('2027-09-01T12:00:00Z');
    // Recency a 50, b 40, x 30, c 20, d 10 days; orders a 1, b 2, c 3, x 4, d 5 (10,000 each).
    const base: [string, number, number][] = [['a', 50, 1], ['b', 40, 2], ['x', 30, 4], ['c', 20, 3], ['d', 10, 5]];
    for (const [id, days, count] of base) await orders(`m-${id}`, Array.from({ length: count }, (_, n) => ({ daysAgo: days + n, total: 10_000 })), first);
    await orders('m-gone', [{ daysAgo: 364, total: 10_000 }], first);
    await score(first);
    expect(await scores(['m-x'])).toEqual([['m-x', 3, 4, 4, 'loyal']]);

    // A day later b orders again; x does not: three customers are now more recent than x.
    const next = new Date(first.getTime() + DAY);
    await orders('m-b', [{ daysAgo: 0, total: 10_000 }], next);
    const run = await score(next);
    expect(await scores(['m-x'])).toEqual([['m-x', 2, 4, 4, 'at risk']]);
    expect(await database.db.customerRfm.findUniqueOrThrow({ where: { customerId: 'm-x' } })).toMatchObject({ previousSegment: 'loyal', scoredAt: next });

    expect(await scores(['m-a', 'm-b', 'm-c', 'm-d'])).toEqual([
      ['m-a', 1, 1, 1, 'lost'],
      ['m-b', 5, 2, 2, 'potential loyalist'],
      ['m-c', 3, 2, 2, 'need attention'],
      ['m-d', 4, 5, 5, 'champions'],
    ]);
    // Before: a lost, b hibernating, c loyal, d champions, m-gone lost. One event per change,
    // and m-gone's (its order is now past the lookback) says it left.
    const events = await database.db.event.findMany({ where: { type: 'rfm_segment_changed' }, orderBy: { customerId: 'asc' } });
    expect(events.map((e) => [e.customerId, e.properties])).toEqual([
      ['m-b', { from: 'hibernating', to: 'potential loyalist' }],
      ['m-c', { from: 'loyal', to: 'need attention' }],
      ['m-gone', { from: 'lost', to: null }],
      ['m-x', { from: 'loyal', to: 'at risk' }],
    ]);
    expect(run).toMatchObject({ customers: 5, applied: 5, changed: 3, removed: 1 });
    expect(await database.db.customerRfm.findUnique({ where: { customerId: 'm-gone' } })).toBeNull();
    // Stored as system events: the customers' dormancy clock does not move.
    expect((await database.db.customer.findUniqueOrThrow({ where: { id: 'm-x' } })).lastSeenAt).toBeNull();
  });

  it('scores bases of every awkward size (1 to 31 customers, many ties) exactly as 1 + floor(5 × worse / N) says', async () => {
    // The SQL finds four cut values per axis instead of ranking everyone; this holds it to the
    // definition on sizes where k·N/5 is not whole and on ties across the cuts.
    const now = new Date('2028-01-15T12:00:00Z');
    let seed = 7;
    const next = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    for (const size of [1, 2, 3, 4, 6, 7, 11, 13, 17, 23, 29, 31]) {
      await database.db.customerRfm.deleteMany();
      await database.db.order.deleteMany();
      const base = Array.from({ length: size }, (_, i) => ({ id: `q${size}-${String(i).padStart(2, '0')}`, days: 1 + next(6), orders: 1 + next(4), each: 1000 * (1 + next(5)) }));
      await database.db.customer.createMany({ data: base.map((c) => ({ id: c.id })), skipDuplicates: true });
      await database.db.order.createMany({
        data: base.flatMap((c) => Array.from({ length: c.orders }, (_, n) => ({ id: `${c.id}-o${n}`, customerId: c.id, total: c.each, currency: 'KRW', occurredAt: new Date(now.getTime() - (c.days + 10 * n) * DAY) }))),
      });
      const score1 = (worse: number) => (1 + Math.floor((5 * worse) / size)) as Score;
      const expectedScores = base.map((c) => {
        const r = score1(base.filter((o) => o.days > c.days).length);
        const f = score1(base.filter((o) => o.orders < c.orders).length);
        const m = score1(base.filter((o) => o.orders * o.each < c.orders * c.each).length);
        return [c.id, r, f, m, segmentOf(r, f, m)];
      });
      await score(now, { limit: 5 });
      expect(await scores(base.map((c) => c.id)), `a base of ${size}`).toEqual(expectedScores);
    }
  });

  it('keeps the current scores readable until the run finishes, then swaps in the new ones with CustomerRfm\'s own indexes', async () => {
    const now = new Date('2028-02-01T12:00:00Z');
    const ids = await scoredBaseOfFive('s', now);
    const before = await scores(ids);
    const indexes = async () =>
      (await database.db.$queryRawUnsafe<{ name: string; definition: string }[]>(`SELECT indexname::text AS name, indexdef AS definition FROM pg_indexes WHERE tablename = 'CustomerRfm' ORDER BY 1`)).map((i) => [i.name, i.definition]);
    const indexesBefore = await indexes();
    expect(indexesBefore.map(([name]) => name)).toEqual(['CustomerRfm_pkey', 'CustomerRfm_segment_idx']);

    // A day later s1 orders five times: it becomes the best customer; the others move down.
    const later = new Date(now.getTime() + DAY);
    await orders('s1', Array.from({ length: 5 }, () => ({ daysAgo: 0, total: 50_000 })), later);
    const runKey = 'swap-run';
    expect(await scoreIntoNext(database.db, runKey, settings, later)).toBe(5);
    let after = '';
    for (;;) {
      const batch = await applyBatch(database.db, config, runKey, after, 2, settings, later);
      if (!batch.last) break;
      after = batch.last;
      // Between batches, segments and campaigns still read the scores of the last finished run.
      expect(await scores(ids)).toEqual(before);
    }
    expect(await finishRun(database.db, config, runKey, settings, later)).toBe(0);
    expect(await scores(['s1'])).toEqual([['s1', 5, 5, 5, 'champions']]);
    expect(await tableExists('CustomerRfm_next')).toBe(false);
    expect(await indexes()).toEqual(indexesBefore);
    // The model API reads and writes the swapped table as before.
    await database.db.customerRfm.update({ where: { customerId: 's2' }, data: { previousSegment: 'lost' } });
    expect(await database.db.customerRfm.count()).toBe(5);
  });

  it("a batch that finds its run's table gone (a run staged by an earlier release, or replaced) scores again with the run's time, and stores no event twice", async () => {
    const now = new Date('2028-03-01T12:00:00Z');
    await scoredBaseOfFive('k', now);
    // k1 now orders a lot: its segment changes, and the other four move down one quintile.
    const later = new Date(now.getTime() + DAY);
    await orders('k1', Array.from({ length: 9 }, () => ({ daysAgo: 0, total: 90_000 })), later);
    const runKey = 'restaged-run';
    const eventsBefore = await database.db.event.count({ where: { type: 'rfm_segment_changed' } });
    expect(await scoreIntoNext(database.db, runKey, settings, later)).toBe(5);
    const first = await applyBatch(database.db, config, runKey, '', 2, settings, later);
    expect(first).toMatchObject({ applied: 2, last: 'k2' });
    await database.db.$executeRawUnsafe(`DROP TABLE "CustomerRfm_next"`);
    // The workflow retries the first batch (its answer was lost), then goes on.
    let after = '';
    let changed = 0;
    for (;;) {
      const batch = await applyBatch(database.db, config, runKey, after, 2, settings, later);
      if (!batch.last) break;
      changed += batch.changed;
      after = batch.last;
    }
    expect(await finishRun(database.db, config, runKey, settings, later)).toBe(0);
    expect(await scores(['k1'])).toEqual([['k1', 5, 5, 5, 'champions']]);
    const events = await database.db.event.findMany({ where: { type: 'rfm_segment_changed', idempotencyKey: { startsWith: `rfm:${runKey}:` } }, orderBy: { customerId: 'asc' } });
    expect(events.length).toBe(changed);
    expect(new Set(events.map((e) => e.customerId)).size).toBe(events.length);
    expect(await database.db.event.count({ where: { type: 'rfm_segment_changed' } })).toBe(eventsBefore + changed);
    expect(changed).toBeGreaterThan(0);
  });

  it('a run that CustomerRfm was migrated under (a column added) scores again at its finish, so the swap keeps the migration', async () => {
    const now = new Date('2028-03-15T12:00:00Z');
    const runKey = 'migrated-under';
    expect(await scoreIntoNext(database.db, runKey, settings, now)).toBeGreaterThan(0);
    await database.db.$executeRawUnsafe(`ALTER TABLE "CustomerRfm" ADD COLUMN "note" text`);
    try {
      expect(await finishRun(database.db, config, runKey, settings, now)).toBe(0);
      const columns = await database.db.$queryRawUnsafe<{ name: string }[]>(`SELECT attname::text AS name FROM pg_attribute WHERE attrelid = '"CustomerRfm"'::regclass AND attname = 'note'`);
      expect(columns).toEqual([{ name: 'note' }]);
      expect(await scores(['k1'])).toEqual([['k1', 5, 5, 5, 'champions']]);
    } finally {
      await database.db.$executeRawUnsafe(`ALTER TABLE "CustomerRfm" DROP COLUMN IF EXISTS "note"`);
    }
  });

  it('a retried finish after it committed answers the same count, unscores nobody and stores no event', async () => {
    await database.db.customerRfm.deleteMany();
    await database.db.order.deleteMany();
    const now = new Date('2028-04-01T12:00:00Z');
    await orders('f1', [{ daysAgo: 5, total: 10_000 }], now);
    await orders('f2', [{ daysAgo: 300, total: 10_000 }], now);
    await score(now);
    const later = new Date(now.getTime() + 100 * DAY); // f2's order is past the lookback now
    const run = await score(later);
    expect(run.removed).toBe(1);
    const count = await database.db.customerRfm.count();
    const events = await database.db.event.count();
    expect(await finishRun(database.db, config, `test-run-${runs}`, settings, lastRunAt)).toBe(1);
    expect(await database.db.customerRfm.count()).toBe(count);
    expect(await database.db.event.count()).toBe(events);
  });
});

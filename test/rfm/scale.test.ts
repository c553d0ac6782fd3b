// RFM scoring of a generated base of 50,000 customers and 250,000 orders, as the workflow's
// activities run it (score, batches of 10,000, finish), against a real database: everyone with
// an order in the lookback is scored exactly once, the quintiles hold, and the distribution adds up.
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateBase } from '../../bench/lib/synthetic-base';
import { loadConfig } from '../../src/config';
import { createPool } from '../../src/db';
import { segmentOf, type Score } from '../../src/rfm/grid';
import { runScoring } from '../helpers/rfm-run';
import { useTestDatabase } from '../helpers/use-database';

const database = useTestDatabase('rfm_scale');
const config = loadConfig({});
const now = new Date('2026-11-27T00:00:00.000Z');
const settings = { lookbackMs: 365 * 86_400_000, currency: 'KRW' };
let pool: pg.Pool;

beforeAll(async () => {
  pool = createPool(database.url, { connectTimeoutMs: 5000 });
  await generateBase(pool, { customers: 50_000, events: 0, orders: 250_000 }, { now });
}, 300_000);
afterAll(() => pool?.end());

describe('RFM scoring at 50,000 customers', () => {
  it('scores every customer with an order in the lookback once, in batches, each with the grid’s segment for its scores', async () => {
    const expected = (await pool.query<{ n: number }>(`SELECT count(DISTINCT "customerId")::int AS n FROM "Order" WHERE "occurredAt" > $1 AND "occurredAt" <= $2`, [new Date(now.getTime() - settings.lookbackMs), now])).rows[0].n;
    expect(expected).toBeGreaterThan(40_000);

    const run = await runScoring(database.db, config, 'scale', settings, now, 10_000);
    expect(run.customers).toBe(expected);
    expect(run.batches).toBe(Math.ceil(expected / 10_000));

    expect(await database.db.customerRfm.count()).toBe(expected);
    expect((await pool.query(`SELECT 1 FROM pg_class WHERE relname = 'CustomerRfm_next'`)).rowCount).toBe(0);
    // Every R score 1..5 is used (recency in days has enough distinct values for all five).
    const byR = (await pool.query<{ r: number; n: number }>(`SELECT r, count(*)::int AS n FROM "CustomerRfm" GROUP BY r ORDER BY r`)).rows;
    expect(byR.map((row) => row.r)).toEqual([1, 2, 3, 4, 5]);
    expect(byR.reduce((sum, row) => sum + row.n, 0)).toBe(expected);
    // Every customer's segment is the grid's for its scores (each distinct combination checked).
    const combinations = (await pool.query<{ r: Score; f: Score; m: Score; segment: string }>(`SELECT DISTINCT r, f, m, segment FROM "CustomerRfm"`)).rows;
    for (const { r, f, m, segment } of combinations) expect([r, f, m, segment]).toEqual([r, f, m, segmentOf(r, f, m)]);
    const distribution = (await pool.query<{ segment: string; n: number }>(`SELECT segment, count(*)::int AS n FROM "CustomerRfm" GROUP BY segment`)).rows;
    expect(distribution.reduce((sum, row) => sum + row.n, 0)).toBe(expected);
    expect(distribution.length).toBeGreaterThanOrEqual(8);
  });
});

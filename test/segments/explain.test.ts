// A 3-condition segment over 1,000,000 customers compiles to a query PostgreSQL answers through
// its indexes: the plan (EXPLAIN) reads each table once, through an index, and scans none.
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateBase } from '../../bench/lib/synthetic-base';
import { createPool } from '../../src/db';
import { ruleSchema } from '../../src/segments/rules';
import { compileAudience, fewCandidates, previewSegment } from '../../src/segments/service';
import { useTestDatabase } from '../helpers/use-database';

const database = useTestDatabase('segment_explain');
const now = new Date('2026-11-27T00:00:00.000Z');
let pool: pg.Pool;

beforeAll(async () => {
  pool = createPool(database.url, { connectTimeoutMs: 5000 });
  await generateBase(pool, { customers: 1_000_000, events: 300_000, orders: 200_000 }, { now });
}, 300_000);
afterAll(() => pool?.end());

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}
const nodesOf = (node: PlanNode): PlanNode[] => [node, ...(node.Plans ?? []).flatMap(nodesOf)];

const rules = ruleSchema.parse({
  all: [
    { attribute: 'city', op: 'eq', value: 'Seoul' },
    { event: 'page_viewed', where: { path: '/sale' }, count: { op: 'gte', value: 2 }, within: '30d' },
    { bought: { category: 'shoes' }, within: '90d' },
  ],
});

describe('a segment over 1M customers', () => {
  it('is one query whose plan reads customers, events, orders and items once each, through indexes, with no sequential scan', async () => {
    expect((await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM "Customer"`)).rows[0].n).toBe(1_000_000);
    const query = compileAudience(rules, { now, currency: 'KRW', segments: new Map() });
    const { rows } = await pool.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(`EXPLAIN (FORMAT JSON) ${query.text}`, query.values);
    const nodes = nodesOf(rows[0]['QUERY PLAN'][0].Plan);
    const scans = nodes.filter((n) => n['Relation Name']);

    expect(nodes.filter((n) => n['Node Type'] === 'Seq Scan').map((n) => n['Relation Name'])).toEqual([]);
    expect(scans.map((n) => n['Relation Name']).sort()).toEqual(['Customer', 'Event', 'Order', 'OrderItem']);
    expect(scans.every((n) => /Index|Bitmap Heap/.test(n['Node Type']))).toBe(true);
    const indexes = nodes.map((n) => n['Index Name']).filter(Boolean);
    expect(indexes).toEqual(expect.arrayContaining(['Event_type_occurredAt_idx', 'OrderItem_category_idx']));
    expect(indexes.some((name) => name === 'Customer_pkey' || name === 'Customer_attributes_idx')).toBe(true);
  });

  it('previews it: every tenth customer lives in Seoul, and each step only narrows', async () => {
    const preview = await previewSegment(pool, rules, { minAudience: 100, currency: 'KRW' }, now);
    expect(preview.steps[0]).toEqual({ condition: 'city eq "Seoul"', size: 100_000 });
    expect(preview.steps[1].size).toBeLessThanOrEqual(preview.steps[0].size);
    expect(preview.steps[2].size).toBeLessThanOrEqual(preview.steps[1].size);
    expect(preview.size).toBe(preview.steps[2].size);
    expect(preview.sample.length).toBe(Math.min(10, preview.size));
  });

  it('tests an order metric after the Seoul condition customer by customer, and counts the same audience as the whole-set query', async () => {
    const seoul = ruleSchema.parse({ attribute: 'city', op: 'eq', value: 'Seoul' });
    const withOrders = ruleSchema.parse({ all: [{ attribute: 'city', op: 'eq', value: 'Seoul' }, { metric: 'orders', op: 'gte', value: 1, within: '365d' }] });
    const client = await pool.connect();
    try {
      // A tenth of the base, as the planner estimates it: under the share that switches forms.
      expect(await fewCandidates(client, seoul, { now, currency: 'KRW', segments: new Map() })).toBe(true);
    } finally {
      client.release();
    }
    const preview = await previewSegment(pool, withOrders, { minAudience: 100, currency: 'KRW' }, now);
    const whole = compileAudience(withOrders, { now, currency: 'KRW', segments: new Map() });
    const { rows } = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM (${whole.text}) audience`, whole.values);
    expect(rows[0].n).toBeGreaterThan(0);
    expect(preview.size).toBe(rows[0].n);
    expect(preview.steps.map((step) => step.size)).toEqual([100_000, rows[0].n]);
  });

  it('splits a preview of 100,000 candidates over two connections, with the same steps and sample as in one', async () => {
    const settings = { minAudience: 100, currency: 'KRW' };
    const rules = ruleSchema.parse({ all: [{ attribute: 'city', op: 'eq', value: 'Seoul' }, { metric: 'orders', op: 'gte', value: 1, within: '365d' }] });
    const connects = (target: pg.Pool) => {
      let n = 0;
      const counting = Object.create(target) as pg.Pool;
      counting.connect = (() => {
        n += 1;
        return target.connect();
      }) as pg.Pool['connect'];
      return { pool: counting, count: () => n };
    };
    const whole = connects(pool);
    const inOne = await previewSegment(whole.pool, rules, settings, now, { splitFrom: Infinity });
    const split = connects(pool);
    const inTwo = await previewSegment(split.pool, rules, settings, now);
    expect(inOne.steps[0].size).toBe(100_000);
    expect(inOne.size).toBeGreaterThan(10);
    expect(inTwo).toEqual(inOne);
    expect([whole.count(), split.count()]).toEqual([1, 2]);

    // A pool with no connection to spare runs it in one, rather than wait for a second.
    const single = createPool(database.url, { size: 1, connectTimeoutMs: 5000 });
    try {
      const lone = connects(single);
      expect(await previewSegment(lone.pool, rules, settings, now)).toEqual(inOne);
      expect(lone.count()).toBe(1);
    } finally {
      await single.end();
    }
  });
});

// Every kind of segment condition against a hand-made customer base, on a real PostgreSQL
// database: each expected audience is written out. One fixed "now", so windows and recency
// are exact.
import type pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileRule, Params, SegmentRuleError } from '../../src/segments/compile';
import { ruleSchema } from '../../src/segments/rules';
import { createSegment, deleteSegment, previewSegment, segmentMembers } from '../../src/segments/service';
import { useTestDatabase } from '../helpers/use-database';

const database = useTestDatabase('segment_conditions');
const settings = { minAudience: 100, currency: 'KRW' };
const now = new Date('2026-11-27T00:00:00.000Z');
const DAY = 86_400_000;
const daysAgo = (days: number) => new Date(now.getTime() - days * DAY);
let pool: pg.Pool;

beforeAll(async () => {
  pool = database.pool;
  const db = database.db;
  await db.customer.createMany({
    data: [
      { id: 'c-ana', email: 'ana@example.com', locale: 'ko', lastSeenAt: daysAgo(2), attributes: { city: 'Seoul', age: 34, interests: ['running', 'yoga'], tier: 'gold' } },
      { id: 'c-ben', email: 'ben@example.com', locale: 'en', lastSeenAt: daysAgo(40), attributes: { city: 'Busan', age: 27, interests: ['hiking'] } },
      { id: 'c-cho', lastSeenAt: null, attributes: { city: 'Seoul', age: 45, bio: 'Loves running shoes' } },
      { id: 'c-dan', lastSeenAt: daysAgo(400), attributes: {} },
      { id: 'c-eun', attributes: { city: 'Seoul', age: '29' } },
    ],
  });
  const event = (id: string, type: string, customerId: string | null, days: number, properties: object = {}) => ({
    idempotencyKey: id,
    type,
    customerId,
    anonymousId: customerId ? null : 'v-anon',
    occurredAt: daysAgo(days),
    properties,
  });
  await db.event.createMany({
    data: [
      event('e1', 'page_viewed', 'c-ana', 1, { path: '/sale' }),
      event('e2', 'page_viewed', 'c-ana', 3, { path: '/sale', ref: 'ad' }),
      event('e3', 'page_viewed', 'c-ana', 9, { path: '/sale' }),
      event('e4', 'page_viewed', 'c-ana', 2, { path: '/home' }),
      event('e5', 'page_viewed', 'c-ben', 5, { path: '/sale' }),
      event('e6', 'page_viewed', 'c-ben', 60, { path: '/sale' }),
      event('e7', 'page_viewed', 'c-ben', 61, { path: '/sale' }),
      event('e8', 'app_opened', 'c-cho', 1),
      // An anonymous visitor's views belong to no customer.
      ...[1, 2, 3, 4, 5].map((n) => event(`e-anon-${n}`, 'page_viewed', null, 1, { path: '/sale' })),
    ],
  });
  const order = (id: string, customerId: string, total: string, currency: string, days: number, items: { productId: string; category: string }[]) =>
    db.order.create({ data: { id, customerId, total, currency, occurredAt: daysAgo(days), items: { create: items.map((item) => ({ ...item, price: total, currency })) } } });
  await order('o1', 'c-ana', '30000', 'KRW', 10, [{ productId: 'p-shoe', category: 'shoes' }]);
  await order('o2', 'c-ana', '50000', 'KRW', 100, [{ productId: 'p-sock', category: 'socks' }]);
  await order('o3', 'c-ben', '200000', 'KRW', 400, [{ productId: 'p-coat', category: 'coats' }]);
  await order('o4', 'c-cho', '10', 'USD', 5, [{ productId: 'p-shoe', category: 'shoes' }]);
  const rfm = (customerId: string, segment: string) => ({ customerId, r: 5, f: 5, m: 5, segment, recencyDays: 1, orders: 1, revenue: '1', currency: 'KRW', scoredAt: now });
  await db.customerRfm.createMany({ data: [rfm('c-ana', 'champions'), rfm('c-ben', 'at risk')] });
});

/** The customers a rule selects, in id order (every page). */
async function audience(rules: unknown): Promise<string[]> {
  const page = await segmentMembers(pool, ruleSchema.parse(rules), settings, { limit: 1000 }, now);
  return page.members.map((m) => m.id);
}

/**
 * The customers a metric rule selects, checked against the same rule compiled customer by
 * customer (as a preview tests its later conditions): both forms must select the same.
 */
async function metricAudience(rules: unknown): Promise<string[]> {
  const members = await audience(rules);
  const params = new Params();
  const predicate = compileRule(ruleSchema.parse(rules), { now, currency: settings.currency, segments: new Map(), perCustomer: true }, params);
  const { rows } = await pool.query<{ id: string }>(`SELECT c.id FROM "Customer" c WHERE ${predicate} ORDER BY c.id`, params.values);
  expect(rows.map((r) => r.id), 'compiled customer by customer').toEqual(members);
  return members;
}

describe('attribute conditions (demographics, interests)', () => {
  it('eq / neq / in on an attribute; neq includes customers without it', async () => {
    expect(await audience({ attribute: 'city', op: 'eq', value: 'Seoul' })).toEqual(['c-ana', 'c-cho', 'c-eun']);
    expect(await audience({ attribute: 'city', op: 'neq', value: 'Seoul' })).toEqual(['c-ben', 'c-dan']);
    expect(await audience({ attribute: 'city', op: 'in', value: ['Busan', 'Daegu'] })).toEqual(['c-ben']);
  });

  it('gt / gte / lt / lte compare numbers as numbers; a text "29" is not a number', async () => {
    expect(await audience({ attribute: 'age', op: 'gte', value: 34 })).toEqual(['c-ana', 'c-cho']);
    expect(await audience({ attribute: 'age', op: 'lt', value: 30 })).toEqual(['c-ben']);
  });

  it('contains: an element of a list, or text within text (any case)', async () => {
    expect(await audience({ attribute: 'interests', op: 'contains', value: 'yoga' })).toEqual(['c-ana']);
    expect(await audience({ attribute: 'bio', op: 'contains', value: 'RUNNING' })).toEqual(['c-cho']);
  });

  it('exists and does not exist', async () => {
    expect(await audience({ attribute: 'tier', op: 'exists' })).toEqual(['c-ana']);
    expect(await audience({ attribute: 'city', op: 'exists', value: false })).toEqual(['c-dan']);
  });

  it('profile fields are columns: locale, email; a missing value fails eq, so its negation holds', async () => {
    expect(await audience({ attribute: 'locale', op: 'eq', value: 'ko' })).toEqual(['c-ana']);
    expect(await audience({ not: { attribute: 'locale', op: 'eq', value: 'ko' } })).toEqual(['c-ben', 'c-cho', 'c-dan', 'c-eun']);
    expect(await audience({ attribute: 'email', op: 'contains', value: 'BEN@' })).toEqual(['c-ben']);
  });
});

describe('event conditions (behaviour)', () => {
  it('counts events of a type with property filters inside a window; anonymous events count for no one', async () => {
    expect(await audience({ event: 'page_viewed', where: { path: '/sale' }, count: { op: 'gte', value: 3 }, within: '30d' })).toEqual(['c-ana']);
    expect(await audience({ event: 'page_viewed', where: { path: '/sale' }, count: { op: 'gte', value: 3 }, within: '90d' })).toEqual(['c-ana', 'c-ben']);
    expect(await audience({ event: 'page_viewed', where: { path: '/sale' }, count: { op: 'eq', value: 1 }, within: '30d' })).toEqual(['c-ben']);
    expect(await audience({ event: 'page_viewed', where: { path: '/sale', ref: 'ad' } })).toEqual(['c-ana']);
  });

  it('defaults to at least once, and a count that 0 passes includes customers without such events', async () => {
    expect(await audience({ event: 'page_viewed', within: '30d' })).toEqual(['c-ana', 'c-ben']);
    expect(await audience({ event: 'page_viewed', where: { path: '/sale' }, count: { op: 'lte', value: 0 }, within: '30d' })).toEqual(['c-cho', 'c-dan', 'c-eun']);
    expect(await audience({ event: 'page_viewed', count: { op: 'lt', value: 3 } })).toEqual(['c-cho', 'c-dan', 'c-eun']);
    expect(await audience({ event: 'never_sent', count: { op: 'gte', value: 0 } })).toEqual(['c-ana', 'c-ben', 'c-cho', 'c-dan', 'c-eun']);
  });
});

describe('metric conditions (value, recency)', () => {
  it('orders: counts, windows, and zero for customers who never ordered', async () => {
    expect(await metricAudience({ metric: 'orders', op: 'gte', value: 2 })).toEqual(['c-ana']);
    expect(await metricAudience({ metric: 'orders', op: 'eq', value: 0 })).toEqual(['c-dan', 'c-eun']);
    expect(await metricAudience({ metric: 'orders', op: 'gte', value: 1, within: '30d' })).toEqual(['c-ana', 'c-cho']);
  });

  it('revenue in the shop currency by default (exact), or another; a customer without orders has 0', async () => {
    expect(await metricAudience({ metric: 'revenue', op: 'gte', value: 80000 })).toEqual(['c-ana', 'c-ben']);
    expect(await metricAudience({ metric: 'revenue', op: 'gt', value: '80000.0001' })).toEqual(['c-ben']);
    expect(await metricAudience({ metric: 'revenue', op: 'lt', value: 50000 })).toEqual(['c-cho', 'c-dan', 'c-eun']);
    expect(await metricAudience({ metric: 'revenue', op: 'gte', value: 50000, within: '365d' })).toEqual(['c-ana']);
    expect(await metricAudience({ metric: 'revenue', op: 'gte', value: 5, currency: 'USD' })).toEqual(['c-cho']);
  });

  it('aov: the average order, only for customers with orders in that currency', async () => {
    expect(await metricAudience({ metric: 'aov', op: 'gte', value: 40000 })).toEqual(['c-ana', 'c-ben']);
    expect(await metricAudience({ metric: 'aov', op: 'lt', value: 100000 })).toEqual(['c-ana']);
  });

  it('days since the last order and since last seen, in whole days; never is not a number of days', async () => {
    expect(await audience({ metric: 'daysSinceLastOrder', op: 'gte', value: 30 })).toEqual(['c-ben']);
    expect(await audience({ metric: 'daysSinceLastOrder', op: 'lte', value: 10 })).toEqual(['c-ana', 'c-cho']);
    expect(await audience({ metric: 'daysSinceLastOrder', op: 'eq', value: 10 })).toEqual(['c-ana']);
    expect(await audience({ metric: 'daysSinceLastSeen', op: 'gt', value: 30 })).toEqual(['c-ben', 'c-dan']);
    expect(await audience({ metric: 'daysSinceLastSeen', op: 'lt', value: 7 })).toEqual(['c-ana']);
  });
});

describe('purchase history, RFM and saved segments', () => {
  it('bought: by product, by category, within a window', async () => {
    expect(await audience({ bought: { category: 'shoes' } })).toEqual(['c-ana', 'c-cho']);
    expect(await audience({ bought: { category: 'shoes' }, within: '7d' })).toEqual(['c-cho']);
    expect(await audience({ bought: { productId: 'p-coat' } })).toEqual(['c-ben']);
    expect(await audience({ bought: { productId: 'p-sock', category: 'socks' }, within: '30d' })).toEqual([]);
  });

  it('rfm: customers whose latest score is in one of the segments', async () => {
    expect(await audience({ rfm: ['champions', 'at risk'] })).toEqual(['c-ana', 'c-ben']);
    expect(await audience({ rfm: ['lost'] })).toEqual([]);
  });

  it('groups: all, any, not', async () => {
    expect(await audience({ any: [{ attribute: 'city', op: 'eq', value: 'Busan' }, { bought: { category: 'shoes' } }] })).toEqual(['c-ana', 'c-ben', 'c-cho']);
    expect(await audience({ all: [{ attribute: 'city', op: 'eq', value: 'Seoul' }, { not: { bought: { category: 'shoes' } } }] })).toEqual(['c-eun']);
  });

  it('a saved segment inside another rule; an unknown one and a cycle are refused with their path', async () => {
    const seoul = await createSegment(pool, { name: 'Seoul', rules: ruleSchema.parse({ attribute: 'city', op: 'eq', value: 'Seoul' }) }, settings);
    expect(await audience({ all: [{ segment: seoul.id }, { metric: 'orders', op: 'gte', value: 1 }] })).toEqual(['c-ana', 'c-cho']);

    await expect(audience({ all: [{ segment: 'nope' }] })).rejects.toThrow(new SegmentRuleError('rules.all[0].segment', 'no saved segment nope'));
    await expect(createSegment(pool, { name: 'bad', rules: ruleSchema.parse({ any: [{ rfm: ['lost'] }, { segment: 'nope' }] }) }, settings)).rejects.toThrow('rules.any[1].segment: no saved segment nope');

    // Two segments referring to each other (only possible by editing the table): refused, not looped.
    await pool.query(`INSERT INTO "Segment" (id, name, rules, "references") VALUES ('s-a', 'a', '{"segment":"s-b"}', '{s-b}'), ('s-b', 'b', '{"segment":"s-a"}', '{s-a}')`);
    await expect(audience({ segment: 's-a' })).rejects.toThrow('refers back to itself (s-a → s-b → s-a)');

    // A segment another one uses cannot be deleted.
    const within = await createSegment(pool, { name: 'Seoul buyers', rules: ruleSchema.parse({ all: [{ segment: seoul.id }, { metric: 'orders', op: 'gte', value: 1 }] }) }, settings);
    expect(await deleteSegment(pool, seoul.id)).toEqual({ referencedBy: [within.id] });
    expect(await deleteSegment(pool, within.id)).toBe('deleted');
    expect(await deleteSegment(pool, seoul.id)).toBe('deleted');
    expect(await deleteSegment(pool, seoul.id)).toBe('missing');
  });
});

describe('preview', () => {
  it('answers size, sample, conditions, the audience after each top-level condition, and warnings', async () => {
    const rules = ruleSchema.parse({
      all: [
        { attribute: 'city', op: 'eq', value: 'Seoul' },
        { metric: 'orders', op: 'gte', value: 1 },
        { event: 'page_viewed', within: '30d' },
      ],
    });
    expect(await previewSegment(pool, rules, settings, now)).toEqual({
      size: 1,
      sample: ['c-ana'],
      conditions: 3,
      steps: [
        { condition: 'city eq "Seoul"', size: 3 },
        { condition: 'orders gte 1', size: 2 },
        { condition: 'page_viewed within 30d', size: 1 },
      ],
      warnings: [{ code: 'small_audience', message: '1 customers: under MIN_AUDIENCE (100), too few for the results to mean much' }],
    });
  });

  it('warns past 3 conditions, and not about size at or above MIN_AUDIENCE', async () => {
    const rules = ruleSchema.parse({ any: [{ attribute: 'city', op: 'exists' }, { attribute: 'age', op: 'exists' }, { attribute: 'tier', op: 'exists' }, { metric: 'orders', op: 'gte', value: 0 }] });
    const preview = await previewSegment(pool, rules, { ...settings, minAudience: 5 }, now);
    expect(preview).toMatchObject({ size: 5, conditions: 4, steps: [{ size: 5 }] });
    expect(preview.warnings.map((w) => w.code)).toEqual(['too_many_conditions']);
  });

  it('pages through members by id', async () => {
    const rules = ruleSchema.parse({ attribute: 'city', op: 'eq', value: 'Seoul' });
    const first = await segmentMembers(pool, rules, settings, { limit: 2 }, now);
    expect(first).toEqual({ members: [{ id: 'c-ana', name: null, email: 'ana@example.com' }, { id: 'c-cho', name: null, email: null }], nextCursor: 'c-cho' });
    expect(await segmentMembers(pool, rules, settings, { limit: 2, cursor: first.nextCursor! }, now)).toEqual({ members: [{ id: 'c-eun', name: null, email: null }], nextCursor: null });
  });
});

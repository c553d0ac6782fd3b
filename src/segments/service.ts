// Segments over the database: preview a rule, save it, page through its members. Every
// question is one SQL statement built by compile.ts; customers are never loaded to be filtered.
import type pg from 'pg';
import { inTransaction, type SqlClient } from '../db';
import { compileRule, Params, SegmentRuleError, type CompileContext } from './compile';
import { conditionCount, depthOf, describeRule, MAX_DEPTH, referencedSegments, ruleSchema, ruleToJson, type Rule } from './rules';

export interface SegmentSettings {
  /** MIN_AUDIENCE: previews warn below it. */
  minAudience: number;
  /** revenue / aov without a currency. */
  currency: string;
}

export interface Preview {
  size: number;
  sample: string[];
  conditions: number;
  steps: { condition: string; size: number }[];
  warnings: { code: 'too_many_conditions' | 'small_audience'; message: string }[];
}

export interface SavedSegment {
  id: string;
  name: string;
  rules: unknown;
  references: string[];
  createdAt: Date;
}

/** A preview or member query is stopped past this (a runaway rule must not hold a connection). */
const STATEMENT_TIMEOUT = '30s';
/** work_mem for a preview: its conditions' customer sets are hashed in memory. */
const PREVIEW_WORK_MEM = '256MB';
/** Saved segments followed through references, at most (guards against a chain built to exhaust). */
const MAX_SEGMENTS = 50;

/**
 * The saved segments a rule refers to, and those they refer to, by id. A missing one is left
 * out (compiling names it); a cycle is refused when compiled.
 */
export async function loadReferencedSegments(client: SqlClient, rule: Rule): Promise<Map<string, Rule>> {
  const found = new Map<string, Rule>();
  let wanted = referencedSegments(rule);
  while (wanted.length) {
    if (found.size + wanted.length > MAX_SEGMENTS) throw new SegmentRuleError('rules', `refers to more than ${MAX_SEGMENTS} saved segments`);
    const rows = await client.query<{ id: string; rules: unknown }>(`SELECT id, rules FROM "Segment" WHERE id = ANY($1::text[])`, [wanted]);
    const next: string[] = [];
    for (const row of rows.rows) {
      const parsed = ruleSchema.parse(row.rules);
      found.set(row.id, parsed);
      for (const id of referencedSegments(parsed)) if (!found.has(id) && !wanted.includes(id)) next.push(id);
    }
    wanted = next;
  }
  return found;
}

/** What compiling `rule` needs: the saved segments it names. Refuses groups nested deeper than MAX_DEPTH. */
export async function contextFor(client: SqlClient, rule: Rule, settings: Pick<SegmentSettings, 'currency'>, now: Date): Promise<CompileContext> {
  if (depthOf(rule) > MAX_DEPTH) throw new SegmentRuleError('rules', `groups nest deeper than ${MAX_DEPTH}`);
  return { now, currency: settings.currency, segments: await loadReferencedSegments(client, rule) };
}

/** Runs statements in a read-only transaction (one snapshot) with a time limit. */
function readOnly<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  return inTransaction(
    pool,
    async (client) => {
      await client.query(`SET LOCAL statement_timeout = '${STATEMENT_TIMEOUT}'`);
      return work(client);
    },
    'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY',
  );
}

/** The SQL that selects a rule's customers' ids (for EXPLAIN, members and campaign audiences). */
export function compileAudience(rule: Rule, context: CompileContext): { text: string; values: unknown[] } {
  const params = new Params();
  const predicate = compileRule(rule, context, params);
  return { text: `SELECT c.id FROM "Customer" c WHERE ${predicate}`, values: params.values };
}

/** The first condition's customers, as the planner estimates them, are under this share of all. */
const PER_CUSTOMER_SHARE = 0.3;

/**
 * A preview whose later conditions are tested customer by customer for at least this many
 * customers (the planner's estimate) is run in two halves at once, on two connections.
 */
export const PREVIEW_SPLIT_FROM = 20_000;

/** The planner's estimate of the first condition's customers, and of all customers: no scan. */
async function estimate(client: pg.PoolClient, first: Rule, context: CompileContext): Promise<{ rows: number; customers: number }> {
  const params = new Params();
  const predicate = compileRule(first, context, params);
  const { rows } = await client.query<{ 'QUERY PLAN': [{ Plan: { 'Plan Rows': number } }] }>(`EXPLAIN (FORMAT JSON) SELECT 1 FROM "Customer" c WHERE ${predicate}`, params.values);
  const customers = (await client.query<{ n: number }>(`SELECT greatest(reltuples, 1)::float8 AS n FROM pg_class WHERE oid = '"Customer"'::regclass`)).rows[0].n;
  return { rows: rows[0]['QUERY PLAN'][0].Plan['Plan Rows'], customers };
}

/**
 * Whether the first condition leaves few enough customers that the later ones are cheaper
 * tested customer by customer (through indexes) than as whole sets: the planner's estimate,
 * no scan.
 */
export async function fewCandidates(client: pg.PoolClient, first: Rule, context: CompileContext): Promise<boolean> {
  const { rows, customers } = await estimate(client, first, context);
  return rows <= PER_CUSTOMER_SHARE * customers;
}

/** The median customer id by the planner's statistics (null before the table is analysed). */
async function medianCustomerId(client: pg.PoolClient): Promise<string | null> {
  const { rows } = await client.query<{ bounds: string[] | null }>(
    `SELECT histogram_bounds::text::text[] AS bounds FROM pg_stats WHERE schemaname = current_schema() AND tablename = 'Customer' AND attname = 'id'`,
  );
  const bounds = rows[0]?.bounds;
  return bounds && bounds.length >= 3 ? bounds[Math.floor(bounds.length / 2)] : null;
}

/**
 * Whether the pool can lend a second connection now without waiting: a preview that waited for
 * one while holding its first could, with others doing the same, hold the pool until timeout.
 * Checked and taken in the same turn of the event loop, so no other caller takes it between.
 */
function spareConnection(pool: pg.Pool): boolean {
  return pool.waitingCount === 0 && (pool.idleCount > 0 || pool.totalCount < (pool.options.max ?? 10));
}

/**
 * Runs `work` on a second connection, in a read-only transaction that sees exactly what the
 * transaction that exported `snapshot` sees (it must stay open until this one has begun), with
 * the same limits.
 */
async function onSnapshot<T>(pool: pg.Pool, snapshot: string, settings: string[], work: (other: pg.PoolClient) => Promise<T>): Promise<T> {
  const other = await pool.connect();
  let failed: Error | undefined;
  try {
    await other.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await other.query(`SET TRANSACTION SNAPSHOT '${snapshot.replaceAll("'", "''")}'`);
    for (const setting of settings) await other.query(setting);
    return await work(other);
  } catch (error) {
    failed = error as Error;
    throw error;
  } finally {
    // A connection whose rollback failed is discarded, not returned to the pool.
    const rolledBack = await other.query('ROLLBACK').then(
      () => true,
      () => false,
    );
    other.release(failed && !rolledBack ? failed : undefined);
  }
}

export interface PreviewOptions {
  /** Split a preview over two connections from this many candidate customers (tests lower it or turn it off). */
  splitFrom?: number;
}

/**
 * Size, a sample, and the audience left after each top-level condition of an `all`, in one
 * statement: the customers of the first condition are selected (through its index, if any),
 * each further condition is evaluated once for them (its subquery hashed once), and every
 * step's count and the sample are read from those flags.
 *
 * Per-customer tests run in one PostgreSQL process (it does not hand correlated subqueries to
 * parallel workers), so a large first set is halved by customer id and the two halves run at
 * once on two connections sharing one snapshot: about 1.4× faster on two cores (bench:rfm).
 */
export async function previewSegment(pool: pg.Pool, rule: Rule, settings: SegmentSettings, now: Date = new Date(), options: PreviewOptions = {}): Promise<Preview> {
  return readOnly(pool, async (client) => {
    // Room for each condition's set of customers as a hash table (else PostgreSQL rescans it per customer).
    const workMem = `SET LOCAL work_mem = '${PREVIEW_WORK_MEM}'`;
    await client.query(workMem);
    const context = await contextFor(client, rule, settings, now);
    const parts = 'all' in rule ? rule.all : [rule];
    const params = new Params();
    const path = (i: number) => ('all' in rule ? `rules.all[${i}]` : 'rules');
    const first = compileRule(parts[0], context, params, path(0));
    const candidates = parts.length > 1 ? await estimate(client, parts[0], context) : null;
    const perCustomer = candidates !== null && candidates.rows <= PER_CUSTOMER_SHARE * candidates.customers;
    const compiled = [first, ...parts.slice(1).map((part, i) => compileRule(part, { ...context, perCustomer }, params, path(i + 1)))];
    // Every step is within the first condition: only its customers are flagged (through its index, if it has one).
    const flags = compiled.slice(1).map((predicate, i) => `(${predicate}) AS f${i + 1}`);
    const upTo = (i: number) => ['TRUE', ...parts.slice(1, i + 1).map((_, j) => `f${j + 1}`)].join(' AND ');
    const counts = parts.map((_, i) => `count(*) FILTER (WHERE ${upTo(i)})::int AS s${i}`);
    const statement = (within: string) =>
      `WITH flagged AS MATERIALIZED (SELECT ${['c.id', ...flags].join(', ')} FROM "Customer" c WHERE (${compiled[0]})${within})
       SELECT ${counts.join(', ')},
              (SELECT array_agg(id ORDER BY id) FROM (SELECT id FROM flagged WHERE ${upTo(parts.length - 1)} ORDER BY id LIMIT 10) first) AS sample
       FROM flagged`;
    type Row = Record<string, number> & { sample: string[] | null };

    const splitFrom = options.splitFrom ?? PREVIEW_SPLIT_FROM;
    const median = perCustomer && candidates.rows >= splitFrom ? await medianCustomerId(client) : null;
    let rows: Row[];
    if (median !== null && spareConnection(pool)) {
      const at = params.add(median, 'text');
      // Exported before the first half is sent: the connection runs one statement at a time.
      const snapshot = (await client.query<{ id: string }>(`SELECT pg_export_snapshot() AS id`)).rows[0].id;
      const halves = await Promise.allSettled([
        client.query<Row>(statement(` AND c.id < ${at}`), params.values),
        onSnapshot(pool, snapshot, [`SET LOCAL statement_timeout = '${STATEMENT_TIMEOUT}'`, workMem], (other) => other.query<Row>(statement(` AND c.id >= ${at}`), params.values)),
      ]);
      const failed = halves.find((half) => half.status === 'rejected');
      if (failed) throw failed.reason;
      const [low, high] = halves.map((half) => (half as PromiseFulfilledResult<pg.QueryResult<Row>>).value.rows[0]);
      // Every id of the low half sorts before every id of the high one (in the database's collation), so the samples concatenate in order.
      rows = [{ ...Object.fromEntries(parts.map((_, i) => [`s${i}`, low[`s${i}`] + high[`s${i}`]])), sample: [...(low.sample ?? []), ...(high.sample ?? [])].slice(0, 10) } as Row];
    } else {
      rows = (await client.query<Row>(statement(''), params.values)).rows;
    }
    const steps = parts.map((part, i) => ({ condition: describeRule(part), size: rows[0][`s${i}`] }));
    const size = steps[steps.length - 1].size;
    const sample = { rows: (rows[0].sample ?? []).map((id) => ({ id })) };

    const conditions = conditionCount(rule);
    const warnings: Preview['warnings'] = [];
    if (conditions > 3) {
      warnings.push({ code: 'too_many_conditions', message: `${conditions} conditions: past 3 an audience usually shrinks too far to learn from (2–3 is the useful range)` });
    }
    if (size < settings.minAudience) {
      warnings.push({ code: 'small_audience', message: `${size} customers: under MIN_AUDIENCE (${settings.minAudience}), too few for the results to mean much` });
    }
    return { size, sample: sample.rows.map((r) => r.id), conditions, steps, warnings };
  });
}

/** Checks a rule compiles (saved segments it names exist, no cycle) without running it. */
export async function checkRule(pool: pg.Pool, rule: Rule, settings: SegmentSettings): Promise<void> {
  compileRule(rule, await contextFor(pool, rule, settings, new Date()), new Params());
}

export async function createSegment(pool: pg.Pool, input: { name: string; rules: Rule }, settings: SegmentSettings): Promise<SavedSegment> {
  await checkRule(pool, input.rules, settings);
  const { rows } = await pool.query<SavedSegment>(
    `INSERT INTO "Segment" (id, name, rules, "references") VALUES (gen_random_uuid()::text, $1, $2::jsonb, $3::text[])
     RETURNING id, name, rules, "references", "createdAt"`,
    [input.name, JSON.stringify(ruleToJson(input.rules)), referencedSegments(input.rules)],
  );
  return rows[0];
}

export async function listSegments(pool: pg.Pool): Promise<SavedSegment[]> {
  return (await pool.query<SavedSegment>(`SELECT id, name, rules, "references", "createdAt" FROM "Segment" ORDER BY "createdAt", id`)).rows;
}

export async function findSegment(pool: pg.Pool, id: string): Promise<SavedSegment | null> {
  return (await pool.query<SavedSegment>(`SELECT id, name, rules, "references", "createdAt" FROM "Segment" WHERE id = $1`, [id])).rows[0] ?? null;
}

/** Deletes a segment no other refers to: 'deleted', 'missing', or the ids of those referring to it. */
export async function deleteSegment(pool: pg.Pool, id: string): Promise<'deleted' | 'missing' | { referencedBy: string[] }> {
  return inTransaction(pool, async (client) => {
    const target = await client.query(`SELECT id FROM "Segment" WHERE id = $1 FOR UPDATE`, [id]);
    if (!target.rowCount) return 'missing';
    const referrers = await client.query<{ id: string }>(`SELECT id FROM "Segment" WHERE "references" @> ARRAY[$1]::text[] ORDER BY id`, [id]);
    if (referrers.rowCount) return { referencedBy: referrers.rows.map((r) => r.id) };
    await client.query(`DELETE FROM "Segment" WHERE id = $1`, [id]);
    return 'deleted';
  });
}

export interface MembersPage {
  members: { id: string; name: string | null; email: string | null }[];
  /** Pass as `cursor` for the next page; null on the last. */
  nextCursor: string | null;
}

/** One page of a rule's customers in id order, after `cursor` (keyset: every page costs the same). */
export async function segmentMembers(pool: pg.Pool, rule: Rule, settings: SegmentSettings, { cursor, limit }: { cursor?: string; limit: number }, now: Date = new Date()): Promise<MembersPage> {
  return readOnly(pool, async (client) => {
    const context = await contextFor(client, rule, settings, now);
    const params = new Params();
    const predicate = compileRule(rule, context, params);
    const after = cursor ? ` AND c.id > ${params.add(cursor, 'text')}` : '';
    const { rows } = await client.query<MembersPage['members'][number]>(
      `SELECT c.id, c.name, c.email FROM "Customer" c WHERE ${predicate}${after} ORDER BY c.id LIMIT ${params.add(limit + 1, 'int')}`,
      params.values,
    );
    const more = rows.length > limit;
    const members = rows.slice(0, limit);
    return { members, nextCursor: more ? members[members.length - 1].id : null };
  });
}

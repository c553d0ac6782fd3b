// Compiles a rule to one parameterised SQL predicate over customers (`"Customer" c`): the
// database filters, never Node. Each condition becomes a test on the customer's row or a
// semi-join (`c.id IN (…)`) on a subquery the planner can run once, through an index:
//   attribute: columns, or `attributes @> {…}` (the GIN index) for equality;
//   event:     Event by (type, occurredAt); counts become "at least k" sets;
//   metric:    Order aggregates per customer (HAVING); recency as a time range;
//   bought:    OrderItem by productId / category;
//   rfm:       CustomerRfm by segment;
//   segment:   the saved segment's rules, inlined (cycles refused).
import { PROFILE_FIELDS, type Comparison, type Rule } from './rules';

const DAY_MS = 86_400_000;

export class SegmentRuleError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
    this.name = 'SegmentRuleError';
  }
}

export interface CompileContext {
  /** "now" for windows and recency: one instant for the whole query. */
  now: Date;
  /** revenue and aov without a currency: CHANNEL_COSTS_CURRENCY. */
  currency: string;
  /** Saved segments' rules by id (the ones the rule refers to, transitively). */
  segments: ReadonlyMap<string, Rule>;
  /**
   * The predicate is tested for few customers (a preview's later conditions, within the first's
   * customers): order metrics aggregate each one's orders through the (customerId, occurredAt)
   * index instead of every customer's orders at once.
   */
  perCustomer?: boolean;
}

/** Positional parameters ($1, $2, …) shared by the predicates of one statement. */
export class Params {
  readonly values: unknown[] = [];
  add(value: unknown, cast?: string): string {
    this.values.push(value);
    return `$${this.values.length}${cast ? `::${cast}` : ''}`;
  }
}

const SQL_OP: Record<Comparison, string> = { eq: '=', neq: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=' };
const NEGATED: Record<Comparison, Comparison> = { eq: 'neq', neq: 'eq', gt: 'lte', gte: 'lt', lt: 'gte', lte: 'gt' };

function holds(left: number, op: Comparison, right: number): boolean {
  switch (op) {
    case 'eq':
      return left === right;
    case 'neq':
      return left !== right;
    case 'gt':
      return left > right;
    case 'gte':
      return left >= right;
    case 'lt':
      return left < right;
    case 'lte':
      return left <= right;
  }
}

/**
 * `count op value` as sets of "at least k": customers with no rows have a count of 0, so a
 * test 0 passes (lte 2, eq 0) is the complement of a set rather than a set.
 */
function countIs(atLeast: (k: number) => string, op: Comparison, value: number): string {
  const min = (k: number) => (k <= 0 ? 'TRUE' : atLeast(k));
  switch (op) {
    case 'gte':
      return min(value);
    case 'gt':
      return min(value + 1);
    case 'lt':
      return `NOT (${min(value)})`;
    case 'lte':
      return `NOT (${min(value + 1)})`;
    case 'eq':
      return `(${min(value)} AND NOT (${min(value + 1)}))`;
    case 'neq':
      return `NOT (${min(value)} AND NOT (${min(value + 1)}))`;
  }
}

/**
 * Whole days since `at` (floor), compared, as a range on `at` so an index on it serves:
 * `days >= n` is `at <= now - n days`.
 */
function daysSince(at: string, op: Comparison, days: number, params: Params, now: Date): string {
  const before = (n: number) => `${at} <= ${params.add(new Date(now.getTime() - n * DAY_MS), 'timestamptz')}`;
  const after = (n: number) => `${at} > ${params.add(new Date(now.getTime() - n * DAY_MS), 'timestamptz')}`;
  switch (op) {
    case 'gte':
      return before(days);
    case 'gt':
      return before(days + 1);
    case 'lte':
      return after(days + 1);
    case 'lt':
      return after(days);
    case 'eq':
      return `(${before(days)} AND ${after(days + 1)})`;
    case 'neq':
      return `(${at} IS NOT NULL AND NOT (${before(days)} AND ${after(days + 1)}))`;
  }
}

export function compileRule(rule: Rule, context: CompileContext, params: Params, path = 'rules', visiting: readonly string[] = []): string {
  const { now } = context;
  const since = (within: { ms: number } | undefined, column: string) => (within ? ` AND ${column} >= ${params.add(new Date(now.getTime() - within.ms), 'timestamptz')}` : '');

  if ('all' in rule) return `(${rule.all.map((r, i) => compileRule(r, context, params, `${path}.all[${i}]`, visiting)).join(' AND ')})`;
  if ('any' in rule) return `(${rule.any.map((r, i) => compileRule(r, context, params, `${path}.any[${i}]`, visiting)).join(' OR ')})`;
  if ('not' in rule) return `NOT (${compileRule(rule.not, context, params, `${path}.not`, visiting)})`;

  if ('segment' in rule) {
    if (visiting.includes(rule.segment)) throw new SegmentRuleError(`${path}.segment`, `segment ${rule.segment} refers back to itself (${[...visiting, rule.segment].join(' → ')})`);
    const saved = context.segments.get(rule.segment);
    if (!saved) throw new SegmentRuleError(`${path}.segment`, `no saved segment ${rule.segment}`);
    return compileRule(saved, context, params, `${path}.segment(${rule.segment})`, [...visiting, rule.segment]);
  }

  if ('attribute' in rule) {
    const column = (PROFILE_FIELDS as readonly string[]).includes(rule.attribute) ? `c.${rule.attribute}` : null;
    if (column) return profileField(column, rule.op, rule.value, params);
    return jsonAttribute(rule.attribute, rule.op, rule.value, params);
  }

  if ('event' in rule) {
    // Parameters are added where used (each "at least k" set adds its own): an unused one has no type.
    const atLeast = (k: number) => {
      const where = rule.where ? ` AND e.properties @> ${params.add(JSON.stringify(rule.where), 'jsonb')}` : '';
      const filter = `e.type = ${params.add(rule.event, 'text')} AND e."customerId" IS NOT NULL${since(rule.within, 'e."occurredAt"')}${where}`;
      return `c.id IN (SELECT e."customerId" FROM "Event" e WHERE ${filter}` + (k === 1 ? ')' : ` GROUP BY e."customerId" HAVING count(*) >= ${params.add(k, 'int')})`);
    };
    const { op, value } = rule.count ?? { op: 'gte' as const, value: 1 };
    return countIs(atLeast, op, value);
  }

  if ('metric' in rule) {
    const window = () => since(rule.within, 'o."occurredAt"');
    if (context.perCustomer && (rule.metric === 'orders' || rule.metric === 'revenue' || rule.metric === 'aov')) {
      // A customer without orders counts 0 orders and 0 revenue, and has no AOV (NULL: false).
      const currency = rule.metric === 'orders' ? '' : ` AND o.currency = ${params.add(rule.currency ?? context.currency, 'text')}`;
      const value = rule.metric === 'orders' ? 'count(*)' : rule.metric === 'revenue' ? 'COALESCE(sum(o.total), 0)' : 'avg(o.total)';
      const cast = rule.metric === 'orders' ? 'int' : 'numeric';
      return `(SELECT ${value} FROM "Order" o WHERE o."customerId" = c.id${currency}${window()}) ${SQL_OP[rule.op]} ${params.add(rule.metric === 'orders' ? Number(rule.value) : rule.value, cast)}`;
    }
    switch (rule.metric) {
      case 'orders': {
        const atLeast = (k: number) =>
          `c.id IN (SELECT o."customerId" FROM "Order" o WHERE TRUE${window()}` + (k === 1 ? ')' : ` GROUP BY o."customerId" HAVING count(*) >= ${params.add(k, 'int')})`);
        return countIs(atLeast, rule.op, Number(rule.value));
      }
      case 'revenue':
      case 'aov': {
        const currency = params.add(rule.currency ?? context.currency, 'text');
        const aggregate = rule.metric === 'revenue' ? 'sum(o.total)' : 'avg(o.total)';
        const having = (op: Comparison) => `c.id IN (SELECT o."customerId" FROM "Order" o WHERE o.currency = ${currency}${window()} GROUP BY o."customerId" HAVING ${aggregate} ${SQL_OP[op]} ${params.add(rule.value, 'numeric')})`;
        // Revenue of a customer without orders is 0 (aov has none): where 0 passes, take the complement.
        if (rule.metric === 'revenue' && holds(0, rule.op, Number(rule.value))) return `NOT (${having(NEGATED[rule.op])})`;
        return having(rule.op);
      }
      case 'daysSinceLastOrder': {
        return `c.id IN (SELECT o."customerId" FROM "Order" o GROUP BY o."customerId" HAVING ${daysSince('max(o."occurredAt")', rule.op, Number(rule.value), params, now)})`;
      }
      case 'daysSinceLastSeen':
        return `(c."lastSeenAt" IS NOT NULL AND ${daysSince('c."lastSeenAt"', rule.op, Number(rule.value), params, now)})`;
    }
  }

  if ('bought' in rule) {
    const product = rule.bought.productId ? ` AND i."productId" = ${params.add(rule.bought.productId, 'text')}` : '';
    const category = rule.bought.category ? ` AND i.category = ${params.add(rule.bought.category, 'text')}` : '';
    return `c.id IN (SELECT o."customerId" FROM "OrderItem" i JOIN "Order" o ON o.id = i."orderId" WHERE TRUE${product}${category}${since(rule.within, 'o."occurredAt"')})`;
  }

  return `c.id IN (SELECT r."customerId" FROM "CustomerRfm" r WHERE r.segment = ANY(${params.add(rule.rfm, 'text[]')}))`;
}

type AttributeOp = Extract<Rule, { attribute: string }>['op'];
type AttributeValue = Extract<Rule, { attribute: string }>['value'];

function profileField(column: string, op: AttributeOp, value: AttributeValue, params: Params): string {
  const text = (v: unknown) => params.add(String(v), 'text');
  // A missing value (NULL) fails every test but neq and "does not exist": never NULL, so `not` reads right.
  switch (op) {
    case 'exists':
      return `${column} IS ${value === false ? '' : 'NOT '}NULL`;
    case 'in':
      return `COALESCE(${column} = ANY(${params.add((value as unknown[]).map(String), 'text[]')}), FALSE)`;
    case 'neq':
      return `${column} IS DISTINCT FROM ${text(value)}`;
    case 'contains':
      return `COALESCE(strpos(lower(${column}), lower(${text(value)})) > 0, FALSE)`;
    default:
      return `COALESCE(${column} ${SQL_OP[op]} ${text(value)}, FALSE)`;
  }
}

function jsonAttribute(name: string, op: AttributeOp, value: AttributeValue, params: Params): string {
  // Equality as containment, which the GIN index on attributes answers.
  const has = (v: unknown) => `c.attributes @> ${params.add(JSON.stringify({ [name]: v }), 'jsonb')}`;
  // Added only where used: an unused parameter has no type PostgreSQL can infer.
  const key = () => params.add(name, 'text');
  switch (op) {
    case 'exists':
      return `${value === false ? 'NOT ' : ''}(c.attributes ? ${key()})`;
    case 'eq':
      return has(value);
    case 'neq':
      return `NOT ${has(value)}`;
    case 'in':
      return `(${(value as unknown[]).map(has).join(' OR ')})`;
    case 'contains': {
      // A list attribute (interests) holding the value, or a text attribute containing it.
      const k = key();
      return `(${has([value])} OR CASE WHEN jsonb_typeof(c.attributes -> ${k}) = 'string' THEN strpos(lower(c.attributes ->> ${k}), lower(${params.add(String(value))})) > 0 ELSE FALSE END)`;
    }
    default: {
      const k = key();
      // gt/gte/lt/lte: numbers compare as numbers, text (ISO dates) as text; other types never
      // match. CASE, because AND does not promise to test the type before the cast.
      if (typeof value === 'number') return `CASE WHEN jsonb_typeof(c.attributes -> ${k}) = 'number' THEN (c.attributes ->> ${k})::numeric ${SQL_OP[op]} ${params.add(value, 'numeric')} ELSE FALSE END`;
      return `CASE WHEN jsonb_typeof(c.attributes -> ${k}) = 'string' THEN (c.attributes ->> ${k}) ${SQL_OP[op]} ${params.add(String(value))} ELSE FALSE END`;
    }
  }
}

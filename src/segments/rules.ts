// The segment rule language (DESIGN.md "Segments"): JSON rules, validated here with zod so a
// bad rule is refused with the path of what is wrong (`rules.all[2].op`), then compiled to SQL
// (compile.ts). A rule is a group (all / any / not) or one condition.
import { z } from 'zod';
import { currencyCode, durationSchema } from '../config';

export const RFM_SEGMENTS = [
  'champions',
  'loyal',
  'potential loyalist',
  'new customers',
  'promising',
  'need attention',
  'about to sleep',
  'at risk',
  "can't lose them",
  'hibernating',
  'lost',
] as const;
export type RfmSegment = (typeof RFM_SEGMENTS)[number];

/** Profile fields that are columns; any other attribute name is read from `attributes` (jsonb). */
export const PROFILE_FIELDS = ['email', 'phone', 'name', 'locale', 'timezone'] as const;

export const METRICS = ['orders', 'revenue', 'aov', 'daysSinceLastOrder', 'daysSinceLastSeen'] as const;
export type Metric = (typeof METRICS)[number];

const comparison = z.enum(['eq', 'neq', 'gt', 'gte', 'lt', 'lte']);
export type Comparison = z.infer<typeof comparison>;

const scalar = z.union([z.string().max(500), z.number(), z.boolean()]);
type Scalar = z.infer<typeof scalar>;

/** `within` as written ("30d") and in milliseconds. */
const within = z
  .string()
  .transform((text, ctx) => {
    const parsed = durationSchema.safeParse(text);
    if (!parsed.success) {
      ctx.addIssue({ code: 'custom', message: parsed.error.issues[0].message });
      return z.NEVER;
    }
    return { ms: parsed.data, text: text.trim() };
  })
  .optional();

const attributeName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'expected an attribute name: letters, digits and _, up to 64');

const attributeCondition = z
  .object({
    attribute: attributeName,
    op: z.enum(['eq', 'neq', 'in', 'gt', 'gte', 'lt', 'lte', 'contains', 'exists']),
    value: z.union([scalar, z.array(scalar).min(1).max(100)]).optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    const bad = (message: string) => ctx.addIssue({ code: 'custom', path: ['value'], message });
    if (c.op === 'exists') {
      if (c.value !== undefined && typeof c.value !== 'boolean') bad('exists takes true (default) or false');
    } else if (c.op === 'in') {
      if (!Array.isArray(c.value)) bad('in takes a list of values');
    } else if (c.value === undefined || Array.isArray(c.value)) {
      bad(`${c.op} takes one value`);
    } else if (['gt', 'gte', 'lt', 'lte'].includes(c.op) && typeof c.value === 'boolean') {
      bad(`${c.op} compares numbers or text (e.g. ISO dates), not true/false`);
    } else if (c.op === 'contains' && typeof c.value !== 'string') {
      bad('contains takes text');
    }
  });

const count = z.object({ op: comparison, value: z.number().int().min(0) }).strict();

const eventCondition = z
  .object({
    event: z.string().min(1).max(100),
    where: z.record(z.string().min(1).max(100), scalar).optional(),
    count: count.optional(),
    within,
  })
  .strict();

/** A non-negative amount, exact: a number or a decimal string, kept as a string. */
const amount = z.union([z.number().nonnegative(), z.string().regex(/^\d+(\.\d+)?$/, 'expected a decimal amount such as 50000 or 12.50')]).transform(String);

const metricCondition = z
  .object({
    metric: z.enum(METRICS),
    op: comparison,
    value: amount,
    within,
    /** revenue and aov: orders in this currency (default: CHANNEL_COSTS_CURRENCY, the shop's). */
    currency: currencyCode.optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    const days = c.metric === 'daysSinceLastOrder' || c.metric === 'daysSinceLastSeen';
    if (days && c.within) ctx.addIssue({ code: 'custom', path: ['within'], message: `${c.metric} takes no window` });
    if ((days || c.metric === 'orders') && !/^\d+$/.test(c.value)) ctx.addIssue({ code: 'custom', path: ['value'], message: `${c.metric} takes a whole number` });
    if (c.currency && c.metric !== 'revenue' && c.metric !== 'aov') ctx.addIssue({ code: 'custom', path: ['currency'], message: 'only revenue and aov take a currency' });
  });

const boughtCondition = z
  .object({
    bought: z
      .object({ productId: z.string().min(1).max(200).optional(), category: z.string().min(1).max(200).optional() })
      .strict()
      .refine((b) => b.productId !== undefined || b.category !== undefined, 'name a productId, a category or both'),
    within,
  })
  .strict();

const rfmCondition = z.object({ rfm: z.array(z.enum(RFM_SEGMENTS)).min(1) }).strict();
const segmentCondition = z.object({ segment: z.string().min(1).max(100) }).strict();

export type AttributeCondition = z.output<typeof attributeCondition>;
export type EventCondition = z.output<typeof eventCondition>;
export type MetricCondition = z.output<typeof metricCondition>;
export type BoughtCondition = z.output<typeof boughtCondition>;
export type RfmCondition = z.output<typeof rfmCondition>;
export type SegmentCondition = z.output<typeof segmentCondition>;
export type Condition = AttributeCondition | EventCondition | MetricCondition | BoughtCondition | RfmCondition | SegmentCondition;
export type Rule = { all: Rule[] } | { any: Rule[] } | { not: Rule } | Condition;

const KINDS = ['all', 'any', 'not', 'attribute', 'event', 'metric', 'bought', 'rfm', 'segment'] as const;

/**
 * One rule. The rule's kind is read from its key, then only that kind's schema applies: an
 * error names the field (`all[2].op`), not "no union member matched".
 */
export const ruleSchema: z.ZodType<Rule, unknown> = z.unknown().transform((value, ctx): Rule => {
  const fail = (message: string, path: PropertyKey[] = []) => {
    ctx.addIssue({ code: 'custom', message, path });
    return z.NEVER;
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail(`expected a rule: an object with one of ${KINDS.join(', ')}`);
  const kinds = KINDS.filter((kind) => kind in value);
  if (kinds.length !== 1) return fail(kinds.length ? `a rule has one of ${kinds.join(', ')}, not several` : `expected a rule: an object with one of ${KINDS.join(', ')}`);
  const schema = schemaFor(kinds[0]);
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
    return z.NEVER;
  }
  return parsed.data as Rule;
});

function schemaFor(kind: (typeof KINDS)[number]): z.ZodType {
  switch (kind) {
    case 'all':
      return z.object({ all: z.array(ruleSchema).min(1, 'a group needs at least one rule').max(50) }).strict();
    case 'any':
      return z.object({ any: z.array(ruleSchema).min(1, 'a group needs at least one rule').max(50) }).strict();
    case 'not':
      return z.object({ not: ruleSchema }).strict();
    case 'attribute':
      return attributeCondition;
    case 'event':
      return eventCondition;
    case 'metric':
      return metricCondition;
    case 'bought':
      return boughtCondition;
    case 'rfm':
      return rfmCondition;
    case 'segment':
      return segmentCondition;
  }
}

/** How deep groups may nest (a guard against a rule built to exhaust the compiler). */
export const MAX_DEPTH = 8;

export function depthOf(rule: Rule): number {
  if ('all' in rule) return 1 + Math.max(...rule.all.map(depthOf));
  if ('any' in rule) return 1 + Math.max(...rule.any.map(depthOf));
  if ('not' in rule) return 1 + depthOf(rule.not);
  return 1;
}

/** The conditions in a rule (a saved segment it refers to counts as one). */
export function conditionCount(rule: Rule): number {
  if ('all' in rule) return rule.all.reduce((n, r) => n + conditionCount(r), 0);
  if ('any' in rule) return rule.any.reduce((n, r) => n + conditionCount(r), 0);
  if ('not' in rule) return conditionCount(rule.not);
  return 1;
}

/** The saved segments a rule refers to directly. */
export function referencedSegments(rule: Rule): string[] {
  if ('all' in rule) return [...new Set(rule.all.flatMap(referencedSegments))];
  if ('any' in rule) return [...new Set(rule.any.flatMap(referencedSegments))];
  if ('not' in rule) return referencedSegments(rule.not);
  return 'segment' in rule ? [rule.segment] : [];
}

const show = (value: Scalar | Scalar[] | undefined) => JSON.stringify(value);

/** A rule in one line, for preview steps: `orders gte 2 within 365d`. */
export function describeRule(rule: Rule): string {
  if ('all' in rule) return `all of (${rule.all.map(describeRule).join('; ')})`;
  if ('any' in rule) return `any of (${rule.any.map(describeRule).join('; ')})`;
  if ('not' in rule) return `not (${describeRule(rule.not)})`;
  if ('attribute' in rule) return rule.op === 'exists' ? `${rule.attribute} ${rule.value === false ? 'does not exist' : 'exists'}` : `${rule.attribute} ${rule.op} ${show(rule.value)}`;
  if ('event' in rule) {
    const where = rule.where ? ` where ${JSON.stringify(rule.where)}` : '';
    const times = rule.count ? ` count ${rule.count.op} ${rule.count.value}` : '';
    return `${rule.event}${where}${times}${rule.within ? ` within ${rule.within.text}` : ''}`;
  }
  if ('metric' in rule) return `${rule.metric} ${rule.op} ${rule.value}${rule.currency ? ` ${rule.currency}` : ''}${rule.within ? ` within ${rule.within.text}` : ''}`;
  if ('bought' in rule) {
    const what = [rule.bought.productId && `product ${show(rule.bought.productId)}`, rule.bought.category && `category ${show(rule.bought.category)}`].filter(Boolean).join(' in ');
    return `bought ${what}${rule.within ? ` within ${rule.within.text}` : ''}`;
  }
  if ('rfm' in rule) return `rfm in ${rule.rfm.join(', ')}`;
  return `segment ${rule.segment}`;
}

/**
 * A parsed rule back in the language as written (`within` as its text): what is stored for a
 * saved segment, so it reads as the marketer wrote it.
 */
export function ruleToJson(rule: Rule): unknown {
  return JSON.parse(JSON.stringify(rule, (key, value: unknown) => (key === 'within' && value && typeof value === 'object' ? (value as { text: string }).text : value)));
}

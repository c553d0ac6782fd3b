// Money is exact: PostgreSQL numeric(19,4) read as Prisma Decimal, written as decimal strings,
// and always next to its ISO 4217 currency. No float ever holds an amount.
import { z } from 'zod';
import { Prisma } from './generated/prisma/client';

export const Decimal = Prisma.Decimal;
export type Decimal = Prisma.Decimal;

/** An amount as the API shows it: a decimal string (exact in JSON) and its currency. */
export interface Money {
  amount: string;
  currency: string;
}

export const currencySchema = z.string().regex(/^[A-Z]{3}$/, 'expected an ISO 4217 currency code such as KRW or USD');

/**
 * An amount in a request: a JSON number (as written: 0.1 is read as "0.1") or a decimal
 * string, non-negative, at most 15 digits before the point and 4 after (numeric(19,4)).
 */
export const amountSchema = z.union([z.number(), z.string()]).transform((value, ctx) => {
  const text = typeof value === 'number' ? String(value) : value.trim();
  if (!/^\d{1,15}(\.\d{1,4})?$/.test(text)) {
    ctx.addIssue({ code: 'custom', message: `expected a non-negative amount with at most 4 decimals, such as 25000 or 19.99, got ${JSON.stringify(value)}` });
    return z.NEVER;
  }
  return new Decimal(text).toFixed();
});

export function money(amount: Decimal | string | number, currency: string): Money {
  return { amount: new Decimal(amount).toFixed(), currency };
}

/** Sums amounts per currency (never across currencies), exactly. Ordered by currency. */
export function sumByCurrency(amounts: { amount: Decimal | string; currency: string }[]): Money[] {
  const totals = new Map<string, Decimal>();
  for (const { amount, currency } of amounts) totals.set(currency, (totals.get(currency) ?? new Decimal(0)).plus(amount));
  return [...totals.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([currency, total]) => money(total, currency));
}

/** ROAS = attributed revenue / cost: a ratio (4 decimals) and a percentage (rounded half up); null without cost. */
export function roasOf(revenue: Decimal | string | number, cost: Decimal | string | number): { roas: string | null; roasPercent: number | null } {
  const spent = new Decimal(cost);
  if (spent.isZero()) return { roas: null, roasPercent: null };
  const roas = new Decimal(revenue).dividedBy(spent);
  return { roas: roas.toDecimalPlaces(4).toFixed(), roasPercent: roas.times(100).toDecimalPlaces(0, Decimal.ROUND_HALF_UP).toNumber() };
}

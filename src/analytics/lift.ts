// Lift of a treatment over a held-out control (DESIGN.md "Holdouts"), for campaigns and
// journeys alike: conversion rates, absolute and relative lift with a 95% confidence interval
// (normal approximation to the difference of two proportions), incremental conversions,
// revenue and ROAS.
import { probit } from 'simple-statistics';
import { Decimal, money, type Money } from '../money';

export interface Lift {
  treatment: GroupResult;
  control: GroupResult;
  /** Conversion rate, treatment minus control, and that over the control's. */
  absoluteLift: number | null;
  relativeLift: number | null;
  /** 95% confidence interval of the absolute lift (normal approximation). */
  confidenceInterval: [number, number] | null;
  significant: boolean;
  incrementalConversions: number | null;
  incrementalRevenue: Money | null;
  incrementalRoas: string | null;
}

export interface GroupResult {
  customers: number;
  converted: number;
  conversionRate: number | null;
  revenuePerCustomer: Money;
}

/** One group as measured: customers, those with an order in the window, and their revenue in all (a decimal string). */
export interface GroupRow {
  holdout: boolean;
  customers: number;
  converted: number;
  revenue: string;
}

const rate = (converted: number, customers: number) => (customers ? converted / customers : null);

/** Treatment (holdout false) against control (holdout true); null without a treatment. */
export function liftFromGroups(rows: GroupRow[], cost: Decimal, currency: string): Lift | null {
  /** A group's result, and its revenue in all. */
  const group = (holdout: boolean): [GroupResult, Decimal] => {
    const row = rows.find((r) => r.holdout === holdout);
    const customers = row?.customers ?? 0;
    const revenue = new Decimal(row?.revenue ?? 0);
    const result = {
      customers,
      converted: row?.converted ?? 0,
      conversionRate: rate(row?.converted ?? 0, customers),
      revenuePerCustomer: money(customers ? revenue.dividedBy(customers).toDecimalPlaces(4) : 0, currency),
    };
    return [result, revenue];
  };
  const [treatment, treatmentRevenue] = group(false);
  const [control] = group(true);
  if (!treatment.customers) return null;
  if (!control.customers || treatment.conversionRate === null || control.conversionRate === null) {
    return { treatment, control, absoluteLift: null, relativeLift: null, confidenceInterval: null, significant: false, incrementalConversions: null, incrementalRevenue: null, incrementalRoas: null };
  }
  const pT = treatment.conversionRate;
  const pC = control.conversionRate;
  const absoluteLift = pT - pC;
  const z = probit(0.975);
  const se = Math.sqrt((pT * (1 - pT)) / treatment.customers + (pC * (1 - pC)) / control.customers);
  const confidenceInterval: [number, number] = [absoluteLift - z * se, absoluteLift + z * se];
  // Incremental revenue: treatment's revenue less what it would have made at the control's rate per customer.
  const incrementalRevenue = treatmentRevenue.minus(new Decimal(control.revenuePerCustomer.amount).times(treatment.customers));
  return {
    treatment,
    control,
    absoluteLift,
    relativeLift: pC > 0 ? absoluteLift / pC : null,
    confidenceInterval,
    significant: confidenceInterval[0] > 0 || confidenceInterval[1] < 0,
    incrementalConversions: Math.round(absoluteLift * treatment.customers),
    incrementalRevenue: money(incrementalRevenue.toDecimalPlaces(4), currency),
    incrementalRoas: cost.isZero() ? null : incrementalRevenue.dividedBy(cost).toDecimalPlaces(4).toFixed(),
  };
}

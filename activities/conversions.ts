import type { ActivityDeps } from '.';

export interface ConversionRequest {
  /** One conversion per journey run: a retried call returns the first. */
  idempotencyKey: string;
  customerId: string;
  journey: string;
  workflowId: string;
  /** An order conversion: its revenue is the stored order's total, in its currency. */
  orderId?: string;
  messageId?: string;
  /**
   * What the journey saw in the event. Not stored: an order conversion's revenue is read from
   * the stored order (one source of truth, exact), and a goal conversion (signup, review) has none.
   */
  revenue?: number | string;
  /** Set for an order conversion (with orderId); absent for a goal conversion. */
  currency?: string;
  occurredAt: string;
}

export function createConversionActivities({ db }: ActivityDeps) {
  return {
    /**
     * Records the conversion once per journey run; an order another run of the same journey
     * already claimed stays theirs (first come), so revenue is never counted twice.
     */
    async recordConversion(request: ConversionRequest): Promise<{ conversionId: string; attributedTo: string }> {
      // A conversion with an order and a currency is an order conversion; one without (a
      // review about an order, a signup) is a goal conversion and carries no revenue.
      const order = request.orderId && request.currency ? await db.order.findUnique({ where: { id: request.orderId } }) : null;
      if (request.orderId && request.currency && !order) throw new Error(`order ${request.orderId} is not stored yet`);
      if (order) {
        const claimed = await db.conversion.findUnique({ where: { journey_orderId: { journey: request.journey, orderId: order.id } } });
        if (claimed) return { conversionId: claimed.id, attributedTo: claimed.workflowId };
      }
      const conversion = await db.conversion.upsert({
        where: { idempotencyKey: request.idempotencyKey },
        create: {
          idempotencyKey: request.idempotencyKey,
          customerId: request.customerId,
          journey: request.journey,
          workflowId: request.workflowId,
          orderId: order?.id ?? null,
          messageId: request.messageId ?? null,
          revenue: order?.total ?? null,
          currency: order?.currency ?? null,
          occurredAt: new Date(request.occurredAt),
        },
        update: {},
      });
      return { conversionId: conversion.id, attributedTo: conversion.workflowId };
    },
  };
}

import type { ActivityDeps } from '.';

export interface ConversionRequest {
  /** One conversion per journey run: a retried call returns the first. */
  idempotencyKey: string;
  customerId: string;
  journey: string;
  workflowId: string;
  orderId?: string;
  messageId?: string;
  revenue: number;
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
      if (request.orderId) {
        const claimed = await db.conversion.findUnique({ where: { journey_orderId: { journey: request.journey, orderId: request.orderId } } });
        if (claimed) return { conversionId: claimed.id, attributedTo: claimed.workflowId };
      }
      const conversion = await db.conversion.upsert({
        where: { idempotencyKey: request.idempotencyKey },
        create: {
          idempotencyKey: request.idempotencyKey,
          customerId: request.customerId,
          journey: request.journey,
          workflowId: request.workflowId,
          orderId: request.orderId ?? null,
          messageId: request.messageId ?? null,
          revenue: request.revenue,
          currency: request.currency ?? null,
          occurredAt: new Date(request.occurredAt),
        },
        update: {},
      });
      return { conversionId: conversion.id, attributedTo: conversion.workflowId };
    },
  };
}

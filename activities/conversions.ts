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
    async recordConversion(request: ConversionRequest): Promise<{ conversionId: string }> {
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
      return { conversionId: conversion.id };
    },
  };
}

// Conversions, under one attribution model for every journey (and, later, campaigns):
// DESIGN.md "Attribution". An order is credited at most once: to the last message the
// customer clicked within its window, else the last one sent within its window; only a
// message sent before the order counts. Revenue is the stored order's total, in its currency.
import { randomUUID } from 'node:crypto';
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

/** Who an order is credited to, if anyone. */
export interface Attribution {
  conversionId: string;
  messageId: string;
  journey: string;
  workflowId: string;
}

/**
 * The message an order is credited to (last touch, clicks preferred) as one statement where
 * the data is, recorded with ON CONFLICT so concurrent callers (one per journey that saw the
 * order) agree on one row.
 */
const ATTRIBUTE_ORDER_SQL = `
WITH "order" AS (
  SELECT id, "customerId", "occurredAt", total, currency FROM "Order" WHERE id = $1
), touch AS (
  SELECT m.id, m.journey, m."workflowId", o.id AS "orderId", o."customerId", o.total, o.currency, o."occurredAt"
  FROM "order" o
  JOIN "Message" m ON m."customerId" = o."customerId"
  WHERE m.status = 'sent' AND m."sentAt" <= o."occurredAt" AND m."convertsUntil" >= o."occurredAt"
  ORDER BY (m."clickedAt" <= o."occurredAt") IS TRUE DESC,
           CASE WHEN m."clickedAt" <= o."occurredAt" THEN m."clickedAt" END DESC NULLS LAST,
           m."sentAt" DESC, m.id DESC
  LIMIT 1
), credited AS (
  INSERT INTO "Conversion" (id, "idempotencyKey", "customerId", journey, "workflowId", "orderId", "messageId", revenue, currency, "occurredAt")
  SELECT $2, 'order/' || "orderId", "customerId", journey, "workflowId", "orderId", id, total, currency, "occurredAt" FROM touch
  -- No conflict target: a concurrent caller's row collides on orderId or on its idempotencyKey
  -- ('order/<id>'), whichever index is checked first; either way the order is taken.
  ON CONFLICT DO NOTHING
  RETURNING id, "messageId", journey, "workflowId"
)
SELECT id AS "conversionId", "messageId", journey, "workflowId" FROM credited
UNION ALL
SELECT c.id, c."messageId", c.journey, c."workflowId" FROM "Conversion" c WHERE c."orderId" = $1 AND c."messageId" IS NOT NULL
LIMIT 1`;

export function createConversionActivities({ db }: ActivityDeps) {
  /** Credits the order to its last touch (once, whoever asks first); null when no message can claim it. */
  const attributeOrder = async ({ orderId }: { orderId: string }): Promise<Attribution | null> => {
    const stored = await db.order.count({ where: { id: orderId } });
    // The order event reached the journey before its row was committed elsewhere: retried.
    if (!stored) throw new Error(`order ${orderId} is not stored yet`);
    const [credited] = await db.$queryRawUnsafe<Attribution[]>(ATTRIBUTE_ORDER_SQL, orderId, randomUUID());
    if (credited) return credited;
    // A concurrent caller's row committed after this statement's snapshot: read it afresh.
    const existing = await db.conversion.findUnique({ where: { orderId } });
    return existing?.messageId ? { conversionId: existing.id, messageId: existing.messageId, journey: existing.journey, workflowId: existing.workflowId } : null;
  };

  return {
    attributeOrder,

    /**
     * Attributes each of the customer's orders in [after, before] and returns those credited
     * to `messageId`: a journey that checks its window at the end (upsell, win-back) learns
     * whether its message won any of them.
     */
    async attributeOrdersBetween({ customerId, after, before, messageId }: { customerId: string; after: string; before: string; messageId: string }): Promise<(Attribution & { orderId: string })[]> {
      const orders = await db.order.findMany({
        where: { customerId, occurredAt: { gte: new Date(after), lte: new Date(before) } },
        orderBy: { occurredAt: 'asc' },
        select: { id: true },
      });
      const credited = [];
      for (const { id } of orders) {
        const attribution = await attributeOrder({ orderId: id });
        if (attribution?.messageId === messageId) credited.push({ ...attribution, orderId: id });
      }
      return credited;
    },

    /**
     * A goal conversion (signup, review), once per journey run. An order conversion asked for
     * here (journeys started before the one attribution model) goes through `attributeOrder`.
     */
    async recordConversion(request: ConversionRequest): Promise<{ conversionId: string | null; attributedTo: string | null }> {
      if (request.orderId && request.currency) {
        const credited = await attributeOrder({ orderId: request.orderId });
        return { conversionId: credited?.conversionId ?? null, attributedTo: credited?.workflowId ?? null };
      }
      const conversion = await db.conversion.upsert({
        where: { idempotencyKey: request.idempotencyKey },
        create: {
          idempotencyKey: request.idempotencyKey,
          customerId: request.customerId,
          journey: request.journey,
          workflowId: request.workflowId,
          orderId: null,
          messageId: request.messageId ?? null,
          revenue: null,
          currency: null,
          occurredAt: new Date(request.occurredAt),
        },
        update: {},
      });
      return { conversionId: conversion.id, attributedTo: conversion.workflowId };
    },
  };
}

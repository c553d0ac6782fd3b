// Stores events exactly once (by idempotency key), keeps orders in step, then routes
// each new event to its journeys.
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import pLimit from 'p-limit';
import type { JourneyEvent } from '../../../workflows/definitions';
import type { Config } from '../../config';
import type { Db } from '../../db';
import { jsonObject } from '../../db';
import type { Prisma } from '../../generated/prisma/client';
import { routeEvent } from '../../routing/route-event';
import { ApiError } from '../errors';
import type { EventInput } from './schema';

export interface IngestDeps {
  db: Db;
  client: Client;
  config: Config;
}

export interface IngestResult {
  accepted: number;
  duplicates: number;
}

type StoredEvent = { journeyEvent: JourneyEvent; routed: boolean; duplicate: boolean };

export async function ingestEvents(deps: IngestDeps, events: EventInput[]): Promise<IngestResult> {
  // Events of one customer or visitor keep their order; different ones go in parallel.
  const limit = pLimit(deps.config.ingestConcurrency);
  const outcomes = await Promise.allSettled(sameSubjectGroups(events).map((group) => limit(() => ingestInOrder(deps, group))));
  const result: IngestResult = { accepted: 0, duplicates: 0 };
  for (const outcome of outcomes) {
    // Every group has finished; the first failure answers (the rest of the batch is stored and routed).
    if (outcome.status === 'rejected') throw outcome.reason;
    result.accepted += outcome.value.accepted;
    result.duplicates += outcome.value.duplicates;
  }
  return result;
}

/**
 * Splits a batch into groups that must keep their order: events linked by a shared
 * customerId or anonymousId (a signup joins a visitor's events to the customer's).
 */
export function sameSubjectGroups(events: EventInput[]): EventInput[][] {
  const parent = new Map<string, string>();
  const find = (id: string): string => {
    let root = id;
    while (parent.get(root) !== root) root = parent.get(root)!;
    parent.set(id, root);
    return root;
  };
  const ids = (event: EventInput) => [event.customerId && `c:${event.customerId}`, event.anonymousId && `a:${event.anonymousId}`].filter((id): id is string => Boolean(id));
  for (const event of events) {
    const [first, ...rest] = ids(event);
    for (const id of [first, ...rest]) if (!parent.has(id)) parent.set(id, id);
    for (const id of rest) parent.set(find(id), find(first));
  }
  const groups = new Map<string, EventInput[]>();
  for (const event of events) {
    const root = find(ids(event)[0]);
    const group = groups.get(root);
    if (group) group.push(event);
    else groups.set(root, [event]);
  }
  return [...groups.values()];
}

async function ingestInOrder(deps: IngestDeps, events: EventInput[]): Promise<IngestResult> {
  const result: IngestResult = { accepted: 0, duplicates: 0 };
  for (const input of events) {
    const stored = await storeEvent(deps.db, input);
    if (stored.duplicate) result.duplicates += 1;
    else result.accepted += 1;
    // A duplicate whose first delivery failed (Temporal was down) is routed now: journeys
    // ignore an event id they have already seen, so re-delivery is safe.
    if (!stored.routed) {
      try {
        await routeEvent(deps.client, deps.config, stored.journeyEvent);
      } catch (error) {
        throw new ApiError(
          503,
          'journeys_unavailable',
          `event ${stored.journeyEvent.id} is stored but could not reach its journeys (${(error as Error).message}); ` +
            'resend the same event ids to retry delivery',
        );
      }
      await deps.db.event.update({ where: { idempotencyKey: stored.journeyEvent.id }, data: { routedAt: new Date() } });
    }
  }
  return result;
}

async function storeEvent(db: Db, input: EventInput): Promise<StoredEvent> {
  const idempotencyKey = input.id ?? randomUUID();
  const existing = await db.event.findUnique({ where: { idempotencyKey } });
  if (existing) return { journeyEvent: toJourneyEvent(existing), routed: existing.routedAt !== null, duplicate: true };

  const occurredAt = input.occurredAt ? new Date(input.occurredAt) : new Date();
  try {
    const created = await db.$transaction(async (tx) => {
      if (input.customerId) {
        await tx.customer.upsert({ where: { id: input.customerId }, create: { id: input.customerId }, update: {} });
      }
      if (input.type === 'order_completed' && input.customerId) {
        const order = input.properties as unknown as OrderProperties;
        const known = await tx.order.findUnique({ where: { id: order.orderId } });
        if (!known) {
          await tx.order.create({
            data: {
              id: order.orderId,
              customerId: input.customerId,
              total: order.total,
              currency: order.currency,
              coupon: order.coupon ?? null,
              discount: order.discount ?? null,
              occurredAt,
              items: {
                create: order.items.map((item) => ({
                  productId: item.productId,
                  name: item.name,
                  category: item.category,
                  quantity: item.quantity,
                  price: item.price,
                  currency: order.currency,
                })),
              },
            },
          });
        }
      }
      if (input.type === 'signed_up' && input.customerId && input.anonymousId) {
        // The visitor is now a customer: their anonymous history and on-site messages follow them.
        await tx.visitorLink.upsert({
          where: { anonymousId: input.anonymousId },
          create: { anonymousId: input.anonymousId, customerId: input.customerId },
          update: {},
        });
        await tx.event.updateMany({ where: { anonymousId: input.anonymousId, customerId: null }, data: { customerId: input.customerId } });
        await tx.message.updateMany({ where: { visitorId: input.anonymousId, customerId: null }, data: { customerId: input.customerId } });
      }
      // Recency for segments and dormancy: the customer's (or linked visitor's) latest event.
      const seenCustomer =
        input.customerId ?? (input.anonymousId ? (await tx.visitorLink.findUnique({ where: { anonymousId: input.anonymousId } }))?.customerId : undefined);
      if (seenCustomer) {
        await tx.$executeRaw`UPDATE "Customer" SET "lastSeenAt" = GREATEST("lastSeenAt", ${occurredAt}) WHERE id = ${seenCustomer}`;
      }
      return tx.event.create({
        data: {
          idempotencyKey,
          type: input.type,
          customerId: input.customerId,
          anonymousId: input.anonymousId,
          occurredAt,
          properties: input.properties as Prisma.InputJsonObject,
        },
      });
    });
    return { journeyEvent: toJourneyEvent(created), routed: false, duplicate: false };
  } catch (error) {
    // Two requests raced with the same id: the other one stored it.
    if ((error as { code?: string }).code === 'P2002') {
      const winner = await db.event.findUniqueOrThrow({ where: { idempotencyKey } });
      return { journeyEvent: toJourneyEvent(winner), routed: true, duplicate: true };
    }
    throw error;
  }
}

interface OrderProperties {
  orderId: string;
  total: string;
  currency: string;
  coupon?: string;
  discount?: string;
  items: { productId: string; name?: string; category?: string; quantity: number; price: string }[];
}

function toJourneyEvent(row: { idempotencyKey: string; type: string; customerId: string | null; anonymousId: string | null; occurredAt: Date; properties: Prisma.JsonValue }): JourneyEvent {
  return {
    id: row.idempotencyKey,
    type: row.type,
    ...(row.customerId ? { customerId: row.customerId } : {}),
    ...(row.anonymousId ? { anonymousId: row.anonymousId } : {}),
    occurredAt: row.occurredAt.toISOString(),
    properties: jsonObject(row.properties),
  };
}

import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type pg from 'pg';
import { customerIdKey, journeyKey, stateQuery, type JourneyState } from '../../../workflows/definitions';
import type { Config } from '../../config';
import { changeConsents, currentConsents, recordFirstConsents } from '../../consent';
import type { Db } from '../../db';
import { inTransaction, jsonObject } from '../../db';
import type { MessageStatus, Prisma } from '../../generated/prisma/client';
import { money, sumByCurrency } from '../../money';
import { ApiError } from '../errors';
import type { CustomerProfileInput } from './schema';

/** `at`: when the profile and its consents are recorded — now, unless an import (the demo shop) dates them. */
export async function upsertCustomer(db: Db, config: Config, id: string, input: CustomerProfileInput, at: Date = new Date()) {
  const existed = (await db.customer.count({ where: { id } })) > 0;
  const profile = {
    email: input.email,
    phone: input.phone,
    name: input.name,
    locale: input.locale,
    timezone: input.timezone,
    ...(input.attributes ? { attributes: input.attributes as Prisma.InputJsonObject } : {}),
  };
  await db.$transaction(async (tx) => {
    // The upsert holds the customer's row until commit: concurrent consent changes queue up.
    await tx.customer.upsert({ where: { id }, create: { id, ...profile, createdAt: at }, update: profile });
    // With its consent_changed events and their journey deliveries, in this transaction.
    await changeConsents(tx, config, id, input.consents ?? [], 'api', at);
  });
  return { created: !existed, customer: await getCustomer(db, id) };
}

/**
 * Many new profiles at once (an import: the demo shop), as `upsertCustomer` stores one — the
 * customers and their consents with the consents' events and journey deliveries — in one
 * transaction for the lot: all or nothing. Each is dated `at` (its signup). Existing ids are an error.
 */
export async function importCustomers(pool: pg.Pool, config: Config, customers: { id: string; profile: CustomerProfileInput; at: Date }[]): Promise<void> {
  // Through pg, not Prisma's createMany: an import's arrays are large, and Prisma's client
  // spends more CPU building the statement than the database takes to run it.
  await inTransaction(pool, async (client) => {
    await client.query(
      `INSERT INTO "Customer" (id, email, phone, name, locale, timezone, attributes, "createdAt", "updatedAt")
       SELECT *, now() FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::jsonb[], $8::timestamptz[])`,
      [
        customers.map((c) => c.id),
        customers.map((c) => c.profile.email ?? null),
        customers.map((c) => c.profile.phone ?? null),
        customers.map((c) => c.profile.name ?? null),
        customers.map((c) => c.profile.locale ?? null),
        customers.map((c) => c.profile.timezone ?? null),
        customers.map((c) => JSON.stringify(c.profile.attributes ?? {})),
        customers.map((c) => c.at.toISOString()),
      ],
    );
    await recordFirstConsents(client, config, customers.map(({ id, profile, at }) => ({ customerId: id, changes: profile.consents ?? [], at })), 'import');
  });
}

export async function getCustomer(db: Db, id: string) {
  const customer = await db.customer.findUnique({ where: { id } });
  if (!customer) throw new ApiError(404, 'not_found', `no customer with id "${id}"`);
  const [consents, revenue, orders, rfm, recentEvents] = await Promise.all([
    currentConsents(db, id),
    db.order.groupBy({ by: ['currency'], where: { customerId: id }, _sum: { total: true }, orderBy: { currency: 'asc' } }),
    db.order.aggregate({ where: { customerId: id }, _count: true, _max: { occurredAt: true } }),
    db.customerRfm.findUnique({ where: { customerId: id } }),
    // The customer's latest events, with those they made as a visitor before signing up
    // (linked by signed_up: VisitorLink). Each side reads its own index.
    db.$queryRaw<{ type: string; occurredAt: Date; anonymousId: string | null; properties: unknown }[]>`
      SELECT type, "occurredAt", "anonymousId", properties FROM (
        (SELECT type, "occurredAt", "anonymousId", properties FROM "Event" WHERE "customerId" = ${id} ORDER BY "occurredAt" DESC LIMIT 20)
        UNION ALL
        (SELECT e.type, e."occurredAt", e."anonymousId", e.properties FROM "VisitorLink" l JOIN "Event" e ON e."anonymousId" = l."anonymousId" AND e."customerId" IS NULL
         WHERE l."customerId" = ${id} ORDER BY e."occurredAt" DESC LIMIT 20)
      ) recent ORDER BY "occurredAt" DESC LIMIT 20`,
  ]);
  return {
    id: customer.id,
    email: customer.email,
    phone: customer.phone,
    name: customer.name,
    locale: customer.locale,
    timezone: customer.timezone,
    attributes: jsonObject(customer.attributes),
    consents: consents.map((c) => ({
      channel: c.channel,
      purpose: c.purpose,
      nightTime: c.nightTime,
      granted: c.granted,
      grantedAt: c.grantedAt,
      revokedAt: c.revokedAt,
      source: c.source,
    })),
    orders: {
      count: orders._count,
      /** Per currency, exact: [{ amount: "80000", currency: "KRW" }]. */
      revenue: sumByCurrency(revenue.map((r) => ({ amount: r._sum.total ?? '0', currency: r.currency }))),
      lastOrderAt: orders._max.occurredAt,
    },
    /** The latest RFM score (null if never scored, or no order within RFM_LOOKBACK). */
    rfm: rfm && { r: rfm.r, f: rfm.f, m: rfm.m, segment: rfm.segment, previousSegment: rfm.previousSegment, scoredAt: rfm.scoredAt },
    /** The latest 20 events, newest first; `anonymousId` set on those made as a visitor (or sent with one). */
    recentEvents,
    lastSeenAt: customer.lastSeenAt,
    dormantAt: customer.dormantAt,
    createdAt: customer.createdAt,
    updatedAt: customer.updatedAt,
  };
}

async function requireCustomer(db: Db, id: string) {
  if ((await db.customer.count({ where: { id } })) === 0) throw new ApiError(404, 'not_found', `no customer with id "${id}"`);
}

export async function listMessages(db: Db, customerId: string, options: { limit: number; status?: MessageStatus }) {
  await requireCustomer(db, customerId);
  const messages = await db.message.findMany({
    where: { customerId, ...(options.status ? { status: options.status } : {}) },
    orderBy: { createdAt: 'desc' },
    take: options.limit,
  });
  return messages.map((m) => ({
    id: m.id,
    journey: m.journey,
    workflowId: m.workflowId,
    step: m.step,
    channel: m.channel,
    variant: m.variant,
    recipient: m.recipient,
    purpose: m.purpose,
    status: m.status,
    reason: m.reason,
    content: m.content,
    provider: m.provider,
    providerMessageId: m.providerMessageId,
    cost: money(m.cost, m.costCurrency),
    createdAt: m.createdAt,
    heldUntil: m.heldUntil,
    sentAt: m.sentAt,
  }));
}

/** The customer's journeys from Temporal visibility, each with its `state` query answer. */
export async function listJourneys(db: Db, client: Client, customerId: string, limit = 100) {
  await requireCustomer(db, customerId);
  const journeys = [];
  // The id is restricted to [\w.@:+-] by the route's validation, so it cannot break the query.
  for await (const execution of client.workflow.list({ query: `CustomerId = "${customerId}"`, pageSize: limit })) {
    let state: JourneyState | null = null;
    let stateError: string | undefined;
    try {
      state = await client.workflow.getHandle(execution.workflowId, execution.runId).query(stateQuery);
    } catch (error) {
      stateError = (error as Error).message;
    }
    journeys.push({
      workflowId: execution.workflowId,
      runId: execution.runId,
      journey: execution.searchAttributes?.Journey?.[0] ?? null,
      status: execution.status.name,
      startedAt: execution.startTime,
      closedAt: execution.closeTime ?? null,
      state,
      ...(stateError ? { stateError } : {}),
    });
    if (journeys.length >= limit) break;
  }
  return journeys;
}

/** Cancels one of the customer's running journeys and records who asked and why. */
export async function cancelJourney(db: Db, client: Client, customerId: string, workflowId: string, reason?: string) {
  await requireCustomer(db, customerId);
  const handle = client.workflow.getHandle(workflowId);
  let description;
  try {
    description = await handle.describe();
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) throw new ApiError(404, 'not_found', `no journey "${workflowId}"`);
    throw error;
  }
  // Another customer's journey is reported as absent, not as forbidden.
  if (description.typedSearchAttributes.get(customerIdKey) !== customerId) {
    throw new ApiError(404, 'not_found', `customer "${customerId}" has no journey "${workflowId}"`);
  }
  if (description.status.name !== 'RUNNING') {
    throw new ApiError(409, 'conflict', `journey "${workflowId}" is not running (status ${description.status.name})`);
  }
  await handle.cancel();
  const cancellation = await db.journeyCancellation.create({
    data: {
      workflowId,
      runId: description.runId,
      customerId,
      journey: description.typedSearchAttributes.get(journeyKey) ?? null,
      reason: reason ?? null,
    },
  });
  return { workflowId, runId: description.runId, status: 'cancel-requested', reason: cancellation.reason, cancelledAt: cancellation.cancelledAt };
}

// Consent is a history: every grant and revocation is a ConsentChange row (channel, purpose,
// night-time, source, time). The current consent is derived from it by the CurrentConsent
// view (the latest change per channel and purpose; see the baseline migration).
//
// Each recorded change is also an event, `consent_changed`, stored in the same transaction with
// its journey deliveries (the consent re-confirmation journey: src/routing/routes.ts).
import { storeEvents } from './api/events/service';
import type { Channel, Config } from './config';
import { sqlOverPrisma, type DbTx, type SqlClient } from './db';
import type { Prisma } from './generated/prisma/client';

export type ConsentPurpose = 'marketing' | 'informational';
export type ConsentSource = 'api' | 'unsubscribe' | 'import';

export interface CurrentConsent {
  channel: Channel;
  purpose: ConsentPurpose;
  granted: boolean;
  nightTime: boolean;
  source: ConsentSource;
  changedAt: Date;
  /** The latest grant (also while revoked: when it was last given). */
  grantedAt: Date | null;
  /** Set while the consent stands revoked. */
  revokedAt: Date | null;
}

export interface ConsentChangeInput {
  channel: Channel;
  purpose: ConsentPurpose;
  granted: boolean;
  /** Unset: keep the current night-time consent. */
  nightTime?: boolean;
}

const CURRENT_CONSENTS_SQL = `
    SELECT channel::text AS channel, purpose::text AS purpose, granted, "nightTime", source::text AS source,
           "changedAt", "grantedAt", "revokedAt"
    FROM "CurrentConsent" WHERE "customerId" = $1
    ORDER BY channel::text, purpose::text`;

export async function currentConsents(db: DbTx, customerId: string): Promise<CurrentConsent[]> {
  return db.$queryRawUnsafe<CurrentConsent[]>(CURRENT_CONSENTS_SQL, customerId);
}

/** The same, through pg (the guarded send's hot path). */
export async function currentConsentsOn(db: SqlClient, customerId: string): Promise<CurrentConsent[]> {
  return (await db.query<CurrentConsent>(CURRENT_CONSENTS_SQL, [customerId])).rows;
}

/**
 * Records the changes that change something (a repeated grant is not a new grant).
 * Call inside a transaction that holds the customer's row, so two requests for one customer
 * do not both record the same change. Returns how many changes were recorded.
 *
 * Records no event: the API changes consents with `changeConsents`.
 */
export async function recordConsentChanges(
  tx: DbTx,
  customerId: string,
  changes: ConsentChangeInput[],
  source: ConsentSource,
  at: Date = new Date(),
): Promise<number> {
  return (await recordChanges(tx, customerId, changes, source, at)).length;
}

/**
 * Records the changes that change something, as `recordConsentChanges` does, and for each one
 * a `consent_changed` event (`{ channel, purpose, granted, nightTime }`) with its journey
 * deliveries, in the same transaction: a consent change and the journeys it starts or ends are
 * committed together or not at all. The event is not the customer's activity (it does not move
 * the dormancy clock). Call inside a transaction that holds the customer's row.
 */
export async function changeConsents(
  tx: Prisma.TransactionClient,
  config: Config,
  customerId: string,
  changes: ConsentChangeInput[],
  source: ConsentSource,
  at: Date = new Date(),
): Promise<number> {
  const recorded = await recordChanges(tx, customerId, changes, source, at);
  if (recorded.length === 0) return 0;
  const events = recorded.map((change) => ({
    type: 'consent_changed',
    customerId,
    occurredAt: change.at.toISOString(),
    properties: { channel: change.channel, purpose: change.purpose, granted: change.granted, nightTime: change.nightTime },
  }));
  // Stored as of `at`: the time the change is recorded (now, unless an import says otherwise).
  await storeEvents(sqlOverPrisma(tx), config, events, at, { activity: false });
  return recorded.length;
}

/**
 * The first consents of customers just created (an import), as `changeConsents` records them
 * — every entry is a change, each with its `consent_changed` event and journey deliveries — in
 * two statements for the lot instead of a handful per customer.
 */
export async function recordFirstConsents(tx: SqlClient, config: Config, customers: { customerId: string; changes: ConsentChangeInput[]; at: Date }[], source: ConsentSource): Promise<number> {
  const rows = customers.flatMap(({ customerId, changes, at }) => changes.map((change) => ({ customerId, channel: change.channel, purpose: change.purpose, granted: change.granted, nightTime: change.nightTime ?? false, source, at })));
  if (rows.length === 0) return 0;
  await tx.query(
    `INSERT INTO "ConsentChange" ("customerId", channel, purpose, granted, "nightTime", source, at)
     SELECT c, ch::"Channel", p::"MessagePurpose", g, n, $6::"ConsentSource", a
     FROM unnest($1::text[], $2::text[], $3::text[], $4::boolean[], $5::boolean[], $7::timestamptz[]) AS x(c, ch, p, g, n, a)`,
    [rows.map((r) => r.customerId), rows.map((r) => r.channel), rows.map((r) => r.purpose), rows.map((r) => r.granted), rows.map((r) => r.nightTime), source, rows.map((r) => r.at.toISOString())],
  );
  const events = rows.map((row) => ({
    type: 'consent_changed',
    customerId: row.customerId,
    occurredAt: row.at.toISOString(),
    properties: { channel: row.channel, purpose: row.purpose, granted: row.granted, nightTime: row.nightTime },
  }));
  const latest = new Date(Math.max(...rows.map((row) => row.at.getTime())));
  await storeEvents(tx, config, events, latest, { activity: false });
  return rows.length;
}

async function recordChanges(tx: DbTx, customerId: string, changes: ConsentChangeInput[], source: ConsentSource, at: Date) {
  if (changes.length === 0) return [];
  const current = await currentConsents(tx, customerId);
  const rows = [];
  for (const change of changes) {
    const now = current.find((c) => c.channel === change.channel && c.purpose === change.purpose);
    const nightTime = change.nightTime ?? now?.nightTime ?? false;
    if (now && now.granted === change.granted && now.nightTime === nightTime) continue;
    rows.push({ customerId, channel: change.channel, purpose: change.purpose, granted: change.granted, nightTime, source, at });
  }
  if (rows.length) await tx.consentChange.createMany({ data: rows });
  return rows;
}

// The guarded send: every journey's message goes through here. Consent per channel and
// purpose, channel fallback, frequency cap, quiet hours (the journey holds with a workflow
// timer), the Korean advertising format, delivery, and a recorded outcome — exactly once per
// idempotency key however often the activity is retried.
import { createHash } from 'node:crypto';
import { activityInfo, Context } from '@temporalio/activity';
import ms from 'ms';
import type { ActivityDeps } from '.';
import { PermanentProviderError, providerFor } from '../src/channels/provider';
import { log } from '../src/log';
import { messageOutcomes, providerLatency } from '../src/metrics';
import type { Channel } from '../src/config';
import { currentConsentsOn, type CurrentConsent } from '../src/consent';
import { inTransaction, jsonObject, sqlRows, type SqlClient } from '../src/db';
import { Prisma, type Customer, type Message } from '../src/generated/prisma/client';
import { formatAdvertising, quietHoursHold, variantFor, type HoursWindow } from '../src/messaging/rules';
import { isLegalNotice, renderContent, renderTemplate, TemplateError, type InlineContent } from '../src/messaging/templates';
import { unsubscribeToken, unsubscribeUrl } from '../src/messaging/unsubscribe';

export type MessagePurpose = 'marketing' | 'informational';
export type MessageStatus = 'pending' | 'sent' | 'held' | 'suppressed' | 'failed' | 'cancelled' | 'holdout';

/** Which journey step a message belongs to and whom it is for. */
export interface MessageAddress {
  /** `<workflowId>/<firstRunId>/<step>`: a retry finds the first attempt's message. */
  idempotencyKey: string;
  /** The customer to message; or, for on-site messages only, an anonymous `visitorId`. */
  customerId?: string;
  visitorId?: string;
  journey: string;
  workflowId: string;
  step: string;
  purpose: MessagePurpose;
}

export interface SendRequest extends MessageAddress {
  /** A registered template; or, with `content`, the name the message is recorded under. */
  template: string;
  /** The text itself (a campaign's), rendered instead of the registered template. */
  content?: InlineContent;
  /** In order of preference: the first one the customer can be reached on is used. */
  channels: Channel[];
  data: Record<string, unknown>;
  /** On-site messages: how long the banner or popup may still be shown. */
  expiresInMs?: number;
  /** How long after it is sent an order can be attributed to it (DESIGN.md "Attribution"); unset: it converts no orders. */
  conversionWindowMs?: number;
}

export interface SkipRequest extends MessageAddress {
  reason: string;
}

/** One channel tried for a message, as kept in `Message.attempts`. */
export interface ChannelAttempt {
  channel: Channel;
  /** The key the provider was given: `<message key>/<channel>`, so a fallback is never taken for a repeat. */
  providerKey: string;
  outcome: 'sent' | 'refused' | 'failed';
  reason: string | null;
  at: string;
}

/** The key a provider gets for one channel of a message: each fallback channel has its own. */
export const providerKeyFor = (idempotencyKey: string, channel: Channel) => `${idempotencyKey}/${channel}`;

export interface SendOutcome {
  messageId: string;
  status: MessageStatus;
  channel: Channel | null;
  reason: string | null;
  /** Set when `held`: the journey waits until then (a workflow timer) and sends again. */
  heldUntil?: string | null;
  /** Set when `sent`: only what happens after this converts. */
  sentAt?: string | null;
}

/** The messaging rules' settings (from src/config.ts `messaging`, plus where opt-out links point). */
export interface MessagingSettings {
  senderName: string;
  defaultTimezone: string;
  quietHours: HoursWindow;
  /** Replaces `quietHours` for these channels. */
  quietHoursByChannel: Partial<Record<Channel, HoursWindow>>;
  friendTalkQuietHours: HoursWindow;
  frequencyCap: { count: number; windowMs: number };
  /** Cost per message by variant or channel, as decimal strings, in `costCurrency`. */
  costs: Record<string, string>;
  costCurrency: string;
  unsubscribeSecret: string;
  publicUrl: string;
  /** The shop's base URL for links in messages (SHOP_URL); links go through the signed `/r/:token`. */
  shopUrl?: string;
  /** Journey → percent of customers held out of its marketing messages (`<JOURNEY>_HOLDOUT`). */
  holdouts?: Record<string, number>;
}

/**
 * Whether a customer (or visitor) is in a journey's control group: a stable hash of journey and
 * person, the same first 32 bits of md5 that campaigns use in SQL, below the percent.
 */
export function heldOut(journey: string, who: string, percent: number): boolean {
  return createHash('md5').update(`${journey}:${who}`).digest().readUInt32BE(0) % 100 < percent;
}

export type CustomerWithConsents = Customer & { consents: Pick<CurrentConsent, 'channel' | 'purpose' | 'granted' | 'nightTime'>[] };

interface Candidate {
  channel: Channel;
  recipient: string;
  nightTime: boolean;
}

/** The customer's address on a channel, or why there is none. */
export function recipientOn(customer: CustomerWithConsents, channel: Channel): { recipient?: string; missing?: string } {
  switch (channel) {
    case 'email':
      return customer.email ? { recipient: customer.email } : { missing: 'no email address' };
    case 'sms':
    case 'kakao':
      return customer.phone ? { recipient: customer.phone } : { missing: 'no phone number' };
    case 'push': {
      const token = jsonObject(customer.attributes).pushToken;
      return typeof token === 'string' && token ? { recipient: token } : { missing: 'no push token' };
    }
    case 'onsite':
      return { recipient: customer.id };
  }
}

/** Every channel, in order, the customer can get this message on; and why not on the others. */
export function eligibleChannels(
  customer: CustomerWithConsents,
  channels: Channel[],
  purpose: MessagePurpose,
  { legalNotice = false }: { legalNotice?: boolean } = {},
): { candidates: Candidate[]; reasons: string[] } {
  const candidates: Candidate[] = [];
  const reasons: string[] = [];
  for (const channel of channels) {
    let consent = customer.consents.find((c) => c.channel === channel && c.purpose === purpose);
    // A notice the law requires (dormancy, consent re-confirmation) is informational, yet it must
    // reach a customer who agreed only to marketing on the channel: that consent covers it too.
    if (legalNotice && !consent?.granted) consent = customer.consents.find((c) => c.channel === channel && c.granted) ?? consent;
    if (!consent?.granted) {
      reasons.push(`${channel}: no ${purpose} consent`);
      continue;
    }
    const { recipient, missing } = recipientOn(customer, channel);
    if (!recipient) {
      reasons.push(`${channel}: ${missing}`);
      continue;
    }
    // FriendTalk (marketing on KakaoTalk) reaches only customers who added the channel as a friend.
    if (channel === 'kakao' && purpose === 'marketing' && jsonObject(customer.attributes).kakaoFriend !== true) {
      reasons.push('kakao: not a friend of the KakaoTalk channel (FriendTalk)');
      continue;
    }
    candidates.push({ channel, recipient, nightTime: consent.nightTime });
  }
  return { candidates, reasons };
}

const FINAL: readonly string[] = ['sent', 'suppressed', 'failed', 'cancelled', 'holdout'];

/** What the send reads of a message: its outcome, what to deliver, and the channels tried. */
type MessageRow = Pick<Message, 'id' | 'idempotencyKey' | 'status' | 'channel' | 'purpose' | 'template' | 'variant' | 'recipient' | 'content' | 'reason' | 'attempts' | 'heldUntil' | 'sentAt'>;

// Performance: with the client engine (engineType "client"), Prisma compiles every model query
// (findUnique, count, upsert, update…) in WebAssembly on each call: 1–2.5 ms of this process's
// CPU apiece, where a raw query costs about 0.3 ms. A send made about ten model queries, so with
// 8 sends in flight the event loop, not PostgreSQL (about 1 ms of execution per send), was the
// bottleneck (~64 messages/s on 2 cores). The send's hot path therefore reads and writes its
// message in SQL: the same statements Prisma would run, with the same values (a new row's id
// is a UUID from PostgreSQL rather than a cuid: nothing reads meaning into it), through pg
// (`sqlRows`): even a raw query costs Prisma's client about 230 µs of CPU against pg's 70, and
// its interactive transaction (the cap) about 800 µs against 190. Rarely taken lookups (cancel,
// record a failure or a skip) still use the model API.

/** The columns of a MessageRow (enums as text, as the generated client reads them). */
const MESSAGE_ROW = Prisma.sql`id, "idempotencyKey", status::text AS status, channel::text AS channel, purpose::text AS purpose, template, variant, recipient, content, reason, attempts, "heldUntil", "sentAt"`;

/** A value for a Message column in SQL, cast as Prisma would write it. */
function columnValue(column: string, value: unknown): Prisma.Sql {
  if (value === null) return Prisma.sql`NULL`;
  if (value instanceof Date) return Prisma.sql`${value.toISOString()}::timestamptz`;
  switch (column) {
    case 'status':
      return Prisma.sql`${value}::"MessageStatus"`;
    case 'channel':
      return Prisma.sql`${value}::"Channel"`;
    case 'purpose':
      return Prisma.sql`${value}::"MessagePurpose"`;
    case 'attempts':
      return Prisma.sql`${JSON.stringify(value)}::jsonb`;
    case 'cost':
      return Prisma.sql`${value}::numeric`; // a decimal string (CHANNEL_COSTS)
    default:
      return Prisma.sql`${value}`;
  }
}

/** The fields that are set (Prisma leaves undefined ones alone), as column = value. */
const assignmentsOf = (fields: Record<string, unknown>) =>
  Object.entries(fields)
    .filter(([, value]) => value !== undefined)
    .map(([column, value]) => Prisma.sql`${Prisma.raw(`"${column}"`)} = ${columnValue(column, value)}`);

/**
 * `message.update({ where: { id }, data: fields })` in one raw statement (`updatedAt` set as
 * `@updatedAt` does). Answers the row, or null when there is none.
 */
async function updateMessageRow(db: SqlClient, id: string, fields: Record<string, unknown>): Promise<MessageRow | null> {
  const [row] = await sqlRows<MessageRow>(db, Prisma.sql`
    UPDATE "Message" SET ${Prisma.join([...assignmentsOf(fields), Prisma.sql`"updatedAt" = ${new Date().toISOString()}::timestamptz`])}
    WHERE id = ${id} RETURNING ${MESSAGE_ROW}`);
  return row ?? null;
}

/**
 * `message.upsert({ where: { idempotencyKey }, create, update })` in one raw statement, as
 * Prisma runs it (INSERT … ON CONFLICT DO UPDATE): a new row gets an id and `createdAt` /
 * `updatedAt` of `now` (the activities' clock: analytics date unsent records by `createdAt`);
 * an existing one gets `update` and `updatedAt`.
 */
async function upsertMessageRow(db: SqlClient, create: Record<string, unknown> & { idempotencyKey: string }, update: Record<string, unknown>, now: Date): Promise<MessageRow> {
  const row = Object.entries({ ...create, createdAt: now, updatedAt: now }).filter(([, value]) => value !== undefined);
  const [saved] = await sqlRows<MessageRow>(db, Prisma.sql`
    INSERT INTO "Message" (id, ${Prisma.join(row.map(([column]) => Prisma.raw(`"${column}"`)))})
    VALUES (gen_random_uuid()::text, ${Prisma.join(row.map(([column, value]) => columnValue(column, value)))})
    ON CONFLICT ("idempotencyKey") DO UPDATE SET ${Prisma.join([...assignmentsOf(update), Prisma.sql`"updatedAt" = ${now.toISOString()}::timestamptz`])}
    RETURNING ${MESSAGE_ROW}`);
  return saved;
}

/** A provider call, in the provider latency histogram. */
async function timed<T>(channel: string, provider: string, call: () => Promise<T>): Promise<T> {
  const end = providerLatency.startTimer({ channel, provider });
  try {
    const result = await call();
    end({ result: 'ok' });
    return result;
  } catch (error) {
    end({ result: 'error' });
    throw error;
  }
}

/** Through the activity's logger when in one (its lines carry workflow, activity and request ids), else the process's. */
function logInActivity(message: string, attributes: Record<string, unknown>): void {
  let context: Context | undefined;
  try {
    context = Context.current();
  } catch {
    context = undefined;
  }
  if (context) context.log.info(message, attributes);
  else log.info(attributes, message);
}

export function createMessageActivities({ db, pool, providers, messaging, clock = () => new Date() }: ActivityDeps) {
  const outcomeOf = (message: MessageRow): SendOutcome => {
    const outcome: SendOutcome = {
      messageId: message.id,
      status: message.status,
      channel: message.channel ?? null,
      reason: message.reason,
      heldUntil: message.heldUntil?.toISOString() ?? null,
      sentAt: message.sentAt?.toISOString() ?? null,
    };
    messageOutcomes.inc({ channel: outcome.channel ?? 'none', status: outcome.status });
    // Ids and outcome only: the reason may quote a recipient's address, the content is the customer's.
    logInActivity(`message ${outcome.status}`, { messageId: outcome.messageId, channel: outcome.channel, status: outcome.status, template: message.template });
    return outcome;
  };

  const addressFields = (request: MessageAddress) => ({
    idempotencyKey: request.idempotencyKey,
    customerId: request.customerId ?? null,
    visitorId: request.visitorId ?? null,
    journey: request.journey,
    workflowId: request.workflowId,
    step: request.step,
    purpose: request.purpose,
  });

  type MessageFields = Partial<Omit<Message, 'id' | 'idempotencyKey' | 'cost' | 'attempts'>> & { status: MessageStatus; cost?: string; attempts?: Prisma.InputJsonArray };
  /** Writes the message for this key with these fields (creating it on first use). */
  const save = async (request: MessageAddress, fields: MessageFields, on: SqlClient = pool) =>
    upsertMessageRow(on, { ...addressFields(request), content: '', costCurrency: messaging.costCurrency, ...fields }, fields, clock());

  /**
   * The frequency cap, race-free across activities and processes: under a lock on the
   * customer's row, count the marketing messages sent in the window plus those pending or
   * held (about to be sent), and either record this one as suppressed or reserve it as
   * pending — which every later check then counts.
   */
  const checkCapAndReserve = async (request: MessageAddress, customerId: string, now: Date): Promise<SendOutcome | null> => {
    const { count, windowMs } = messaging.frequencyCap;
    const since = new Date(now.getTime() - windowMs).toISOString();
    const capped = await inTransaction(pool, async (tx) => {
      await tx.query(`SELECT 1 FROM "Customer" WHERE id = $1 FOR UPDATE`, [customerId]);
      // Its own statement after the lock (READ COMMITTED: a fresh snapshot), so it sees what
      // the send that held the lock before committed.
      const [{ recent }] = await sqlRows<{ recent: number }>(
        tx,
        Prisma.sql`
        SELECT count(*)::int AS recent FROM "Message"
        WHERE "customerId" = ${customerId} AND purpose = 'marketing' AND "idempotencyKey" <> ${request.idempotencyKey}
          AND ((status = 'sent' AND "sentAt" >= ${since}::timestamptz) OR (status IN ('pending', 'held') AND "createdAt" >= ${since}::timestamptz))`,
      );
      if (recent >= count) {
        return save(request, { status: 'suppressed', reason: `frequency cap: ${recent} marketing messages in the last ${ms(windowMs, { long: true })} (cap ${count})` }, tx);
      }
      await save(request, { status: 'pending', reason: null }, tx);
      return null;
    });
    return capped ? outcomeOf(capped) : null;
  };

  const record = async (request: MessageAddress, status: MessageStatus, reason: string) => outcomeOf(await save(request, { status, reason }));

  const attemptsOf = (message: MessageRow) => (Array.isArray(message.attempts) ? (message.attempts as unknown as ChannelAttempt[]) : []);
  const withAttempt = (message: MessageRow, attempt: Omit<ChannelAttempt, 'channel' | 'providerKey' | 'at'>) => {
    const channel = message.channel as Channel;
    const tried: ChannelAttempt = { channel, providerKey: providerKeyFor(message.idempotencyKey, channel), at: clock().toISOString(), ...attempt };
    return [...attemptsOf(message), tried] as unknown as Prisma.InputJsonArray;
  };

  /**
   * Hands a pending message to its channel's provider, under the channel's own key. A
   * permanent refusal is returned (and kept in `attempts`), not thrown.
   */
  const deliver = async (message: MessageRow, fellBackFrom: string[], conversionWindowMs?: number): Promise<SendOutcome | { refused: string; attempts: Prisma.InputJsonArray }> => {
    const channel = message.channel as Channel;
    const provider = providerFor(providers, channel);
    try {
      const receipt = await timed(channel, provider.name, () => provider.send({
        idempotencyKey: providerKeyFor(message.idempotencyKey, channel),
        channel,
        purpose: message.purpose,
        template: message.template,
        variant: message.variant,
        recipient: message.recipient ?? '',
        content: message.content,
      }));
      const sentAt = clock();
      const sent = await updateMessageRow(
        pool,
        message.id,
        {
          status: 'sent',
          reason: fellBackFrom.length ? `fell back: ${fellBackFrom.join('; ')}` : null,
          provider: receipt.provider,
          providerMessageId: receipt.providerMessageId,
          sentAt,
          convertsUntil: conversionWindowMs ? new Date(sentAt.getTime() + conversionWindowMs) : null,
          attempts: withAttempt(message, { outcome: 'sent', reason: null }),
          cost: messaging.costs[message.variant ?? channel] ?? messaging.costs[channel] ?? '0',
          costCurrency: messaging.costCurrency,
        },
      );
      // As `message.update` would: the row was written before the provider was called.
      if (!sent) throw new Error(`message ${message.id} (${message.idempotencyKey}) is not stored`);
      return outcomeOf(sent);
    } catch (error) {
      const reason = `${channel}: ${provider.name} refused: ${(error as Error).message}`;
      if (error instanceof PermanentProviderError) return { refused: reason, attempts: withAttempt(message, { outcome: 'refused', reason }) };
      const info = activityInfo();
      const lastAttempt = info.retryPolicy?.maximumAttempts !== undefined && info.attempt >= info.retryPolicy.maximumAttempts;
      if (lastAttempt) {
        return outcomeOf(await db.message.update({ where: { id: message.id }, data: { status: 'failed', reason, attempts: withAttempt(message, { outcome: 'failed', reason }) } }));
      }
      throw error;
    }
  };

  return {
    /**
     * The journey ended while its message was held (its exit event came during quiet hours):
     * the message becomes `cancelled` with the reason and is never sent. A message no longer
     * held (already sent, or final) is returned as it is.
     */
    async cancelHeldMessage({ idempotencyKey, reason }: { idempotencyKey: string; reason: string }): Promise<SendOutcome> {
      await db.message.updateMany({ where: { idempotencyKey, status: 'held' }, data: { status: 'cancelled', reason, heldUntil: null } });
      return outcomeOf(await db.message.findUniqueOrThrow({ where: { idempotencyKey } }));
    },

    /**
     * A send that failed for good (attempts exhausted, database unreachable, timed out): the
     * kit records it here as `failed` with the reason, so the message never stays `pending`
     * (nor holds a frequency-cap reservation) and the journey ends with an outcome.
     */
    async recordFailedMessage(request: SkipRequest): Promise<SendOutcome> {
      const existing = await db.message.findUnique({ where: { idempotencyKey: request.idempotencyKey } });
      if (existing && FINAL.includes(existing.status)) return outcomeOf(existing);
      // A message that failed while held is no longer waiting for anything.
      return outcomeOf(await save(request, { status: 'failed', reason: request.reason, heldUntil: null }));
    },

    /** Records that a journey step sends nothing, and why. */
    async recordSkippedMessage(request: SkipRequest): Promise<SendOutcome> {
      const existing = await db.message.findUnique({ where: { idempotencyKey: request.idempotencyKey } });
      if (existing) return outcomeOf(existing);
      return record(request, 'suppressed', request.reason);
    },

    async sendMessage(request: SendRequest): Promise<SendOutcome> {
      const now = clock();
      const [existing = null] = await sqlRows<MessageRow>(pool, Prisma.sql`SELECT ${MESSAGE_ROW} FROM "Message" WHERE "idempotencyKey" = ${request.idempotencyKey}`);
      if (existing && FINAL.includes(existing.status)) return outcomeOf(existing);
      if (existing?.status === 'held' && existing.heldUntil && existing.heldUntil > now) return outcomeOf(existing);
      // A crash after the provider call: resume the same message (same channel, same content,
      // same provider key). If that channel now refuses for good, the channels after it in the
      // journey's list are still tried below, as they would have been without the crash.
      let resumed: { after: Channel; refusals: string[]; attempts: Prisma.InputJsonArray } | null = null;
      if (existing?.status === 'pending' && existing.channel) {
        const refusedBefore = [...new Set(attemptsOf(existing).flatMap((a) => (a.outcome === 'refused' && a.reason ? [a.reason] : [])))];
        const result = await deliver(existing, refusedBefore, request.conversionWindowMs);
        if (!('refused' in result)) return result;
        resumed = { after: existing.channel, refusals: [...refusedBefore, result.refused], attempts: result.attempts };
      }

      // A new message, or a held one whose time has come: decide (again) who gets what, where.
      let found: Customer | null = null;
      if (request.customerId) {
        // Every column, as `customer.findUnique` reads them (the table's columns are the model's fields).
        [found = null] = await sqlRows<Customer>(pool, Prisma.sql`SELECT * FROM "Customer" WHERE id = ${request.customerId}`);
        // Recorded without the customer (a message row must name a stored one), the id in the reason.
        if (!found) return record({ ...request, customerId: undefined }, 'suppressed', `unknown customer: ${request.customerId}`);
      }
      // A journey's control group (`<JOURNEY>_HOLDOUT`) gets a record instead of its marketing
      // message, with the window its conversions would have had: lift compares the two groups.
      const held = request.purpose === 'marketing' && !request.content ? (messaging.holdouts?.[request.journey] ?? 0) : 0;
      const who = request.customerId ?? request.visitorId;
      if (!resumed && held > 0 && who && heldOut(request.journey, who, held)) {
        const convertsUntil = request.conversionWindowMs ? new Date(now.getTime() + request.conversionWindowMs) : null;
        return outcomeOf(await save(request, { status: 'holdout', reason: `held out: the control group (${held}% of ${request.journey})`, convertsUntil }));
      }

      let customer: CustomerWithConsents | null = null;
      let candidates: Candidate[];
      if (found) {
        customer = { ...found, consents: await currentConsentsOn(pool, found.id) };
        const legalNotice = request.purpose === 'informational' && !request.content && isLegalNotice(request.template);
        const eligible = eligibleChannels(customer, request.channels, request.purpose, { legalNotice });
        if (resumed) {
          const after = request.channels.indexOf(resumed.after);
          candidates = eligible.candidates.filter((c) => request.channels.indexOf(c.channel) > after);
        } else {
          if (eligible.candidates.length === 0) return record(request, 'suppressed', eligible.reasons.join('; '));
          candidates = eligible.candidates;
        }
      } else if (resumed) {
        candidates = []; // on-site is the only channel a visitor has
      } else if (request.visitorId && request.channels.includes('onsite')) {
        // An anonymous visitor has no profile, so no consents: only on-site messages, shown on
        // our own pages while they browse, can reach them.
        candidates = [{ channel: 'onsite', recipient: request.visitorId, nightTime: false }];
      } else {
        return record(request, 'suppressed', request.visitorId ? 'anonymous visitors can only get on-site messages' : 'no customer or visitor to message');
      }

      const marketing = request.purpose === 'marketing';
      // A resumed message already holds its place under the cap.
      if (marketing && customer && !resumed) {
        const capped = await checkCapAndReserve(request, customer.id, now);
        if (capped) return capped;
      }

      const variables = {
        customer: { id: customer?.id ?? null, name: customer?.name ?? null, email: customer?.email ?? null, locale: customer?.locale ?? null },
        ...request.data,
        ...(messaging.shopUrl ? { shopUrl: messaging.shopUrl } : {}),
        // Links are signed with the message's key: a click (/r/:token) is recorded against it.
        tracking: { secret: messaging.unsubscribeSecret, publicUrl: messaging.publicUrl, messageKey: request.idempotencyKey },
      };

      const refusals: string[] = resumed ? resumed.refusals : [];
      // Each channel tried, kept on the message row (a fallback's row shows the refusals before it).
      let attempts: Prisma.InputJsonArray = resumed ? resumed.attempts : existing ? (existing.attempts as Prisma.InputJsonArray) : [];
      for (const candidate of candidates) {
        let body: string;
        try {
          body = request.content
            ? await renderContent(request.content, request.template, customer?.locale, variables, candidate.channel)
            : await renderTemplate(request.template, customer?.locale, variables, candidate.channel);
        } catch (error) {
          // Retrying cannot fix a template the journey's data does not fit: record it.
          // Channels refused before this one stay in `attempts`.
          if (error instanceof TemplateError) return outcomeOf(await save(request, { status: 'failed', reason: error.message, attempts }));
          throw error;
        }
        // On-site banners are shown on our own pages, not transmitted: no advertising format.
        const advertised = marketing && customer !== null && candidate.channel !== 'onsite';
        const content = advertised
          ? formatAdvertising(body, {
              senderName: messaging.senderName,
              optOutUrl: unsubscribeUrl(messaging.publicUrl, unsubscribeToken(messaging.unsubscribeSecret, customer!.id, candidate.channel)),
            })
          : body;
        const variant = variantFor(candidate.channel, request.purpose, content);
        const fields = {
          template: request.template,
          channel: candidate.channel,
          recipient: candidate.recipient,
          content,
          variant,
          expiresAt: request.expiresInMs ? new Date(now.getTime() + request.expiresInMs) : null,
        };
        if (advertised) {
          const heldUntil = quietHoursHold({
            now,
            timezone: customer!.timezone ?? messaging.defaultTimezone,
            variant,
            nightTimeConsent: candidate.nightTime,
            quietHours: messaging.quietHoursByChannel[candidate.channel] ?? messaging.quietHours,
            friendTalkQuietHours: messaging.friendTalkQuietHours,
          });
          if (heldUntil) {
            // The channels refused before it stay in `attempts` while it waits.
            return outcomeOf(await save(request, { ...fields, status: 'held', heldUntil, reason: `quiet hours in ${customer!.timezone ?? messaging.defaultTimezone}`, attempts }));
          }
        }
        // Written before the provider is called: a retry after a crash resumes this message.
        const pending = await save(request, { ...fields, status: 'pending', reason: null, attempts });
        const result = await deliver(pending, refusals, request.conversionWindowMs);
        if (!('refused' in result)) return result;
        refusals.push(result.refused);
        attempts = result.attempts;
      }
      return outcomeOf(await save(request, { status: 'failed', reason: refusals.join('; '), attempts }));
    },
  };
}

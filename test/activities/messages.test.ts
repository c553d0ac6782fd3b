// The guarded send against a real (migrated) PostgreSQL database: every rule of the
// messaging layer, with the clock set by the test.
import { MockActivityEnvironment } from '@temporalio/testing';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createMessageActivities, heldOut, providerKeyFor, type ChannelAttempt, type MessagingSettings, type SendOutcome, type SendRequest, type SkipRequest } from '../../activities/messages';
import { OutboxProvider } from '../../src/channels/outbox';
import { PermanentProviderError, type ChannelProvider, type ChannelProviders, type OutgoingMessage, type ProviderReceipt } from '../../src/channels/provider';
import type { Channel } from '../../src/config';
import { recordConsentChanges } from '../../src/consent';
import { createDb, createPool, type Db } from '../../src/db';
import type { Prisma } from '../../src/generated/prisma/client';
import { verifyUnsubscribeToken } from '../../src/messaging/unsubscribe';
import { useTestDatabase } from '../helpers/use-database';

const database = useTestDatabase('messages');
let db: Db;
beforeAll(() => {
  db = database.db;
});

const settings: MessagingSettings = {
  senderName: 'Seoul Shop',
  defaultTimezone: 'Asia/Seoul',
  quietHours: { start: '21:00', end: '08:00' },
  quietHoursByChannel: { email: { start: '22:00', end: '07:00' } },
  friendTalkQuietHours: { start: '20:00', end: '08:00' },
  frequencyCap: { count: 3, windowMs: 7 * 86_400_000 },
  costs: { sms: '8.4', lms: '25.9', friendtalk: '3.07', alimtalk: '6.5', email: '0.3' },
  costCurrency: 'KRW',
  unsubscribeSecret: 'test-unsubscribe-secret-0123456789',
  publicUrl: 'https://crm.example.com',
};

let clock = new Date('2026-11-23T03:00:00Z'); // 12:00 in Seoul
let n = 0;
let customerId: string;
beforeEach(() => {
  n += 1;
  customerId = `c-msg-${n}`;
  clock = new Date('2026-11-23T03:00:00Z');
});

function activities(providers?: Partial<ChannelProviders>) {
  return createMessageActivities({ db, pool: database.pool, providers: { default: new OutboxProvider(db), ...providers }, messaging: settings, clock: () => clock });
}

async function customer(
  fields: { timezone?: string; attributes?: Prisma.InputJsonObject; phone?: string | null } = {},
  consents: [Channel, 'marketing' | 'informational', boolean?][] = [['kakao', 'marketing'], ['sms', 'marketing'], ['email', 'marketing'], ['email', 'informational']],
) {
  await db.customer.create({
    data: {
      id: customerId,
      name: '민지',
      phone: fields.phone === undefined ? '+821012345678' : fields.phone,
      email: `${customerId}@example.com`,
      timezone: fields.timezone ?? 'Asia/Seoul',
      attributes: fields.attributes ?? { kakaoFriend: true },
      consents: { create: consents.map(([channel, purpose, nightTime]) => ({ channel, purpose, granted: true, nightTime: nightTime ?? false, source: 'api' as const, at: clock })) },
    },
  });
}

const request = (step: string, overrides: Partial<SendRequest> = {}): SendRequest => ({
  idempotencyKey: `wf-${n}/run/${step}`,
  customerId,
  journey: 'cart-reminder',
  workflowId: `cart-reminder:${customerId}`,
  step,
  template: 'cart-reminder',
  purpose: 'marketing',
  channels: ['kakao', 'sms', 'email'],
  data: { cart: { items: [{ productId: 'p-1', name: '린넨 셔츠', quantity: 1 }], value: 25_000 } },
  ...overrides,
});

/** The send activity with these providers, as a function. */
const sender = (providers?: Partial<ChannelProviders>) => {
  const built = activities(providers);
  return (r: SendRequest) => built.sendMessage(r);
};

/** Runs the send as Temporal would, on the given attempt of at most 5. */
const run = (fn: (r: SendRequest) => Promise<SendOutcome>, r: SendRequest, attempt = 1) =>
  new MockActivityEnvironment({ attempt, retryPolicy: { maximumAttempts: 5 } }).run<[SendRequest], SendOutcome, typeof fn>(fn, r);

describe('the guarded send', () => {
  it('formats marketing messages as Korean advertising, with a working opt-out link, and costs them', async () => {
    await customer();
    const outcome = await run(sender(), request('reminder'));
    expect(outcome).toMatchObject({ status: 'sent', channel: 'kakao' });
    const message = await db.message.findUniqueOrThrow({ where: { idempotencyKey: request('reminder').idempotencyKey } });
    expect(message.content.startsWith('(광고) 민지님')).toBe(true);
    expect(message.content).toContain('보낸 곳: Seoul Shop');
    const link = /무료 수신거부: (https:\/\/crm\.example\.com\/unsubscribe\/(\S+))$/.exec(message.content);
    expect(link).not.toBeNull();
    expect(verifyUnsubscribeToken(settings.unsubscribeSecret, link![2])).toEqual({ customerId, channel: 'kakao' });
    expect(message).toMatchObject({ variant: 'friendtalk', sentAt: clock, costCurrency: 'KRW' });
    expect(message.cost.toFixed()).toBe('3.07');
  });

  it('leaves informational messages unformatted and sends them by AlimTalk', async () => {
    await customer({}, [['kakao', 'informational']]);
    const outcome = await run(sender(), request('notice', { purpose: 'informational', template: 'dormancy-notice', data: { dormantOn: '2027-01-01', offer: 'coupon' } }));
    expect(outcome).toMatchObject({ status: 'sent', channel: 'kakao' });
    const message = await db.message.findFirstOrThrow({ where: { customerId } });
    expect(message.content).not.toContain('(광고)');
    expect([message.variant, message.cost.toFixed()]).toEqual(['alimtalk', '6.5']);
  });

  it('sends a legally required notice on a marketing-only channel, but not an ordinary informational message', async () => {
    await customer({}, [['email', 'marketing']]);
    const notice = await run(sender(), request('notice', { purpose: 'informational', channels: ['sms', 'email'], template: 'dormancy-notice', data: { dormantOn: '2027-01-01' } }));
    expect(notice).toMatchObject({ status: 'sent', channel: 'email' });
    const review = await run(sender(), request('review', { purpose: 'informational', channels: ['sms', 'email'], template: 'review-request', data: { orderId: 'o-1' } }));
    expect(review).toMatchObject({ status: 'suppressed', reason: 'sms: no informational consent; email: no informational consent' });
  });

  it('counts SMS length in EUC-KR bytes: long texts go as LMS at the LMS price', async () => {
    await customer({}, [['sms', 'informational']]);
    const short = await run(sender(), request('short', { purpose: 'informational', channels: ['sms'], template: 'review-request', data: { orderId: 'o-1' } }));
    expect(short.status).toBe('sent');
    const long = await run(sender(), request('long', { purpose: 'informational', channels: ['sms'], template: 'dormancy-notice', data: { dormantOn: '2027-01-01', offer: '5,000원 쿠폰' } }));
    expect(long.status).toBe('sent');
    const rows = await db.message.findMany({ where: { customerId }, orderBy: { step: 'asc' } });
    expect(rows.map((m) => [m.step, m.variant, m.cost.toFixed()])).toEqual([
      ['long', 'lms', '25.9'],
      ['short', 'sms', '8.4'],
    ]);
  });

  it('holds a marketing message during quiet hours until 08:00 local, then sends it', async () => {
    await customer();
    clock = new Date('2026-11-23T13:30:00Z'); // 22:30 in Seoul
    const send = sender();
    const held = await run(send, request('reminder'));
    expect(held).toMatchObject({ status: 'held', channel: 'kakao', heldUntil: '2026-11-23T23:00:00.000Z' }); // 08:00 KST
    clock = new Date('2026-11-23T20:00:00Z');
    expect(await run(send, request('reminder'))).toMatchObject({ status: 'held' });
    clock = new Date('2026-11-23T23:00:00Z');
    expect(await run(send, request('reminder'))).toMatchObject({ status: 'sent', channel: 'kakao' });
    const message = await db.message.findUniqueOrThrow({ where: { idempotencyKey: request('reminder').idempotencyKey } });
    expect(message).toMatchObject({ status: 'sent', heldUntil: new Date('2026-11-23T23:00:00Z'), sentAt: new Date('2026-11-23T23:00:00Z') });
    // Handed to the provider once, under the channel's own key.
    const entries = await db.outboxEntry.findMany({ where: { idempotencyKey: { startsWith: `${message.idempotencyKey}/` } } });
    expect(entries.map((e) => e.idempotencyKey)).toEqual([providerKeyFor(message.idempotencyKey, 'kakao')]);
  });

  it('uses a channel’s own window where one is configured', async () => {
    await customer({}, [['sms', 'marketing'], ['email', 'marketing']]);
    clock = new Date('2026-11-23T12:30:00Z'); // 21:30 in Seoul: inside 21-08, outside email's 22-07
    expect(await run(sender(), request('sms', { channels: ['sms'] }))).toMatchObject({ status: 'held', heldUntil: '2026-11-23T23:00:00.000Z' });
    expect(await run(sender(), request('email', { channels: ['email'] }))).toMatchObject({ status: 'sent' });
    clock = new Date('2026-11-23T13:30:00Z'); // 22:30
    expect(await run(sender(), request('email-late', { channels: ['email'] }))).toMatchObject({ status: 'held', heldUntil: '2026-11-23T22:00:00.000Z' }); // 07:00 KST
  });

  it('judges quiet hours in the customer’s own time zone, DST included', async () => {
    await customer({ timezone: 'America/New_York' }, [['sms', 'marketing']]);
    clock = new Date('2026-07-01T02:00:00Z'); // 22:00 EDT
    expect(await run(sender(), request('reminder'))).toMatchObject({ status: 'held', heldUntil: '2026-07-01T12:00:00.000Z' });
  });

  it('lets night-time consent through the general quiet hours but not FriendTalk’s', async () => {
    await customer({}, [['kakao', 'marketing', true], ['email', 'marketing', true]]);
    clock = new Date('2026-11-23T11:30:00Z'); // 20:30 in Seoul
    expect(await run(sender(), request('kakao-first'))).toMatchObject({ status: 'held', channel: 'kakao', heldUntil: '2026-11-23T23:00:00.000Z' });
    expect(await run(sender(), request('email-only', { channels: ['email'] }))).toMatchObject({ status: 'sent', channel: 'email' });
  });

  it('re-checks consent when a held message comes due', async () => {
    await customer({}, [['sms', 'marketing']]);
    clock = new Date('2026-11-23T13:30:00Z');
    expect(await run(sender(), request('reminder', { channels: ['sms'] }))).toMatchObject({ status: 'held' });
    await recordConsentChanges(db, customerId, [{ channel: 'sms', purpose: 'marketing', granted: false }], 'api', clock);
    clock = new Date('2026-11-23T23:00:00Z');
    expect(await run(sender(), request('reminder', { channels: ['sms'] }))).toMatchObject({ status: 'suppressed', reason: 'sms: no marketing consent' });
  });

  it('suppresses marketing over the frequency cap, with the reason, but not informational messages', async () => {
    await customer({}, [['email', 'marketing'], ['email', 'informational']]);
    const send = sender();
    for (const step of ['one', 'two', 'three']) expect(await run(send, request(step, { channels: ['email'] }))).toMatchObject({ status: 'sent' });
    expect(await run(send, request('four', { channels: ['email'] }))).toMatchObject({
      status: 'suppressed',
      reason: 'frequency cap: 3 marketing messages in the last 7 days (cap 3)',
    });
    expect(await run(send, request('notice', { channels: ['email'], purpose: 'informational', template: 'review-request', data: { orderId: 'o-1' } }))).toMatchObject({ status: 'sent' });
    clock = new Date(clock.getTime() + 7 * 86_400_000 + 1000);
    expect(await run(send, request('five', { channels: ['email'] }))).toMatchObject({ status: 'sent' });
  });

  it('lets exactly one of five simultaneous marketing sends through a cap of 1, each send on its own database connection pool', async () => {
    await customer({}, [['email', 'marketing']]);
    const capOfOne = { ...settings, frequencyCap: { count: 1, windowMs: 7 * 86_400_000 } };
    // Five journeys' sends at the same moment, as five worker processes would make them.
    const clients = Array.from({ length: 5 }, () => ({ db: createDb(database.url, { poolSize: 2 }), pool: createPool(database.url, { size: 2 }) }));
    try {
      const outcomes = await Promise.all(
        clients.map((client, i) => {
          const send = createMessageActivities({ db: client.db, pool: client.pool, providers: { default: new OutboxProvider(client.db) }, messaging: capOfOne, clock: () => clock });
          return run((r) => send.sendMessage(r), request(`race-${i}`, { channels: ['email'] }));
        }),
      );
      expect(outcomes.filter((o) => o.status === 'sent')).toHaveLength(1);
      const suppressed = outcomes.filter((o) => o.status === 'suppressed');
      expect(suppressed).toHaveLength(4);
      for (const outcome of suppressed) expect(outcome.reason).toBe('frequency cap: 1 marketing messages in the last 7 days (cap 1)');
      expect(await db.outboxEntry.count({ where: { recipient: `${customerId}@example.com` } })).toBe(1);
    } finally {
      await Promise.all(clients.flatMap((client) => [client.db.$disconnect(), client.pool.end()]));
    }
  });

  it('counts a held marketing message against the cap: it is about to be sent', async () => {
    await customer({}, [['sms', 'marketing'], ['email', 'marketing', true]]);
    const capOfOne = createMessageActivities({ db, pool: database.pool, providers: { default: new OutboxProvider(db) }, messaging: { ...settings, frequencyCap: { count: 1, windowMs: 7 * 86_400_000 } }, clock: () => clock });
    clock = new Date('2026-11-23T13:30:00Z'); // 22:30 in Seoul: SMS marketing is held, night-time email is not
    expect(await run((r) => capOfOne.sendMessage(r), request('held-sms', { channels: ['sms'] }))).toMatchObject({ status: 'held' });
    expect(await run((r) => capOfOne.sendMessage(r), request('email-now', { channels: ['email'] }))).toMatchObject({
      status: 'suppressed',
      reason: 'frequency cap: 1 marketing messages in the last 7 days (cap 1)',
    });
  });

  it('falls back to the next channel when a provider refuses permanently', async () => {
    await customer();
    const refusing: ChannelProvider = { name: 'kakao-api', send: () => Promise.reject(new PermanentProviderError('unknown template code')) };
    const outcome = await run(sender({ kakao: refusing }), request('reminder'));
    expect(outcome).toMatchObject({ status: 'sent', channel: 'sms', reason: 'fell back: kakao: kakao-api refused: unknown template code' });
  });

  it('fails, recorded, when every channel refuses', async () => {
    await customer({}, [['kakao', 'marketing']]);
    const refusing: ChannelProvider = { name: 'kakao-api', send: () => Promise.reject(new PermanentProviderError('blocked number')) };
    expect(await run(sender({ kakao: refusing }), request('reminder'))).toMatchObject({ status: 'failed', reason: 'kakao: kakao-api refused: blocked number' });
    const message = await db.message.findUniqueOrThrow({ where: { idempotencyKey: request('reminder').idempotencyKey } });
    expect(message.attempts).toEqual([
      { channel: 'kakao', providerKey: providerKeyFor(request('reminder').idempotencyKey, 'kakao'), outcome: 'refused', reason: 'kakao: kakao-api refused: blocked number', at: clock.toISOString() },
    ]);
  });

  it('gives each channel of a fallback its own provider key, so a provider that drops repeated keys still delivers the fallback; the row lists both attempts', async () => {
    await customer();
    const key = request('reminder').idempotencyKey;
    // One gateway for KakaoTalk and SMS that, like real ones, answers a key it has seen
    // before without sending anything.
    const seen = new Set<string>();
    const calls: OutgoingMessage[] = [];
    const delivered: OutgoingMessage[] = [];
    const gateway: ChannelProvider = {
      name: 'gateway',
      send(message): Promise<ProviderReceipt> {
        calls.push(message);
        if (seen.has(message.idempotencyKey)) return Promise.resolve({ provider: 'gateway', providerMessageId: 'dropped-as-repeat' });
        seen.add(message.idempotencyKey);
        if (message.channel === 'kakao') return Promise.reject(new PermanentProviderError('unknown template code'));
        delivered.push(message);
        return Promise.resolve({ provider: 'gateway', providerMessageId: `gw-${delivered.length}` });
      },
    };
    const outcome = await run(sender({ kakao: gateway, sms: gateway }), request('reminder'));
    expect(outcome).toMatchObject({ status: 'sent', channel: 'sms', reason: 'fell back: kakao: gateway refused: unknown template code' });

    expect(calls.map((c) => [c.channel, c.idempotencyKey])).toEqual([
      ['kakao', `${key}/kakao`],
      ['sms', `${key}/sms`],
    ]);
    expect(delivered.map((m) => m.channel)).toEqual(['sms']);
    const message = await db.message.findUniqueOrThrow({ where: { idempotencyKey: key } });
    expect(message).toMatchObject({ status: 'sent', channel: 'sms', provider: 'gateway', providerMessageId: 'gw-1' });
    expect(message.attempts).toEqual([
      { channel: 'kakao', providerKey: `${key}/kakao`, outcome: 'refused', reason: 'kakao: gateway refused: unknown template code', at: clock.toISOString() },
      { channel: 'sms', providerKey: `${key}/sms`, outcome: 'sent', reason: null, at: clock.toISOString() },
    ] satisfies ChannelAttempt[]);
  });

  it('keeps a channel refused before a quiet-hours hold in attempts, and lists every later try when the message comes due', async () => {
    await customer({}, [['sms', 'marketing', true], ['email', 'marketing']]);
    const key = request('reminder').idempotencyKey;
    const refusing: ChannelProvider = { name: 'sms-api', send: () => Promise.reject(new PermanentProviderError('blocked number')) };
    const send = sender({ sms: refusing });
    const refusal = 'sms: sms-api refused: blocked number';
    clock = new Date('2026-11-23T13:30:00Z'); // 22:30 in Seoul: SMS (night-time consent) is tried, email waits until 07:00
    expect(await run(send, request('reminder', { channels: ['sms', 'email'] }))).toMatchObject({ status: 'held', channel: 'email', heldUntil: '2026-11-23T22:00:00.000Z' });
    expect((await db.message.findUniqueOrThrow({ where: { idempotencyKey: key } })).attempts).toEqual([
      { channel: 'sms', providerKey: `${key}/sms`, outcome: 'refused', reason: refusal, at: '2026-11-23T13:30:00.000Z' },
    ]);

    clock = new Date('2026-11-23T22:00:00Z');
    expect(await run(send, request('reminder', { channels: ['sms', 'email'] }))).toMatchObject({ status: 'sent', channel: 'email' });
    expect((await db.message.findUniqueOrThrow({ where: { idempotencyKey: key } })).attempts).toEqual([
      { channel: 'sms', providerKey: `${key}/sms`, outcome: 'refused', reason: refusal, at: '2026-11-23T13:30:00.000Z' },
      { channel: 'sms', providerKey: `${key}/sms`, outcome: 'refused', reason: refusal, at: '2026-11-23T22:00:00.000Z' },
      { channel: 'email', providerKey: `${key}/email`, outcome: 'sent', reason: null, at: '2026-11-23T22:00:00.000Z' },
    ]);
  });

  it('delivers once when the activity fails after the provider accepted the message', async () => {
    await customer({}, [['email', 'marketing']]);
    const calls: OutgoingMessage[] = [];
    let failed = false;
    const outbox = new OutboxProvider(db);
    const flaky: ChannelProvider = {
      name: 'outbox',
      async send(message) {
        calls.push(message);
        const receipt = await outbox.send(message);
        if (!failed) {
          failed = true;
          throw new Error('timeout after accepting');
        }
        return receipt;
      },
    };
    const send = sender({ email: flaky });
    await expect(run(send, request('reminder', { channels: ['email'] }))).rejects.toThrow('timeout after accepting');
    expect(await run(send, request('reminder', { channels: ['email'] }), 2)).toMatchObject({ status: 'sent', channel: 'email' });
    expect(await run(send, request('reminder', { channels: ['email'] }), 3)).toMatchObject({ status: 'sent' });
    expect(calls).toHaveLength(2);
    expect(calls[0].content).toBe(calls[1].content);
    // The retry reused the first call's key (the channel's own), so the provider delivered once.
    const key = providerKeyFor(request('reminder').idempotencyKey, 'email');
    expect(calls.map((c) => c.idempotencyKey)).toEqual([key, key]);
    const entries = await db.outboxEntry.findMany({ where: { idempotencyKey: { startsWith: `${request('reminder').idempotencyKey}/` } } });
    expect(entries.map((e) => e.idempotencyKey)).toEqual([key]);
  });

  it('resumes a message left pending by a crash on its channel, and when that channel now refuses, falls back to the channels after it', async () => {
    await customer();
    const key = request('reminder').idempotencyKey;
    const refusal = 'kakao: kakao-api refused: template code withdrawn';
    // Attempt 1 wrote the message pending on KakaoTalk, then the provider call timed out.
    let kakaoCalls = 0;
    const kakao: ChannelProvider = {
      name: 'kakao-api',
      send: () => (++kakaoCalls === 1 ? Promise.reject(new Error('socket hang up')) : Promise.reject(new PermanentProviderError('template code withdrawn'))),
    };
    const sms: OutgoingMessage[] = [];
    const smsProvider: ChannelProvider = { name: 'sms-api', send: (m) => (sms.push(m), Promise.resolve({ provider: 'sms-api', providerMessageId: 'sms-1' })) };
    const send = sender({ kakao, sms: smsProvider });
    await expect(run(send, request('reminder'))).rejects.toThrow('socket hang up');
    expect(await db.message.findUniqueOrThrow({ where: { idempotencyKey: key } })).toMatchObject({ status: 'pending', channel: 'kakao' });

    // Attempt 2: the same KakaoTalk message (same key) is refused for good; SMS, next in the list, sends.
    expect(await run(send, request('reminder'), 2)).toMatchObject({ status: 'sent', channel: 'sms', reason: `fell back: ${refusal}` });
    expect(kakaoCalls).toBe(2);
    expect(sms.map((m) => m.idempotencyKey)).toEqual([`${key}/sms`]);
    const message = await db.message.findUniqueOrThrow({ where: { idempotencyKey: key } });
    expect(message.attempts).toEqual([
      { channel: 'kakao', providerKey: `${key}/kakao`, outcome: 'refused', reason: refusal, at: clock.toISOString() },
      { channel: 'sms', providerKey: `${key}/sms`, outcome: 'sent', reason: null, at: clock.toISOString() },
    ] satisfies ChannelAttempt[]);
    // One message row, counted once under the cap.
    expect(await db.message.count({ where: { customerId } })).toBe(1);
  });

  it('fails a resumed message with every refusal when no channel after the refusing one is left', async () => {
    await customer({}, [['kakao', 'marketing'], ['email', 'marketing']]);
    let kakaoCalls = 0;
    const kakao: ChannelProvider = {
      name: 'kakao-api',
      send: () => (++kakaoCalls === 1 ? Promise.reject(new Error('socket hang up')) : Promise.reject(new PermanentProviderError('blocked number'))),
    };
    const send = sender({ kakao });
    // The journey lists only KakaoTalk: the customer's email consent does not make email a fallback.
    await expect(run(send, request('reminder', { channels: ['kakao'] }))).rejects.toThrow('socket hang up');
    expect(await run(send, request('reminder', { channels: ['kakao'] }), 2)).toMatchObject({ status: 'failed', reason: 'kakao: kakao-api refused: blocked number' });
  });

  it('records a send to a customer who is not stored as suppressed, naming the id, instead of failing on the foreign key', async () => {
    const outcome = await run(sender(), request('reminder', { customerId: 'c-nobody' }));
    expect(outcome).toMatchObject({ status: 'suppressed', reason: 'unknown customer: c-nobody' });
    expect(await db.message.findUniqueOrThrow({ where: { idempotencyKey: request('reminder').idempotencyKey } })).toMatchObject({ customerId: null, status: 'suppressed' });
    // A retry answers the same row.
    expect(await run(sender(), request('reminder', { customerId: 'c-nobody' }), 2)).toMatchObject({ messageId: outcome.messageId, status: 'suppressed' });
  });

  it('holds out a journey’s control group by a stable hash (the one campaigns use in SQL): a holdout record with the would-be window, nothing sent', async () => {
    const held = createMessageActivities({ db, pool: database.pool, providers: { default: new OutboxProvider(db) }, messaging: { ...settings, holdouts: { 'cart-reminder': 50 } }, clock: () => clock });
    const ids = Array.from({ length: 40 }, (_, i) => `c-hold-${n}-${i}`);
    await db.customer.createMany({ data: ids.map((id) => ({ id, email: `${id}@example.com` })) });
    await db.consentChange.createMany({ data: ids.map((id) => ({ customerId: id, channel: 'email' as const, purpose: 'marketing' as const, granted: true, source: 'api' as const })) });
    const outcomes: SendOutcome[] = [];
    for (const id of ids) outcomes.push(await run((r: SendRequest) => held.sendMessage(r), request('reminder', { customerId: id, idempotencyKey: `hold/${id}`, channels: ['email'], conversionWindowMs: 3 * 86_400_000 })));
    const heldOutIds = ids.filter((_, i) => outcomes[i].status === 'holdout');
    // About half, and exactly the customers PostgreSQL's md5 puts below 50 for this journey.
    expect(heldOutIds.length).toBeGreaterThan(8);
    expect(heldOutIds.length).toBeLessThan(32);
    const rows = await db.$queryRawUnsafe<{ id: string }[]>(
      `SELECT id FROM unnest($1::text[]) AS id WHERE (('x' || substr(md5('cart-reminder:' || id), 1, 8))::bit(32)::bigint % 100) < 50 ORDER BY id`,
      ids,
    );
    expect(heldOutIds.sort()).toEqual(rows.map((r) => r.id));
    expect(ids.every((id) => heldOut('cart-reminder', id, 50) === heldOutIds.includes(id))).toBe(true);
    const record = await db.message.findUniqueOrThrow({ where: { idempotencyKey: `hold/${heldOutIds[0]}` } });
    expect(record).toMatchObject({ status: 'holdout', reason: 'held out: the control group (50% of cart-reminder)', sentAt: null, channel: null, convertsUntil: new Date(clock.getTime() + 3 * 86_400_000) });
    expect(outcomes.filter((o) => o.status === 'sent')).toHaveLength(ids.length - heldOutIds.length);
    expect(await db.outboxEntry.count({ where: { idempotencyKey: { startsWith: `hold/${heldOutIds[0]}/` } } })).toBe(0);
    // Asked again (a retry), the answer stands; informational messages are never held out.
    expect(await run((r: SendRequest) => held.sendMessage(r), request('reminder', { customerId: heldOutIds[0], idempotencyKey: `hold/${heldOutIds[0]}`, channels: ['email'] }))).toMatchObject({ status: 'holdout' });
    expect(await run((r: SendRequest) => held.sendMessage(r), request('notice', { customerId: heldOutIds[0], idempotencyKey: `hold-info/${heldOutIds[0]}`, purpose: 'informational', template: 'dormancy-notice', channels: ['email'], data: { dormantOn: '2027-01-01' } }))).not.toMatchObject({ status: 'holdout' });
  });

  it('records a failure, without retrying, when the journey’s data does not fit the template', async () => {
    await customer({}, [['email', 'marketing']]);
    expect(await run(sender(), request('broken', { channels: ['email'], data: {} }))).toMatchObject({
      status: 'failed',
      reason: expect.stringContaining('undefined variable: cart') as string,
    });
  });

  it('records a failure on the last attempt instead of retrying forever', async () => {
    await customer({}, [['email', 'marketing']]);
    const down: ChannelProvider = { name: 'smtp', send: () => Promise.reject(new Error('connection refused')) };
    expect(await run(sender({ email: down }), request('reminder', { channels: ['email'] }), 5)).toMatchObject({
      status: 'failed',
      reason: 'email: smtp refused: connection refused',
    });
  });
  it('sets convertsUntil to sentAt + conversionWindowMs, counted from when a held message is actually sent; without a window it stays null', async () => {
    await customer({}, [['email', 'marketing']]);
    const week = 7 * 86_400_000;
    const send = sender();
    clock = new Date('2026-11-23T13:30:00Z'); // 22:30 in Seoul: email holds until 07:00
    const held = await run(send, request('held', { channels: ['email'], conversionWindowMs: week }));
    expect(held).toMatchObject({ status: 'held', sentAt: null });
    expect(await db.message.findUniqueOrThrow({ where: { idempotencyKey: request('held').idempotencyKey } })).toMatchObject({ convertsUntil: null });

    clock = new Date('2026-11-23T22:00:00Z');
    const sent = await run(send, request('held', { channels: ['email'], conversionWindowMs: week }));
    expect(sent).toMatchObject({ status: 'sent', sentAt: '2026-11-23T22:00:00.000Z' });
    expect(await db.message.findUniqueOrThrow({ where: { idempotencyKey: request('held').idempotencyKey } })).toMatchObject({
      sentAt: new Date('2026-11-23T22:00:00Z'),
      convertsUntil: new Date(Date.parse('2026-11-23T22:00:00Z') + week),
    });

    clock = new Date('2026-11-24T03:00:00Z');
    expect(await run(send, request('no-window', { channels: ['email'] }))).toMatchObject({ status: 'sent', sentAt: clock.toISOString() });
    expect(await db.message.findUniqueOrThrow({ where: { idempotencyKey: request('no-window').idempotencyKey } })).toMatchObject({ sentAt: clock, convertsUntil: null });
  });
});

describe('cancelHeldMessage', () => {
  it('cancels a held message with the reason and clears heldUntil, so a later send does not deliver it', async () => {
    await customer({}, [['sms', 'marketing']]);
    const built = activities();
    clock = new Date('2026-11-23T13:30:00Z'); // 22:30 in Seoul
    expect(await run((r) => built.sendMessage(r), request('reminder', { channels: ['sms'] }))).toMatchObject({ status: 'held' });

    const key = request('reminder').idempotencyKey;
    expect(await built.cancelHeldMessage({ idempotencyKey: key, reason: 'exited: order placed' })).toMatchObject({
      status: 'cancelled',
      reason: 'exited: order placed',
      heldUntil: null,
    });
    expect(await db.message.findUniqueOrThrow({ where: { idempotencyKey: key } })).toMatchObject({ status: 'cancelled', reason: 'exited: order placed', heldUntil: null, sentAt: null });

    clock = new Date('2026-11-23T23:00:00Z'); // when it was due
    expect(await run((r) => built.sendMessage(r), request('reminder', { channels: ['sms'] }))).toMatchObject({ status: 'cancelled', reason: 'exited: order placed' });
    expect(await db.outboxEntry.count({ where: { idempotencyKey: { startsWith: `${key}/` } } })).toBe(0);
  });

  it('returns a sent message unchanged', async () => {
    await customer({}, [['email', 'marketing']]);
    const built = activities();
    const sent = await run((r) => built.sendMessage(r), request('reminder', { channels: ['email'] }));
    expect(sent.status).toBe('sent');
    const key = request('reminder').idempotencyKey;
    const before = await db.message.findUniqueOrThrow({ where: { idempotencyKey: key } });
    expect(await built.cancelHeldMessage({ idempotencyKey: key, reason: 'exited: order placed' })).toEqual(sent);
    expect(await db.message.findUniqueOrThrow({ where: { idempotencyKey: key } })).toEqual(before);
  });
});

describe('recordFailedMessage', () => {
  const failure = (step: string, reason: string): SkipRequest => {
    const { idempotencyKey, customerId: id, journey, workflowId, purpose } = request(step);
    return { idempotencyKey, customerId: id, journey, workflowId, step, purpose, reason };
  };

  it('turns a pending message failed with the reason, which releases its frequency-cap reservation', async () => {
    await customer({}, [['email', 'marketing']]);
    const capOfOne = { ...settings, frequencyCap: { count: 1, windowMs: 7 * 86_400_000 } };
    const down: ChannelProvider = { name: 'smtp', send: () => Promise.reject(new Error('connection reset')) };
    const failing = createMessageActivities({ db, pool: database.pool, providers: { default: new OutboxProvider(db), email: down }, messaging: capOfOne, clock: () => clock });
    const working = createMessageActivities({ db, pool: database.pool, providers: { default: new OutboxProvider(db) }, messaging: capOfOne, clock: () => clock });

    // Attempt 1 of 5 throws (Temporal would retry): the message stays pending, holding the cap's one place.
    await expect(run((r) => failing.sendMessage(r), request('first', { channels: ['email'] }))).rejects.toThrow('connection reset');
    expect(await db.message.findUniqueOrThrow({ where: { idempotencyKey: request('first').idempotencyKey } })).toMatchObject({ status: 'pending' });
    expect(await run((r) => working.sendMessage(r), request('blocked', { channels: ['email'] }))).toMatchObject({ status: 'suppressed' });

    const reason = 'send failed: activity StartToClose timeout';
    expect(await working.recordFailedMessage(failure('first', reason))).toMatchObject({ status: 'failed', reason });
    expect(await db.message.findUniqueOrThrow({ where: { idempotencyKey: request('first').idempotencyKey } })).toMatchObject({ status: 'failed', reason, sentAt: null });
    expect(await run((r) => working.sendMessage(r), request('second', { channels: ['email'] }))).toMatchObject({ status: 'sent' });
  });

  it('turns a held message failed and clears its hold', async () => {
    await customer({}, [['email', 'marketing']]);
    clock = new Date('2026-11-23T13:00:00Z'); // 22:00 in Seoul: quiet hours
    const built = activities();
    expect(await run((r) => built.sendMessage(r), request('night', { channels: ['email'] }))).toMatchObject({ status: 'held' });
    expect(await built.recordFailedMessage(failure('night', 'send failed: database unavailable'))).toMatchObject({ status: 'failed', heldUntil: null });
    expect(await db.message.findUniqueOrThrow({ where: { idempotencyKey: request('night').idempotencyKey } })).toMatchObject({ status: 'failed', heldUntil: null, sentAt: null });
  });

  it('does not overwrite a sent message', async () => {
    await customer({}, [['email', 'marketing']]);
    const built = activities();
    const sent = await run((r) => built.sendMessage(r), request('reminder', { channels: ['email'] }));
    expect(sent.status).toBe('sent');
    const before = await db.message.findUniqueOrThrow({ where: { idempotencyKey: request('reminder').idempotencyKey } });
    expect(await built.recordFailedMessage(failure('reminder', 'send failed: late timeout'))).toEqual(sent);
    expect(await db.message.findUniqueOrThrow({ where: { idempotencyKey: request('reminder').idempotencyKey } })).toEqual(before);
  });
});

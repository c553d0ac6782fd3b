// Analytics over a real database and real HTTP (the app without Temporal: these routes never
// call it, so it gets placeholders for its client): the
// reference cart case of DESIGN.md — 3,040 FriendTalk reminders costing 9,324 KRW (rounded to
// the won) whose attributed revenue is 2,968,312 KRW report ROAS 31,835% — orders credited
// through the one attribution model, and every figure adding up to the attributed orders.
import { MockActivityEnvironment } from '@temporalio/testing';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConversionActivities } from '../../activities/conversions';
import { campaignAnalytics, channelAnalytics, journeyAnalytics } from '../../src/analytics/report';
import { bandOf } from '../../src/analytics/unit-economics';
import { loadConfig } from '../../src/config';
import { Decimal } from '../../src/money';
import { serveAppWithoutTemporal, type ServedApp } from '../helpers/app-without-temporal';
import { useTestDatabase } from '../helpers/use-database';

const database = useTestDatabase('analytics');
const apiKey = 'analytics-test-key-0123456789';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
// The period: November 2026; the reminders go out on the 10th.
const period = { from: new Date('2026-11-01T00:00:00Z'), to: new Date('2026-12-01T00:00:00Z') };
const sentAt = new Date('2026-11-10T03:00:00Z');
const id = (i: number) => `c-${String(i).padStart(4, '0')}`;
const CAMPAIGN = 'cmp_00000000000000ab';

let pool: pg.Pool;
let served: ServedApp | undefined;
let base: string;
/** GET with the API key. */
const get = (path: string, headers: Record<string, string> = {}) => fetch(`${base}${path}`, { headers: { authorization: `Bearer ${apiKey}`, ...headers } });

beforeAll(async () => {
  const db = database.db;
  pool = database.pool;
  await db.customer.createMany({ data: Array.from({ length: 3_100 }, (_, i) => ({ id: id(i) })) });

  // Cart reminder: 3,040 FriendTalk reminders at 3.0671 KRW (9,323.984 KRW in all), 3 days to convert.
  const message = (i: number, fields: { journey: string; key: string; channel: 'kakao' | 'email'; variant: string; cost: string; at: Date; status?: 'sent' | 'suppressed' | 'holdout'; workflowId?: string }) => ({
    idempotencyKey: fields.key,
    customerId: id(i),
    journey: fields.journey,
    workflowId: fields.workflowId ?? `${fields.journey}:${id(i)}`,
    step: 'reminder',
    purpose: 'marketing' as const,
    template: fields.journey,
    status: fields.status ?? ('sent' as const),
    channel: fields.status && fields.status !== 'sent' ? null : fields.channel,
    variant: fields.status && fields.status !== 'sent' ? null : fields.variant,
    content: '',
    cost: fields.status && fields.status !== 'sent' ? '0' : fields.cost,
    costCurrency: 'KRW',
    sentAt: fields.status && fields.status !== 'sent' ? null : fields.at,
    convertsUntil: fields.status && fields.status !== 'sent' ? null : new Date(fields.at.getTime() + 3 * DAY),
    createdAt: fields.at,
  });
  await db.message.createMany({
    data: Array.from({ length: 3_040 }, (_, i) => message(i, { journey: 'cart-reminder', key: `cart/${i}`, channel: 'kakao', variant: 'friendtalk', cost: '3.0671', at: sentAt })),
  });
  // Browse abandonment, a day later, by email to the first 50 of them: their orders after it are its (last touch).
  await db.message.createMany({
    data: Array.from({ length: 50 }, (_, i) => message(i, { journey: 'browse-abandonment', key: `browse/${i}`, channel: 'email', variant: 'email', cost: '0.3', at: new Date(sentAt.getTime() + DAY) })),
  });
  // A campaign with a coupon, to customers 3,000–3,099: 60 sent, 20 suppressed, 20 held out.
  await db.campaign.create({
    data: { id: CAMPAIGN, name: 'November thanks', audience: {}, purpose: 'marketing', channels: ['email'], offer: { text: '5,000원 쿠폰', coupon: 'NOV5', discount: '5000' }, holdoutPercent: 20, windowDays: 7, status: 'completed', startedAt: sentAt },
  });
  await db.campaignRecipient.createMany({ data: Array.from({ length: 100 }, (_, n) => ({ campaignId: CAMPAIGN, customerId: id(3_000 + n), seq: n + 1, holdout: n >= 80 })) });
  await db.message.createMany({
    data: Array.from({ length: 100 }, (_, n) =>
      message(3_000 + n, { journey: 'campaign', workflowId: `campaign:${CAMPAIGN}`, key: `campaign:${CAMPAIGN}/${id(3_000 + n)}`, channel: 'email', variant: 'email', cost: '0.3', at: sentAt, status: n < 60 ? 'sent' : n < 80 ? 'suppressed' : 'holdout' }),
    ),
  });
  // Upsell with a 30% holdout, to l-00 … l-29 on the 12th: 20 sent, 10 held out (a record each, never sent).
  await db.customer.createMany({ data: Array.from({ length: 30 }, (_, n) => ({ id: `l-${String(n).padStart(2, '0')}` })) });
  const upsellAt = new Date('2026-11-12T03:00:00Z');
  await db.message.createMany({
    data: Array.from({ length: 30 }, (_, n) => {
      const customerId = `l-${String(n).padStart(2, '0')}`;
      const sent = n < 20;
      return {
        idempotencyKey: `upsell/${customerId}`, customerId, journey: 'upsell', workflowId: `upsell:${customerId}`, step: 'upsell', purpose: 'marketing' as const, template: 'upsell',
        status: sent ? ('sent' as const) : ('holdout' as const), channel: sent ? ('email' as const) : null, variant: sent ? 'email' : null, content: '', cost: sent ? '0.3' : '0', costCurrency: 'KRW',
        sentAt: sent ? upsellAt : null, convertsUntil: new Date(upsellAt.getTime() + 7 * DAY), createdAt: upsellAt,
      };
    }),
  });
  // Last month's reminder: outside the period.
  await db.message.create({ data: message(3_099, { journey: 'cart-reminder', key: 'cart/october', channel: 'kakao', variant: 'friendtalk', cost: '3.0671', at: new Date('2026-10-20T00:00:00Z') }) });

  // Orders. Customers 100–199 order 2 days after the reminder: 99 × 29,683 + 29,695 = 2,968,312 KRW.
  const orders: { id: string; customerId: string; total: string; currency: string; occurredAt: Date; coupon?: string; discount?: string }[] = [];
  for (let i = 100; i < 200; i += 1) orders.push({ id: `o-cart-${i}`, customerId: id(i), total: i === 199 ? '29695' : '29683', currency: 'KRW', occurredAt: new Date(sentAt.getTime() + 2 * DAY) });
  // Customers 0–9 order after the browse email too: credited to it, never to the reminder as well.
  for (let i = 0; i < 10; i += 1) orders.push({ id: `o-browse-${i}`, customerId: id(i), total: '10000', currency: 'KRW', occurredAt: new Date(sentAt.getTime() + DAY + HOUR) });
  // Upsell: 8 of the 20 messaged order within its 7 days (credited to it), and 2 of the 10 held out (credited to nobody).
  for (const n of [0, 1, 2, 3, 4, 5, 6, 7, 20, 21]) {
    const customerId = `l-${String(n).padStart(2, '0')}`;
    orders.push({ id: `o-upsell-${customerId}`, customerId, total: '20000', currency: 'KRW', occurredAt: new Date(upsellAt.getTime() + 2 * DAY) });
  }
  // Customer 200 ordered before the reminder (reported late): nobody's conversion.
  orders.push({ id: 'o-before', customerId: id(200), total: '50000', currency: 'KRW', occurredAt: new Date(sentAt.getTime() - HOUR) });
  // Ten campaign recipients redeem the coupon (5,000 KRW each); one without it.
  for (let n = 0; n < 11; n += 1) orders.push({ id: `o-campaign-${n}`, customerId: id(3_000 + n), total: '40000', currency: 'KRW', occurredAt: new Date(sentAt.getTime() + DAY), ...(n < 10 ? { coupon: 'NOV5', discount: '5000' } : {}) });
  await db.order.createMany({ data: orders });
  const { attributeOrder } = createConversionActivities({ db, pool, providers: {} as never, messaging: {} as never });
  for (const order of orders) await new MockActivityEnvironment().run(attributeOrder, { orderId: order.id });

  const config = loadConfig({ DATABASE_URL: database.url, API_KEYS: apiKey, UPSELL_HOLDOUT: '30' });
  served = await serveAppWithoutTemporal({ db: db, pool, config, unsubscribeSecret: 'analytics-secret-0123456789abcdef' });
  base = served.baseUrl;
});

afterAll(async () => {
  await served?.close();
});

describe('analytics', () => {
  it('reports the reference cart case: 3,040 FriendTalk reminders, 9,324 KRW of messages, 2,968,312 KRW attributed, ROAS 31,835%', async () => {
    const journeys = await journeyAnalytics(pool, period, 'KRW');
    expect(journeys.find((j) => j.journey === 'cart-reminder')).toEqual({
      journey: 'cart-reminder',
      recipients: 3_040,
      reached: 3_040,
      sent: 3_040,
      converted: 100,
      conversionRate: 100 / 3_040,
      orders: 100,
      revenue: { amount: '2968312', currency: 'KRW' },
      cost: { messages: { amount: '9323.984', currency: 'KRW' }, coupons: { amount: '0', currency: 'KRW' }, total: { amount: '9323.984', currency: 'KRW' } },
      roas: '318.3523',
      roasPercent: 31_835,
      lift: null,
    });
    expect(journeys.find((j) => j.journey === 'upsell')).toMatchObject({ recipients: 20, sent: 20, converted: 8, orders: 8, revenue: { amount: '160000' }, lift: null });
    expect(journeys.find((j) => j.journey === 'browse-abandonment')).toMatchObject({ recipients: 50, sent: 50, converted: 10, orders: 10, revenue: { amount: '100000' }, cost: { total: { amount: '15' } }, roasPercent: 666_667 });
  });

  it('measures a journey’s lift against its holdout: orders within its window from the (would-be) send, both groups alike', async () => {
    const journeys = await journeyAnalytics(pool, period, 'KRW', { holdouts: { upsell: 30 }, windows: { upsell: 7 * DAY, 'cart-reminder': 3 * DAY } });
    // The cart reminder holds nobody out: no lift.
    expect(journeys.find((j) => j.journey === 'cart-reminder')!.lift).toBeNull();
    const upsell = journeys.find((j) => j.journey === 'upsell')!;
    expect(upsell.lift).toMatchObject({
      treatment: { customers: 20, converted: 8, conversionRate: 0.4, revenuePerCustomer: { amount: '8000', currency: 'KRW' } },
      control: { customers: 10, converted: 2, conversionRate: 0.2, revenuePerCustomer: { amount: '4000', currency: 'KRW' } },
      incrementalConversions: 4,
      incrementalRevenue: { amount: '80000', currency: 'KRW' }, // 160,000 − 20 × 4,000
      incrementalRoas: '13333.3333', // over 6 KRW of messages
    });
    expect(upsell.lift!.absoluteLift).toBeCloseTo(0.2, 12);
    expect(upsell.lift!.relativeLift).toBeCloseTo(1, 12);
    // 20 against 10 customers: the interval is wide and spans 0, so not significant.
    expect(upsell.lift!.confidenceInterval![0]).toBeLessThan(0);
    expect(upsell.lift!.significant).toBe(false);
  });

  it('reports a campaign with its coupons as cost, the held out not counted as recipients, and its lift', async () => {
    const [campaign] = await campaignAnalytics(pool, period, 'KRW');
    expect(campaign).toMatchObject({
      campaign: CAMPAIGN,
      name: 'November thanks',
      recipients: 80,
      reached: 60,
      sent: 60,
      converted: 11,
      orders: 11,
      revenue: { amount: '440000', currency: 'KRW' },
      cost: { messages: { amount: '18' }, coupons: { amount: '50000' }, total: { amount: '50018' } },
      roasPercent: 880,
    });
    // Treatment (80, of whom 11 ordered in the campaign's window) against the 20 held out (none did).
    expect(campaign.lift).toMatchObject({ treatment: { customers: 80, converted: 11 }, control: { customers: 20, converted: 0 }, absoluteLift: 11 / 80 });
  });

  it('adds up: the journeys and campaigns credit each attributed order once, and the channels split the same totals', async () => {
    const [journeys, campaigns, channels] = await Promise.all([journeyAnalytics(pool, period, 'KRW'), campaignAnalytics(pool, period, 'KRW'), channelAnalytics(pool, period, 'KRW')]);
    const { rows } = await pool.query<{ orders: number; revenue: string }>(`SELECT count(*)::int AS orders, sum(revenue)::text AS revenue FROM "Conversion" WHERE "orderId" IS NOT NULL`);
    const rowsOf = [...journeys, ...campaigns];
    expect(rowsOf.reduce((n, row) => n + row.orders, 0)).toBe(rows[0].orders);
    expect(rowsOf.reduce((sum, row) => sum + Number(row.revenue.amount), 0)).toBe(Number(rows[0].revenue));
    expect(rows[0].orders).toBe(100 + 10 + 11 + 8); // nobody's: the order placed before any message, the held out's
    expect(channels.map((c) => c.channel)).toEqual(['email', 'kakao']);
    expect(channels.reduce((n, row) => n + row.sent, 0)).toBe(rowsOf.reduce((n, row) => n + row.sent, 0));
    expect(channels.reduce((sum, row) => sum + Number(row.revenue.amount), 0)).toBe(Number(rows[0].revenue));
    expect(channels.find((c) => c.channel === 'kakao')).toMatchObject({ sent: 3_040, orders: 100, revenue: { amount: '2968312' }, roasPercent: 31_835 });
  });

  it('answers over HTTP as JSON, and as CSV with Accept: text/csv', async () => {
    const json = await get('/v1/analytics/journeys?from=2026-11-01&to=2026-12-01');
    expect(json.status).toBe(200);
    const body = (await json.json()) as { from: string; to: string; currency: string; journeys: { journey: string; roasPercent: number; lift: { control: { customers: number } } | null }[] };
    expect(body).toMatchObject({ from: '2026-11-01T00:00:00.000Z', to: '2026-12-01T00:00:00.000Z', currency: 'KRW' });
    expect(body.journeys.map((j) => [j.journey, j.roasPercent, j.lift?.control.customers ?? null])).toEqual([
      ['browse-abandonment', 666_667, null],
      ['cart-reminder', 31_835, null],
      ['upsell', 2_666_667, 10], // UPSELL_HOLDOUT=30
    ]);

    const csv = await get('/v1/analytics/campaigns?from=2026-11-01&to=2026-12-01', { accept: 'text/csv' });
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(csv.headers.get('content-disposition')).toBe('attachment; filename=campaigns-2026-11-01-2026-12-01.csv');
    const [header, row, ...rest] = (await csv.text()).trim().split('\n');
    expect(rest).toEqual([]);
    expect(header.split(',').slice(0, 6)).toEqual(['campaign', 'name', 'recipients', 'reached', 'sent', 'converted']);
    const cells = Object.fromEntries(header.split(',').map((column, i) => [column, row.split(',')[i]]));
    expect(cells).toMatchObject({ campaign: CAMPAIGN, name: 'November thanks', sent: '60', revenue: '440000', currency: 'KRW', couponCost: '50000', roasPercent: '880', controlCustomers: '20' });

    // The period limits the messages: last month has only the October reminder.
    const october = (await (await get('/v1/analytics/channels?from=2026-10-01&to=2026-11-01')).json()) as { channels: { channel: string; sent: number }[] };
    expect(october.channels).toEqual([expect.objectContaining({ channel: 'kakao', sent: 1 })]);
  });

  it('refuses a bad period with a 400 naming the field, and a request without the key with 401; defaults to the 30 days before now', async () => {
    expect((await fetch(`${base}/v1/analytics/journeys`)).status).toBe(401);
    const bad = await get('/v1/analytics/journeys?from=yesterday');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'invalid_request', details: [{ field: 'from' }] } });
    const reversed = await get('/v1/analytics/journeys?from=2026-12-01&to=2026-11-01');
    expect(reversed.status).toBe(400);
    expect(await reversed.json()).toMatchObject({ error: { message: 'from: must be before to', details: [{ field: 'from', message: 'must be before to' }] } });
    const recent = (await (await get('/v1/analytics/journeys')).json()) as { from: string; to: string };
    expect(Date.parse(recent.to) - Date.parse(recent.from)).toBe(30 * DAY);
  });
});

describe('unit economics', () => {
  const march = '?from=2027-03-01&to=2027-04-01';
  const post = (body: unknown) => fetch(`${base}/v1/acquisition-spend`, { method: 'POST', headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });

  beforeAll(async () => {
    const db = database.db;
    await db.customer.createMany({
      data: [{ id: 'u-1' }, { id: 'u-2' }, { id: 'u-3', attributes: { acquisitionChannel: 'instagram' } }, { id: 'u-4' }, { id: 'u-5' }, { id: 'u-6' }],
    });
    const signup = (customerId: string, at: string, channel?: string) => ({ idempotencyKey: `signup-${customerId}`, type: 'signed_up', customerId, occurredAt: new Date(at), properties: channel ? { channel } : {} });
    await db.event.createMany({
      data: [signup('u-1', '2027-03-05T10:00:00Z', 'naver'), signup('u-2', '2027-03-10T10:00:00Z', 'naver'), signup('u-4', '2027-02-20T10:00:00Z', 'naver'), signup('u-5', '2027-03-12T10:00:00Z')],
    });
    const order = (id: string, customerId: string, total: string, at: string, currency = 'KRW') => ({ id, customerId, total, currency, occurredAt: new Date(at) });
    await db.order.createMany({
      data: [
        order('u-o1', 'u-1', '100000', '2027-03-06T10:00:00Z'),
        order('u-o2', 'u-1', '50000', '2027-04-10T10:00:00Z'), // after the period: still lifetime value
        order('u-o3', 'u-3', '200000', '2027-03-20T10:00:00Z'),
        order('u-o4', 'u-4', '70000', '2027-03-02T10:00:00Z'), // signed up in February: not acquired in March
        order('u-o5', 'u-6', '90000', '2027-04-02T10:00:00Z'),
        order('u-o6', 'u-3', '99', '2027-03-21T10:00:00Z', 'USD'), // another currency: not in KRW revenue
      ],
    });
  });

  it('takes acquisition spend over HTTP, refusing a bad one with a 400 naming the field and writing nothing', async () => {
    const spends = [
      { channel: 'naver', from: '2027-03-01', to: '2027-03-31', amount: 300_000, currency: 'KRW' },
      { channel: 'naver', from: '2027-03-16', to: '2027-04-14', amount: '60000', currency: 'KRW' }, // 16 of its 30 days in March
      { channel: 'instagram', from: '2027-03-01', to: '2027-03-31', amount: 100_000, currency: 'KRW' },
      { channel: 'instagram', from: '2027-03-01', to: '2027-03-31', amount: 500, currency: 'USD' }, // not converted: left out of KRW figures
      { channel: 'tiktok', from: '2027-02-01', to: '2027-02-28', amount: 50_000, currency: 'KRW' }, // before the period
    ];
    for (const spend of spends) {
      const created = await post(spend);
      expect(created.status).toBe(201);
      expect(await created.json()).toMatchObject({ channel: spend.channel, from: spend.from, to: spend.to, amount: { amount: String(spend.amount), currency: spend.currency } });
    }
    const count = await database.db.acquisitionSpend.count();
    for (const [body, field] of [
      [{ ...spends[0], to: '2027-02-28' }, 'to'],
      [{ ...spends[0], amount: -5 }, 'amount'],
      [{ ...spends[0], from: 'March' }, 'from'],
      [{ ...spends[0], currency: 'won' }, 'currency'],
      [{ ...spends[0], channel: ' ' }, 'channel'],
    ] as const) {
      const refused = await post(body);
      expect(refused.status, field).toBe(400);
      expect(((await refused.json()) as { error: { details: { field: string }[] } }).error.details.map((d) => d.field)).toEqual([field]);
    }
    expect(await database.db.acquisitionSpend.count()).toBe(count);
  });

  it('reports CAC per acquisition channel and overall, LTV by cohort, and LTV/CAC with its band and what it means', async () => {
    const response = await get(`/v1/analytics/unit-economics${march}`);
    expect(response.status).toBe(200);
    // Acquired in March: u-1, u-2 (naver signups), u-3 (first order, instagram by profile), u-5 (signup, no channel).
    // Spend: naver 300,000 + 16/30 × 60,000 = 332,000; instagram 100,000. LTV: 0.3 × (150,000 + 200,000) / 4.
    expect(await response.json()).toEqual({
      from: '2027-03-01T00:00:00.000Z',
      to: '2027-04-01T00:00:00.000Z',
      currency: 'KRW',
      marginRate: '0.3',
      spend: { amount: '432000', currency: 'KRW' },
      acquired: 4,
      cac: { amount: '108000', currency: 'KRW' },
      byChannel: [
        { channel: 'instagram', spend: { amount: '100000', currency: 'KRW' }, acquired: 1, cac: { amount: '100000', currency: 'KRW' } },
        { channel: 'naver', spend: { amount: '332000', currency: 'KRW' }, acquired: 2, cac: { amount: '166000', currency: 'KRW' } },
        { channel: 'unattributed', spend: { amount: '0', currency: 'KRW' }, acquired: 1, cac: { amount: '0', currency: 'KRW' } },
      ],
      ltv: { amount: '26250', currency: 'KRW' },
      ltvToCac: '0.24',
      band: 'failing',
      explanation: 'LTV/CAC below 1: a customer brings in less margin than it cost to acquire them, so growth loses money.',
      cohorts: [{ cohort: '2027-03', customers: 4, revenue: { amount: '350000', currency: 'KRW' }, ltv: { amount: '26250', currency: 'KRW' } }],
    });

    const csv = await (await get(`/v1/analytics/unit-economics${march}`, { accept: 'text/csv' })).text();
    expect(csv.trim().split('\n')).toEqual([
      'channel,spend,currency,acquired,cac,ltv,ltvToCac,band',
      'instagram,100000,KRW,1,100000,,,',
      'naver,332000,KRW,2,166000,,,',
      'unattributed,0,KRW,1,0,,,',
      '(all),432000,KRW,4,108000,26250,0.24,failing',
    ]);
  });

  it('names each band by its thresholds', () => {
    expect(['0.99', '1', '2.99', '3', '5', '5.01'].map((r) => bandOf(new Decimal(r)))).toEqual(['failing', 'weak', 'weak', 'healthy', 'healthy', 'under-investing']);
  });
});

describe('funnel', () => {
  const june = '?from=2027-06-01&to=2027-07-01';

  beforeAll(async () => {
    const db = database.db;
    await db.customer.createMany({ data: ['f-1', 'f-2', 'f-3', 'f-4'].map((customerId) => ({ id: customerId })) });
    const at = (day: number) => new Date(Date.UTC(2027, 5, day, 10));
    let n = 0;
    const event = (type: string, who: { customerId?: string; anonymousId?: string }, day: number) => ({ idempotencyKey: `funnel-${(n += 1)}`, type, ...who, occurredAt: at(day) });
    await db.event.createMany({
      data: [
        // Awareness: six people — four customers and two visitors (one visits twice).
        ...['f-1', 'f-2', 'f-3', 'f-4'].map((customerId) => event('page_viewed', { customerId }, 2)),
        event('page_viewed', { anonymousId: 'v-1' }, 3),
        event('app_opened', { anonymousId: 'v-1' }, 4),
        event('page_viewed', { anonymousId: 'v-2' }, 3),
        // Exploration: three.
        event('product_viewed', { customerId: 'f-1' }, 5),
        event('cart_updated', { customerId: 'f-2' }, 5),
        event('product_viewed', { anonymousId: 'v-1' }, 5),
        // Recommendation: one review.
        event('review_submitted', { customerId: 'f-1' }, 20),
        // Outside the period.
        event('page_viewed', { anonymousId: 'v-3' }, 31),
      ],
    });
    await db.order.createMany({
      data: [
        { id: 'f-o0', customerId: 'f-1', total: '10000', currency: 'KRW', occurredAt: new Date('2027-01-10T00:00:00Z') }, // an earlier order: f-1 repurchases
        { id: 'f-o1', customerId: 'f-1', total: '20000', currency: 'KRW', occurredAt: at(10) },
        { id: 'f-o2', customerId: 'f-2', total: '30000', currency: 'KRW', occurredAt: at(11) },
      ],
    });
    // The cart reminder messaged f-2 in June and got the order: its conversion rate answers the exploration drop-off.
    const message = await db.message.create({
      data: { idempotencyKey: 'funnel-cart', customerId: 'f-2', journey: 'cart-reminder', workflowId: 'cart-reminder:f-2', step: 'reminder', purpose: 'marketing', template: 'cart-reminder', status: 'sent', channel: 'kakao', content: '', costCurrency: 'KRW', sentAt: at(9), convertsUntil: at(12) },
    });
    await db.conversion.create({ data: { idempotencyKey: 'order/f-o2', customerId: 'f-2', journey: 'cart-reminder', workflowId: 'cart-reminder:f-2', orderId: 'f-o2', messageId: message.id, revenue: '30000', currency: 'KRW', occurredAt: at(11) } });
  });

  it('counts people per stage, the drop-off between stages, and the journey that answers each with its conversion rate', async () => {
    const response = await get(`/v1/analytics/funnel${june}`);
    expect(response.status).toBe(200);
    const report = (await response.json()) as { stages: { stage: string; people: number; dropOff: number | null; journey: string; journeyConversionRate: number | null }[] };
    expect(report.stages.map(({ stage, people, dropOff, journey, journeyConversionRate }) => [stage, people, dropOff, journey, journeyConversionRate])).toEqual([
      ['awareness', 6, null, 'signup-nudge', null],
      ['exploration', 3, 0.5, 'cart-reminder', 1],
      ['purchase', 2, 1 - 2 / 3, 'upsell', null],
      ['repurchase', 1, 0.5, 'dormancy', null],
      ['recommendation', 1, 0, 'review-request', null],
    ]);
    const csv = (await (await get(`/v1/analytics/funnel${june}`, { accept: 'text/csv' })).text()).trim().split('\n');
    expect(csv[0]).toBe('stage,people,dropOff,journey,journeyConversionRate');
    expect(csv[2]).toBe('exploration,3,0.5,cart-reminder,1');
  });
});

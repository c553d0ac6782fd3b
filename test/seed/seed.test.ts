// The demo shop (`npm run seed`) on a real PostgreSQL, its live month played by the real worker
// and journeys on Temporal's time-skipping server: the two reference cases of DESIGN.md come out
// exactly through the analytics API, the messages are the journeys' own, the figures add up,
// the dashboard shows them (headless Chromium; the README's second screenshot), a second run is
// refused without writing anything, and a reset empties every table.
import fs from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { demoShopConfig, resetDatabase, seed, SeedRefused } from '../../src/seed/main';
import { CART_COHORT, generateShop } from '../../src/seed/shop';
import type { Summary } from '../../src/seed/summary';
import { serveAppWithoutTemporal, type ServedApp } from '../helpers/app-without-temporal';
import { useTestDatabase } from '../helpers/use-database';

const database = useTestDatabase('seed');
const apiKey = 'seed-test-key-0123456789';
// A fixed year, so the shop is the same whatever day the test runs.
const end = new Date('2026-11-27T00:00:00Z');
const period = '?from=2025-11-27&to=2026-11-27';
const quiet = () => undefined;
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOT = path.resolve(__dirname, '..', '..', 'docs', 'dashboard-demo-shop.png');

let pool: pg.Pool;
let summary: Summary;
let served: ServedApp | undefined;
const get = async <T>(route: string) => (await (await fetch(`${served!.baseUrl}${route}`, { headers: { authorization: `Bearer ${apiKey}` } })).json()) as T;

beforeAll(async () => {
  pool = database.pool;
  const config = demoShopConfig({ DATABASE_URL: database.url, API_KEYS: apiKey });
  summary = await seed({ databaseUrl: database.url, config, reset: false, end, log: quiet });
  served = await serveAppWithoutTemporal({ db: database.db, pool, config, unsubscribeSecret: 'seed-secret-0123456789abcdef' });
}, 20 * 60_000);

afterAll(async () => {
  await served?.close();
});

describe('demo shop', () => {
  it('is the same shop every time (seeded random)', () => {
    const a = generateShop(end);
    const b = generateShop(end);
    expect(b.customers).toEqual(a.customers);
    expect(b.live.map((bundle) => bundle.events)).toEqual(a.live.map((bundle) => bundle.events));
    expect(b.spend).toEqual(a.spend);
  });

  it('reproduces the cart case through GET /v1/analytics/journeys: 3,040 FriendTalk reminders, 9,324 KRW, 2,968,312 KRW, ROAS 31,835%', async () => {
    const { journeys } = await get<{ journeys: { journey: string; recipients: number; sent: number; converted: number; revenue: { amount: string }; cost: { total: { amount: string } }; roasPercent: number }[] }>(`/v1/analytics/journeys${period}`);
    const cart = journeys.find((j) => j.journey === 'cart-reminder')!;
    expect(cart).toMatchObject({ recipients: CART_COHORT, sent: CART_COHORT, converted: 100, revenue: { amount: '2968312' }, cost: { total: { amount: '9323.984' } }, roasPercent: 31_835 });
    // Every reminder went out on FriendTalk, from the journey's own workflow, in the live month.
    const { rows } = await pool.query<{ variant: string; n: number; own: number; first: Date; last: Date }>(
      `SELECT variant, count(*)::int AS n, count(*) FILTER (WHERE "workflowId" = 'cart-reminder:' || "customerId")::int AS own, min("sentAt") AS first, max("sentAt") AS last
       FROM "Message" WHERE journey = 'cart-reminder' AND status = 'sent' GROUP BY variant`,
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ variant: 'friendtalk', n: CART_COHORT, own: CART_COHORT });
    expect(rows[0].first.getTime()).toBeGreaterThan(end.getTime() - 30 * 86_400_000);
    expect(rows[0].last.getTime()).toBeLessThan(end.getTime());
    // The other journeys ran too.
    for (const journey of ['upsell', 'review-request', 'signup-nudge']) expect(journeys.find((j) => j.journey === journey)?.sent ?? 0).toBeGreaterThan(10);
  });

  it('reproduces the RFM campaign case through GET /v1/analytics/campaigns: 513,865 KRW with coupons, 4,765,121 KRW, ROAS 927%', async () => {
    const { campaigns } = await get<{ campaigns: { campaign: string; sent: number; revenue: { amount: string }; cost: { messages: { amount: string }; coupons: { amount: string }; total: { amount: string } }; roasPercent: number; lift: { control: { customers: number } } | null }[] }>(`/v1/analytics/campaigns${period}`);
    expect(campaigns).toHaveLength(1);
    const [campaign] = campaigns;
    expect(campaign).toMatchObject({ revenue: { amount: '4765121' }, roasPercent: 927 });
    expect(Math.round(Number(campaign.cost.total.amount))).toBe(513_865);
    expect(Number(campaign.cost.coupons.amount)).toBeGreaterThan(500_000);
    expect(campaign.lift!.control.customers).toBeGreaterThan(0);
    // Its audience came from the RFM scores of the four segments.
    const { rows } = await pool.query<{ segment: string }>(
      `SELECT DISTINCT s.segment FROM "CampaignRecipient" r JOIN "CustomerRfm" s ON s."customerId" = r."customerId" WHERE r."campaignId" = $1 ORDER BY 1`,
      [campaign.campaign],
    );
    expect(rows.map((r) => r.segment).every((segment) => ['at risk', 'champions', 'need attention', 'potential loyalist'].includes(segment))).toBe(true);
  });

  it('adds up: journeys and the campaign together credit each attributed order once, for the sum of their totals', async () => {
    const { journeys } = await get<{ journeys: { revenue: { amount: string }; orders: number }[] }>(`/v1/analytics/journeys${period}`);
    const { campaigns } = await get<{ campaigns: { revenue: { amount: string }; orders: number }[] }>(`/v1/analytics/campaigns${period}`);
    const credited = [...journeys, ...campaigns];
    const { rows } = await pool.query<{ orders: number; revenue: string }>(
      `SELECT count(*)::int AS orders, sum(o.total)::text AS revenue FROM "Order" o WHERE o.id IN (SELECT "orderId" FROM "Conversion" WHERE "orderId" IS NOT NULL)`,
    );
    expect(credited.reduce((sum, row) => sum + row.orders, 0)).toBe(rows[0].orders);
    expect(credited.reduce((sum, row) => sum + Number(row.revenue.amount), 0)).toBe(Number(rows[0].revenue));
  });

  it('is a plausible shop: ~10,000 customers with consents and time zones, repeat buyers, a year of events, spend per channel, RFM scores', async () => {
    const { rows } = await pool.query<Record<string, number>>(`
      SELECT (SELECT count(*) FROM "Customer")::int AS customers,
             (SELECT count(DISTINCT "customerId") FROM "ConsentChange")::int AS consenting,
             (SELECT count(DISTINCT timezone) FROM "Customer")::int AS zones,
             (SELECT count(*) FROM (SELECT 1 FROM "Order" GROUP BY "customerId" HAVING count(*) >= 2) x)::int AS repeaters,
             (SELECT count(DISTINCT "customerId") FROM "Order")::int AS buyers,
             (SELECT count(DISTINCT date_trunc('month', "occurredAt")) FROM "Event" WHERE "occurredAt" >= '2025-11-27')::int AS months,
             (SELECT count(DISTINCT channel) FROM "AcquisitionSpend")::int AS channels,
             (SELECT count(*) FROM "CustomerRfm")::int AS scored`);
    const shop = rows[0];
    expect(shop.customers).toBeGreaterThanOrEqual(10_000);
    expect(shop.consenting).toBe(shop.customers);
    expect(shop.zones).toBeGreaterThanOrEqual(3);
    expect(shop.repeaters / shop.buyers).toBeGreaterThan(0.2);
    expect(shop.repeaters / shop.buyers).toBeLessThan(0.8);
    expect(shop.months).toBeGreaterThanOrEqual(12);
    expect(shop.channels).toBe(4);
    expect(shop.scored).toBeGreaterThan(5_000);
    // The long-lived journeys' deliveries wait for `npm start`'s dispatcher; every other one was made.
    const { rows: left } = await pool.query<{ journey: string }>(`SELECT DISTINCT journey FROM "EventDelivery" WHERE "deliveredAt" IS NULL ORDER BY 1`);
    expect(left.map((row) => row.journey)).toEqual(['consent-reconfirmation', 'dormancy']);
    expect(summary.text).toContain('31,835%');
    expect(summary.text).toContain('927%');
  });

  it('shows the shop on the dashboard: the two reference cases, the funnel, LTV/CAC and the RFM grid', async () => {
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    try {
      const page = await (await browser.newContext({ viewport: { width: 1400, height: 1300 } })).newPage();
      await page.goto(`${served!.baseUrl}/dashboard/login`);
      await page.fill('input[name=key]', apiKey);
      await Promise.all([page.waitForURL(`${served!.baseUrl}/dashboard`), page.click('button[type=submit]')]);
      // The first load (the last 30 days) sets the period fields when it lands: let it, then pick the year.
      await page.waitForFunction(() => document.body.dataset.loaded === 'true');
      await page.evaluate(() => delete document.body.dataset.loaded);
      await page.fill('input[name=from]', '2025-11-27');
      await page.fill('input[name=to]', '2026-11-27');
      await page.click('#period button[type=submit]');
      await page.waitForFunction(() => document.body.dataset.loaded === 'true' && (document.querySelector('input[name=from]') as HTMLInputElement).value === '2025-11-27');
      await page.waitForFunction(() => document.querySelector('[data-cell="roas:cart-reminder"]') !== null);
      expect(await page.textContent('[data-cell="roas:cart-reminder"]')).toBe('31,835%');
      expect(await page.textContent(`[data-cell="roas:${summary.campaign.campaign}"]`)).toBe('927%');
      expect(Number((await page.textContent('[data-cell="people:purchase"]'))!.replace(/,/g, ''))).toBeGreaterThan(1_000);
      expect(await page.textContent('[data-cell="ltv-cac"]')).toMatch(/^\d+(\.\d+)? \(\w+\)$/);
      expect(await page.evaluate(() => document.querySelectorAll('[data-cell^="rfm:"]').length)).toBe(25);
      fs.mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
      expect(fs.statSync(SCREENSHOT).size).toBeGreaterThan(20_000);
    } finally {
      await browser.close();
    }
  });

  it('refuses a second run without writing anything, and a reset empties every table but the migrations', async () => {
    const count = async () => (await pool.query<{ n: number }>(`SELECT (SELECT count(*) FROM "Customer") + (SELECT count(*) FROM "Event") + (SELECT count(*) FROM "Message") AS n`)).rows[0].n;
    const before = await count();
    await expect(seed({ databaseUrl: database.url, config: loadConfig({ DATABASE_URL: database.url }), reset: false, end, log: quiet })).rejects.toThrow(SeedRefused);
    expect(await count()).toBe(before);
    await resetDatabase(database.url);
    expect(Number(await count())).toBe(0);
    expect((await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM "_prisma_migrations"`)).rows[0].n).toBeGreaterThan(5);
  });
});

/// <reference lib="dom" />
// The marketers' dashboard in headless Chromium (playwright-core, Debian chromium: TOOLCHAIN §6)
// against the app on a real PostgreSQL: the login refuses a wrong key and sets a strict HttpOnly
// session cookie for a right one; the page loads with seeded data and shows the API's numbers;
// the test saves the README's screenshot (docs/dashboard.png).
import fs from 'node:fs';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import type pg from 'pg';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConversionActivities } from '../../activities/conversions';
import { loadConfig } from '../../src/config';
import { serveAppWithoutTemporal, type ServedApp } from '../helpers/app-without-temporal';
import { useTestDatabase } from '../helpers/use-database';

const database = useTestDatabase('dashboard');
const apiKey = 'dashboard-test-key-0123456789';
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOT = path.resolve(__dirname, '..', '..', 'docs', 'dashboard.png');
const DAY = 86_400_000;
const period = '?from=2026-11-01&to=2026-12-01';

let pool: pg.Pool;
let served: ServedApp | undefined;
let base: string;
let browser: Browser;

beforeAll(async () => {
  const db = database.db;
  pool = database.pool;
  const id = (i: number) => `d-${String(i).padStart(3, '0')}`;
  await db.customer.createMany({ data: Array.from({ length: 120 }, (_, i) => ({ id: id(i), attributes: { acquisitionChannel: i % 3 ? 'naver' : 'instagram' } })) });
  const sentAt = new Date('2026-11-10T03:00:00Z');
  const message = (i: number, journey: string, channel: 'kakao' | 'email', cost: string, at: Date) => ({
    idempotencyKey: `${journey}/${id(i)}`, customerId: id(i), journey, workflowId: `${journey}:${id(i)}`, step: 'send', purpose: 'marketing' as const, template: journey,
    status: 'sent' as const, channel, variant: channel === 'kakao' ? 'friendtalk' : 'email', content: '', cost, costCurrency: 'KRW', sentAt: at, convertsUntil: new Date(at.getTime() + 3 * DAY), createdAt: at,
  });
  await db.message.createMany({ data: Array.from({ length: 100 }, (_, i) => message(i, 'cart-reminder', 'kakao', '3.07', sentAt)) });
  await db.message.createMany({ data: Array.from({ length: 40 }, (_, i) => message(i, 'upsell', 'email', '0.3', new Date(sentAt.getTime() + 5 * DAY))) });
  // Orders: the first order of 30 customers a day after the reminder; 10 of them order again after the upsell.
  const orders = [
    ...Array.from({ length: 30 }, (_, i) => ({ id: `o-${id(i)}`, customerId: id(i), total: String(20_000 + 1_000 * i), currency: 'KRW', occurredAt: new Date(sentAt.getTime() + DAY) })),
    ...Array.from({ length: 10 }, (_, i) => ({ id: `o2-${id(i)}`, customerId: id(i), total: '35000', currency: 'KRW', occurredAt: new Date(sentAt.getTime() + 7 * DAY) })),
  ];
  await db.order.createMany({ data: orders });
  const { attributeOrder } = createConversionActivities({ db, pool, providers: {} as never, messaging: {} as never });
  for (const order of orders) await new MockActivityEnvironment().run(attributeOrder, { orderId: order.id });
  // Visits and product views for the funnel; signups with channels for CAC.
  await db.event.createMany({
    data: [
      ...Array.from({ length: 120 }, (_, i) => ({ idempotencyKey: `view-${i}`, type: 'page_viewed', customerId: id(i), occurredAt: new Date(sentAt.getTime() - DAY) })),
      ...Array.from({ length: 80 }, (_, i) => ({ idempotencyKey: `product-${i}`, type: 'product_viewed', customerId: id(i), occurredAt: new Date(sentAt.getTime() - DAY) })),
      ...Array.from({ length: 5 }, (_, i) => ({ idempotencyKey: `review-${i}`, type: 'review_submitted', customerId: id(i), occurredAt: new Date(sentAt.getTime() + 9 * DAY) })),
    ],
  });
  await db.acquisitionSpend.createMany({
    data: [
      { channel: 'naver', from: new Date('2026-11-01'), to: new Date('2026-11-30'), amount: '400000', currency: 'KRW' },
      { channel: 'instagram', from: new Date('2026-11-01'), to: new Date('2026-11-30'), amount: '150000', currency: 'KRW' },
    ],
  });
  // RFM scores for the heat map.
  await db.customerRfm.createMany({
    data: Array.from({ length: 120 }, (_, i) => ({ customerId: id(i), r: 1 + (i % 5), f: 1 + ((i * 7) % 5), m: 1 + ((i * 7) % 5), segment: 'loyal', recencyDays: 10, orders: 1, revenue: String(10_000 * (1 + (i % 4))), currency: 'KRW', scoredAt: new Date() })),
  });

  const config = loadConfig({ DATABASE_URL: database.url, API_KEYS: apiKey });
  served = await serveAppWithoutTemporal({ db: db, pool, config, unsubscribeSecret: 'dashboard-secret-0123456789abcdef' });
  base = served.baseUrl;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
});

afterAll(async () => {
  await browser?.close();
  await served?.close();
});

const api = async <T>(route: string) => (await (await fetch(`${base}${route}`, { headers: { authorization: `Bearer ${apiKey}` } })).json()) as T;

describe('dashboard', () => {
  it('sends a visitor without a session to the login, and refuses a wrong key without setting a cookie', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${base}/dashboard${period}`);
    expect(new URL(page.url()).pathname).toBe('/dashboard/login');
    await page.fill('input[name=key]', 'not-the-key');
    const [response] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/dashboard/login') && r.request().method() === 'POST'), page.click('button[type=submit]')]);
    expect(response.status()).toBe(401);
    expect(await page.textContent('[role=alert]')).toContain('not an admin key');
    expect(await context.cookies()).toEqual([]);
    // The data behind the page is closed too.
    expect((await fetch(`${base}/dashboard/data${period}`)).status).toBe(401);
    await context.close();
  });

  it('keeps a period typed while the first load is still on its way (its late answer does not overwrite it)', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route('**/dashboard/data**', async (route) => {
      await held;
      await route.continue();
    });
    await page.goto(`${base}/dashboard/login`);
    await page.fill('input[name=key]', apiKey);
    await Promise.all([page.waitForURL(`${base}/dashboard`), page.click('button[type=submit]')]);
    await page.fill('input[name=from]', '2026-11-01');
    await page.fill('input[name=to]', '2026-12-01');
    release();
    await page.waitForFunction(() => document.body.dataset.loaded === 'true');
    expect(await page.inputValue('input[name=from]')).toBe('2026-11-01');
    expect(await page.inputValue('input[name=to]')).toBe('2026-12-01');
    await context.close();
  });

  it('signs in with an admin key (a strict HttpOnly cookie, no key in any URL) and shows the numbers the API gives', async () => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1300 } });
    const page = await context.newPage();
    const urls: string[] = [];
    page.on('request', (request) => urls.push(request.url()));
    await page.goto(`${base}/dashboard/login`);
    await page.fill('input[name=key]', apiKey);
    await Promise.all([page.waitForURL(`${base}/dashboard`), page.click('button[type=submit]')]);
    const [cookie] = await context.cookies();
    expect(cookie).toMatchObject({ name: 'crm_dashboard', httpOnly: true, sameSite: 'Strict', path: '/dashboard' });
    expect(cookie.value).not.toContain(apiKey);

    await page.fill('input[name=from]', '2026-11-01');
    await page.fill('input[name=to]', '2026-12-01');
    await page.click('#period button[type=submit]');
    await page.waitForFunction(() => document.body.dataset.loaded === 'true' && (document.querySelector('input[name=from]') as HTMLInputElement).value === '2026-11-01');
    await page.waitForFunction(() => document.querySelector('[data-cell="roas:upsell"]') !== null);

    const shown = (cell: string) => page.textContent(`[data-cell="${cell}"]`);
    const number = (n: number | string) => Number(n).toLocaleString('en-US', { maximumFractionDigits: 0 });
    const journeys = await api<{ journeys: { journey: string; roasPercent: number; revenue: { amount: string; currency: string } }[] }>(`/v1/analytics/journeys${period}`);
    expect(journeys.journeys.map((j) => j.journey)).toEqual(['cart-reminder', 'upsell']);
    for (const j of journeys.journeys) {
      expect(await shown(`roas:${j.journey}`)).toBe(`${number(j.roasPercent)}%`);
      expect(await shown(`revenue:${j.journey}`)).toBe(`${number(j.revenue.amount)} KRW`);
    }
    const channels = await api<{ channels: { channel: string; roasPercent: number }[] }>(`/v1/analytics/channels${period}`);
    for (const c of channels.channels) expect(await shown(`roas:${c.channel}`)).toBe(`${number(c.roasPercent)}%`);
    const funnel = await api<{ stages: { stage: string; people: number }[] }>(`/v1/analytics/funnel${period}`);
    for (const s of funnel.stages) expect(await shown(`people:${s.stage}`)).toBe(number(s.people));
    const economics = await api<{ ltvToCac: string; band: string; byChannel: { channel: string; cac: { amount: string } | null }[] }>(`/v1/analytics/unit-economics${period}`);
    expect(await shown('ltv-cac')).toBe(`${economics.ltvToCac} (${economics.band})`);
    for (const c of economics.byChannel) expect(await shown(`cac:${c.channel}`)).toBe(c.cac ? `${number(c.cac.amount)} KRW` : '—');
    // The RFM heat map: R 1, FM 1 holds the customers whose i ≡ 0 (mod 5) and i·7 ≡ 0 (mod 5): 24.
    expect((await shown('rfm:1:1'))?.startsWith('24')).toBe(true);
    // Each journey links to its list in the Temporal Web UI.
    expect(await page.getAttribute('#journeys a', 'href')).toBe('http://localhost:8233/namespaces/default/workflows?query=Journey%3D%22cart-reminder%22');
    // Both charts drew (Chart.js from the app itself), and nothing left the app's origin or carried the key.
    expect(await page.evaluate(() => Array.from(document.querySelectorAll('canvas')).every((canvas) => canvas.width > 0))).toBe(true);
    expect(urls.every((url) => url.startsWith(base))).toBe(true);
    expect(urls.some((url) => url.includes(apiKey))).toBe(false);

    fs.mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(fs.statSync(SCREENSHOT).size).toBeGreaterThan(20_000);
    await context.close();
  });
});

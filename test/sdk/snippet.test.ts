/// <reference lib="dom" />
// The website snippet (GET /sdk.js) in headless Chromium (playwright-core, Debian chromium), on
// shop pages this test serves from their own origin, against the real stack (dev server, worker,
// dispatcher, API, PostgreSQL): the first-party cookie and page views, the signup nudge as a
// popup (screenshot for the README), its tracked button, identify, consent, and origins.
import http from 'node:http';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, freePort, startStack, TEST_API_KEY, type Stack } from '../helpers/stack';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOT = path.resolve(__dirname, '..', '..', 'docs', 'snippet-popup.png');

let stack: Stack;
let browser: Browser;
let shop: http.Server;
let other: http.Server;
let api: string;
let shopOrigin: string;
let otherOrigin: string;
let ingestKey: string;

/** A shop page: the snippet as the README shows it, plus what the test needs to see. */
function page(title: string, attributes = ''): string {
  return `<!doctype html><html lang="ko"><head><meta charset="utf-8"><title>${title}</title>
<style>body{font:16px system-ui;margin:40px;background:#f3f4f6} .hero{background:#fff;padding:32px;border-radius:12px}</style>
<script src="${api}/sdk.js" data-key="${ingestKey}" ${attributes} async></script></head>
<body><div class="hero"><h1>${title}</h1><p>린넨 셔츠 39,000원 · 울 양말 9,000원</p><button id="buy">Buy</button></div></body></html>`;
}

function serveShop(routes: Record<string, string | (() => string)>): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const route = routes[(req.url ?? '/').split('?')[0]];
    if (!route) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(typeof route === 'function' ? route() : route);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const port = (server: http.Server) => (server.address() as { port: number }).port;

beforeAll(async () => {
  const apiPort = await freePort();
  api = `http://127.0.0.1:${apiPort}`;
  const routes = {
    '/': () => page('데모 상점'),
    '/products/p-1': () => page('린넨 셔츠'),
    '/signup': () => page('가입하기'),
    '/consent-required': () => page('동의가 필요한 상점', 'data-consent="required"'),
  };
  shop = await serveShop(routes);
  other = await serveShop(routes);
  // localhost vs 127.0.0.1: the shop is another site than the API, as in production.
  shopOrigin = `http://localhost:${port(shop)}`;
  otherOrigin = `http://localhost:${port(other)}`;
  stack = await startStack({
    env: {
      PORT: String(apiPort),
      PUBLIC_URL: api,
      SHOP_URL: shopOrigin,
      ALLOWED_ORIGINS: shopOrigin,
      SIGNUP_NUDGE_MIN_VIEWS: '2',
      SIGNUP_NUDGE_DELAY: '2s',
    },
  });
  const made = await stack.api<{ key: string }>('POST', '/v1/keys', { name: 'shop website', scope: 'ingest' });
  ingestKey = made.body.key;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  await new Promise((resolve) => shop?.close(resolve));
  await new Promise((resolve) => other?.close(resolve));
});

async function visitorId(context: BrowserContext): Promise<string> {
  return eventually(async () => {
    const cookie = (await context.cookies(shopOrigin)).find((c) => c.name === 'crm_aid');
    expect(cookie).toBeDefined();
    return cookie!.value;
  });
}

const eventsOf = (anonymousId: string) => stack.db.event.findMany({ where: { anonymousId }, orderBy: { occurredAt: 'asc' } });

/** Page views until the signup nudge's message is waiting for this visitor. */
async function nudged(page: Page, anonymousId: string): Promise<void> {
  await eventually(
    async () => {
      const message = await stack.db.message.findFirst({ where: { visitorId: anonymousId, journey: 'signup-nudge', status: 'sent' } });
      expect(message).not.toBeNull();
    },
    { timeoutMs: 60_000, intervalMs: 250 },
  );
  await page.goto(`${shopOrigin}/`);
}

describe('the website snippet', () => {
  it('serves /sdk.js small, cacheable by its content hash, and loadable from other sites', async () => {
    const response = await fetch(`${api}/sdk.js`, { headers: { 'accept-encoding': 'identity' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('javascript');
    expect(response.headers.get('cache-control')).toContain('max-age=86400');
    expect(response.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    const etag = response.headers.get('etag')!;
    expect(etag).toMatch(/^"[\w-]{27}"$/);
    const code = await response.text();
    const { gzipSync } = await import('node:zlib');
    expect(gzipSync(code).length).toBeLessThan(6 * 1024);
    expect((await fetch(`${api}/sdk.js`, { headers: { 'if-none-match': etag } })).status).toBe(304);
  });

  it('keeps a first-party anonymousId, sends page views with it, shows the signup nudge as an accessible popup whose button records the click, and never shows it again', { timeout: 120_000 }, async () => {
    const context = await browser.newContext({ viewport: { width: 900, height: 640 } });
    const page = await context.newPage();
    await page.goto(`${shopOrigin}/?utm_source=naver&utm_campaign=winter`);
    const anonymousId = await visitorId(context);
    const cookie = (await context.cookies(shopOrigin)).find((c) => c.name === 'crm_aid')!;
    expect(cookie).toMatchObject({ sameSite: 'Lax', path: '/', httpOnly: false });
    expect(cookie.expires - Date.now() / 1000).toBeGreaterThan(364 * 86_400);
    // The second page view leaves the first page: its events go by sendBeacon if still queued.
    await page.goto(`${shopOrigin}/products/p-1`);
    expect(await visitorId(context)).toBe(anonymousId);
    const views = await eventually(async () => {
      const events = await eventsOf(anonymousId);
      expect(events.filter((e) => e.type === 'page_viewed')).toHaveLength(2);
      return events;
    });
    expect(views.map((e) => (e.properties as { path: string }).path)).toEqual(['/', '/products/p-1']);
    expect(views[0].properties).toMatchObject({ title: '데모 상점', utm_source: 'naver', utm_campaign: 'winter' });

    await nudged(page, anonymousId);
    const dialog = page.getByRole('dialog');
    await expect.poll(() => dialog.count(), { timeout: 10_000 }).toBe(1);
    expect(await dialog.getAttribute('aria-modal')).toBe('true');
    await expect.poll(() => dialog.getByRole('heading').textContent()).toContain('가입하면');
    // Focus is in the dialog and stays there.
    const focused = () => page.evaluate(() => document.querySelector('[data-crm-message]')?.shadowRoot?.activeElement?.textContent ?? null);
    expect(await focused()).toBe('지금 가입하기');
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('×');
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('지금 가입하기');
    await page.screenshot({ path: SCREENSHOT });

    await dialog.getByRole('link', { name: '지금 가입하기' }).click();
    await page.waitForURL(`${shopOrigin}/signup`);
    const message = await stack.db.message.findFirstOrThrow({ where: { visitorId: anonymousId, journey: 'signup-nudge' } });
    expect(message.clickedAt).not.toBeNull();
    expect(message.shownAt).not.toBeNull();
    expect((await eventsOf(anonymousId)).some((e) => e.type === 'message_clicked' && (e.properties as { messageId: string }).messageId === message.id)).toBe(true);

    // Back on the shop: the message is not shown again.
    await page.goto(`${shopOrigin}/`);
    await page.waitForTimeout(1500);
    expect(await page.locator('[data-crm-message]').count()).toBe(0);

    // Signing up links the visitor: the customer's record shows the earlier visits.
    await page.evaluate(() => window.crm!.identify('c-web-1'));
    const customer = await eventually(async () => {
      const answer = await stack.api<{ recentEvents: { type: string; anonymousId: string | null; properties: { path?: string } }[] }>('GET', '/v1/customers/c-web-1');
      expect(answer.status).toBe(200);
      expect(answer.body.recentEvents.some((e) => e.type === 'signed_up')).toBe(true);
      return answer.body;
    });
    const earlier = customer.recentEvents.filter((e) => e.type === 'page_viewed' && e.anonymousId === anonymousId).map((e) => e.properties.path);
    expect(earlier).toEqual(expect.arrayContaining(['/', '/products/p-1', '/signup']));
    await context.close();
  });

  it('closes a popup with Esc and gives focus back to the page', { timeout: 120_000 }, async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${shopOrigin}/`);
    const anonymousId = await visitorId(context);
    await page.goto(`${shopOrigin}/products/p-1`);
    await page.focus('#buy');
    await nudged(page, anonymousId);
    await page.focus('#buy').catch(() => undefined);
    await expect.poll(() => page.getByRole('dialog').count(), { timeout: 10_000 }).toBe(1);
    await page.keyboard.press('Escape');
    expect(await page.getByRole('dialog').count()).toBe(0);
    expect(await page.evaluate(() => document.querySelector('[data-crm-message]'))).toBeNull();
    await context.close();
  });

  it('with data-consent="required" sets no cookie and sends nothing until consent, then sends the page view', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const toApi: string[] = [];
    page.on('request', (request) => {
      if (request.url().startsWith(api) && !request.url().endsWith('/sdk.js')) toApi.push(request.url());
    });
    await page.goto(`${shopOrigin}/consent-required`);
    await page.waitForFunction(() => window.crm !== undefined);
    await page.evaluate(() => window.crm!.track('product_viewed', { productId: 'p-1' }));
    await page.waitForTimeout(2000);
    expect(toApi).toEqual([]);
    expect((await context.cookies(shopOrigin)).some((c) => c.name === 'crm_aid')).toBe(false);
    expect(await page.evaluate(() => window.crm!.anonymousId())).toBeUndefined();

    await page.evaluate(() => window.crm!.consent({ analytics: true }));
    const anonymousId = await visitorId(context);
    await eventually(async () => {
      const events = await eventsOf(anonymousId);
      expect(events.map((e) => e.type)).toEqual(['page_viewed']);
    });
    expect(toApi.some((url) => url.endsWith('/v1/events'))).toBe(true);
    await context.close();
  });

  it('is refused for a site outside ALLOWED_ORIGINS (nothing stored), and refuses an admin key from an allowed site with a reason', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${otherOrigin}/`);
    await page.waitForFunction(() => window.crm?.anonymousId() !== undefined);
    const anonymousId = (await page.evaluate(() => window.crm!.anonymousId()))!;
    await page.evaluate(() => window.crm!.flush());
    // Leaving the page sends anything left by beacon (a request CORS does not stop): refused too.
    await page.goto('about:blank');
    await page.waitForTimeout(1500);
    expect(await eventsOf(anonymousId)).toEqual([]);

    const shopPage = await context.newPage();
    await shopPage.goto(`${shopOrigin}/`);
    const answer = await shopPage.evaluate(async ({ url, key }) => {
      const response = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ type: 'page_viewed', anonymousId: 'v-admin' }) });
      return { status: response.status, body: (await response.json()) as { error: { code: string; message: string } } };
    }, { url: `${api}/v1/events`, key: TEST_API_KEY });
    expect(answer.status).toBe(403);
    expect(answer.body.error.message).toContain('ingest key');
    expect(await eventsOf('v-admin')).toEqual([]);
    await context.close();
  });
});

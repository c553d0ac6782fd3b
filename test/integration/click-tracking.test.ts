// GET /r/:token over real HTTP on a real PostgreSQL database: the tracked link in a rendered
// message redirects to its destination, records the click as an event and the message's first
// click; a token that does not verify or names no message is a 400 that redirects nowhere.
// (No Temporal: the route never calls it, so the app gets placeholders for its client.)
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { clickToken, clickUrl } from '../../src/messaging/links';
import { renderTemplate } from '../../src/messaging/templates';
import { serveAppWithoutTemporal, type ServedApp } from '../helpers/app-without-temporal';
import { useTestDatabase } from '../helpers/use-database';

const database = useTestDatabase('click_tracking');
const secret = 'click-test-secret-0123456789abcdef';
const shopUrl = 'https://myshop.example.org';
let pool: pg.Pool;
let served: ServedApp | undefined;
let baseUrl: string;

beforeAll(async () => {
  pool = database.pool;
  const config = loadConfig({ DATABASE_URL: database.url, API_KEYS: 'click-test-key-0123456789', SHOP_URL: shopUrl });
  served = await serveAppWithoutTemporal({ db: database.db, pool, config, unsubscribeSecret: secret });
  baseUrl = served.baseUrl;
});
afterAll(async () => {
  await served?.close();
});

/** A sent cart reminder to `customerId` (or to an anonymous visitor), as the send activity records it. */
async function sentMessage(key: string, subject: { customerId: string } | { visitorId: string }) {
  if ('customerId' in subject) await database.db.customer.upsert({ where: { id: subject.customerId }, create: { id: subject.customerId }, update: {} });
  return database.db.message.create({
    data: {
      idempotencyKey: key,
      ...subject,
      journey: 'cart-reminder',
      workflowId: key.split('/')[0],
      step: 'reminder',
      template: 'cart-reminder',
      channel: 'kakao',
      purpose: 'marketing',
      content: 'placeholder',
      status: 'sent',
      sentAt: new Date(),
      costCurrency: 'KRW',
    },
  });
}

/** GET without following the redirect, and without an API key (customers have none). */
const click = (url: string) => fetch(url, { redirect: 'manual' });

const clicksOf = (messageId: string) =>
  database.db.event.findMany({ where: { type: 'message_clicked', properties: { path: ['messageId'], equals: messageId } }, orderBy: { occurredAt: 'asc' } });

describe('GET /r/:token', () => {
  it('redirects the link of a rendered message to its destination, sets clickedAt and stores a message_clicked event', async () => {
    const key = 'cart-reminder:c-click/run-1/reminder';
    const message = await sentMessage(key, { customerId: 'c-click' });
    const content = await renderTemplate('cart-reminder', 'en', {
      customer: { name: 'Jane' },
      cart: { items: [{ productId: 'p-1', name: 'Linen shirt', quantity: 1 }], value: 25_000 },
      shopUrl,
      tracking: { secret, publicUrl: baseUrl, messageKey: key },
    });
    const link = new RegExp(`${baseUrl}/r/\\S+`).exec(content)?.[0];
    expect(link).toBeDefined();

    const before = new Date();
    const response = await click(link!);
    const after = new Date();
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe(`${shopUrl}/cart`);

    const { clickedAt } = await database.db.message.findUniqueOrThrow({ where: { id: message.id } });
    expect(clickedAt!.getTime()).toBeGreaterThanOrEqual(before.getTime());
    expect(clickedAt!.getTime()).toBeLessThanOrEqual(after.getTime());
    const events = await clicksOf(message.id);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      customerId: 'c-click',
      anonymousId: null,
      occurredAt: clickedAt,
      properties: { messageId: message.id, journey: 'cart-reminder', workflowId: 'cart-reminder:c-click', url: `${shopUrl}/cart` },
    });
  });

  it('stores a second click as another event and keeps the first clickedAt', async () => {
    const key = 'cart-reminder:c-twice/run-1/reminder';
    const message = await sentMessage(key, { customerId: 'c-twice' });
    const link = clickUrl(baseUrl, clickToken(secret, { messageKey: key, url: `${shopUrl}/cart` }));

    expect((await click(link)).status).toBe(302);
    const first = (await database.db.message.findUniqueOrThrow({ where: { id: message.id } })).clickedAt;
    expect(first).not.toBeNull();
    await new Promise((resolve) => setTimeout(resolve, 20)); // a later click has a later time
    expect((await click(link)).status).toBe(302);

    expect((await database.db.message.findUniqueOrThrow({ where: { id: message.id } })).clickedAt).toEqual(first);
    const events = await clicksOf(message.id);
    expect(events).toHaveLength(2);
    expect(events[1].occurredAt.getTime()).toBeGreaterThan(first!.getTime());
  });

  it("records a click on an anonymous visitor's message under the visitor's anonymousId", async () => {
    const key = 'signup-nudge:v-click/run-1/popup';
    const message = await sentMessage(key, { visitorId: 'v-click' });
    const response = await click(clickUrl(baseUrl, clickToken(secret, { messageKey: key, url: `${shopUrl}/signup` })));
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe(`${shopUrl}/signup`);
    expect(await clicksOf(message.id)).toEqual([expect.objectContaining({ customerId: null, anonymousId: 'v-click' })]);
  });

  it('answers 400 with the API error body and no Location for a tampered token, and records nothing', async () => {
    const key = 'cart-reminder:c-tamper/run-1/reminder';
    const message = await sentMessage(key, { customerId: 'c-tamper' });
    const token = clickToken(secret, { messageKey: key, url: `${shopUrl}/cart` });
    const [payload, signature] = token.split('.');
    // The destination changed under the original signature; the signature changed; another secret.
    const elsewhere = Buffer.from(JSON.stringify({ m: key, u: 'https://evil.example.net/' })).toString('base64url');
    const tampered = [
      `${elsewhere}.${signature}`,
      `${payload}.${signature.slice(0, -1)}${signature.endsWith('A') ? 'B' : 'A'}`,
      clickToken('another-secret-0123456789abcdef', { messageKey: key, url: `${shopUrl}/cart` }),
      'not-a-token',
    ];
    for (const bad of tampered) {
      const response = await click(clickUrl(baseUrl, bad));
      expect(response.status).toBe(400);
      expect(response.headers.get('location')).toBeNull();
      expect(await response.json()).toEqual({ error: { code: 'invalid_token', message: 'this link is not valid' } });
    }
    expect((await database.db.message.findUniqueOrThrow({ where: { id: message.id } })).clickedAt).toBeNull();
    expect(await clicksOf(message.id)).toEqual([]);
  });

  it('answers 400 with no Location for a correctly signed token naming no message, and records nothing', async () => {
    const eventsBefore = await database.db.event.count({ where: { type: 'message_clicked' } });
    const response = await click(clickUrl(baseUrl, clickToken(secret, { messageKey: 'cart-reminder:c-nobody/run-1/reminder', url: `${shopUrl}/cart` })));
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
    expect(await response.json()).toEqual({ error: { code: 'invalid_token', message: 'this link is not valid' } });
    expect(await database.db.event.count({ where: { type: 'message_clicked' } })).toBe(eventsBefore);
  });
});

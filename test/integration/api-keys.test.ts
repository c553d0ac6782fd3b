// Keys and access on the real app and a real PostgreSQL: stored keys with scopes (401 / 403),
// shown once and kept hashed, revocation; per-key rate limits shared by two app instances
// (429 with Retry-After); body limits (413, nothing written); security headers, request ids;
// CORS for the browser routes from ALLOWED_ORIGINS only; the dashboard takes admin keys only.
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { serveAppWithoutTemporal, type ServedApp } from '../helpers/app-without-temporal';
import { useTestDatabase } from '../helpers/use-database';

const database = useTestDatabase('api-keys');
const ADMIN = 'api-keys-test-admin-0123456789';
const SHOP = 'https://shop.example.com';

let pool: pg.Pool;
const served: ServedApp[] = [];

async function serve(env: Record<string, string> = {}): Promise<string> {
  const config = loadConfig({ DATABASE_URL: database.url, API_KEYS: ADMIN, UNSUBSCRIBE_SECRET: 'api-keys-test-secret-0123456789', ALLOWED_ORIGINS: SHOP, ...env });
  const app = await serveAppWithoutTemporal({ db: database.db, pool, config, unsubscribeSecret: config.messaging.unsubscribeSecret! });
  served.push(app);
  return app.baseUrl;
}

function call(base: string, method: string, path: string, key?: string, body?: unknown, headers: Record<string, string> = {}) {
  return fetch(`${base}${path}`, {
    method,
    headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
}

async function json<T = Record<string, unknown>>(response: Response): Promise<{ status: number; body: T }> {
  return { status: response.status, body: (await response.json()) as T };
}

let base: string;

const count = async (sql: string) => (await pool.query<{ n: number }>(sql)).rows[0].n;

beforeAll(async () => {
  pool = database.pool;
  base = await serve({ BODY_LIMIT: '2kb' });
});

afterAll(async () => {
  for (const app of served) await app.close();
});

describe('API keys', () => {
  it('refuses a request without a key and one with an unknown key (401)', async () => {
    const missing = await json<{ error: { code: string; message: string } }>(await call(base, 'GET', '/v1/segments'));
    expect(missing).toMatchObject({ status: 401, body: { error: { code: 'unauthorized' } } });
    expect(missing.body.error.message).toContain('Bearer');
    expect(await json(await call(base, 'GET', '/v1/segments', 'not-a-key-of-this-installation'))).toMatchObject({ status: 401, body: { error: { code: 'unauthorized' } } });
  });

  it('makes a key shown once in the 201 answer and stored as its SHA-256 only; the list never shows it', async () => {
    const made = await json<{ id: string; name: string; scope: string; key: string; prefix: string }>(await call(base, 'POST', '/v1/keys', ADMIN, { name: 'website', scope: 'ingest' }));
    expect(made).toMatchObject({ status: 201, body: { name: 'website', scope: 'ingest' } });
    expect(made.body.id).toMatch(/^key_/);
    expect(made.body.key).toMatch(/^crm_ingest_[\w-]{43}$/);
    const { rows } = await pool.query<{ hash: string }>('SELECT hash FROM "ApiKey" WHERE id = $1', [made.body.id]);
    expect(rows[0].hash).toBe(createHash('sha256').update(made.body.key).digest('hex'));
    const { rows: anywhere } = await pool.query(`SELECT 1 FROM "ApiKey" WHERE row_to_json("ApiKey")::text LIKE '%' || $1 || '%'`, [made.body.key]);
    expect(anywhere).toHaveLength(0);
    const list = await json<{ keys: Record<string, unknown>[] }>(await call(base, 'GET', '/v1/keys', ADMIN));
    const listed = list.body.keys.find((key) => key.id === made.body.id);
    expect(listed).toMatchObject({ name: 'website', scope: 'ingest', revokedAt: null, prefix: made.body.key.slice(0, 17) });
    expect(JSON.stringify(list.body)).not.toContain(made.body.key);
  });

  it('rejects a key request with a bad scope or no name, naming the field, and stores nothing', async () => {
    const before = await count('SELECT count(*)::int AS n FROM "ApiKey"');
    const bad = await json<{ error: { details: { field: string }[] } }>(await call(base, 'POST', '/v1/keys', ADMIN, { name: '', scope: 'root' }));
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((detail) => detail.field).sort()).toEqual(['name', 'scope']);
    expect(await count('SELECT count(*)::int AS n FROM "ApiKey"')).toBe(before);
  });

  it('lets an ingest key send events and read on-site messages, and answers 403 on every admin route', async () => {
    const { body } = await json<{ key: string }>(await call(base, 'POST', '/v1/keys', ADMIN, { name: 'app', scope: 'ingest' }));
    const ingest = body.key;
    expect((await call(base, 'POST', '/v1/events', ingest, { id: 'k-e1', type: 'page_viewed', anonymousId: 'v-keys', properties: { path: '/' } })).status).toBe(202);
    expect((await call(base, 'GET', '/v1/onsite/v-keys', ingest)).status).toBe(200);
    for (const [method, path] of [
      ['GET', '/v1/segments'],
      ['GET', '/v1/customers/c-1'],
      ['POST', '/v1/keys'],
      ['GET', '/v1/keys'],
      ['GET', '/v1/analytics/journeys'],
      ['GET', '/metrics'],
    ]) {
      const answer = await json<{ error: { code: string; message: string } }>(await call(base, method, path, ingest, method === 'POST' ? { name: 'x', scope: 'admin' } : undefined));
      expect({ method, path, status: answer.status, code: answer.body.error.code }).toEqual({ method, path, status: 403, code: 'forbidden' });
      expect(answer.body.error.message).toContain('admin key');
    }
    expect(await count(`SELECT count(*)::int AS n FROM "ApiKey" WHERE name = 'x'`)).toBe(0);
  });

  it('accepts a stored admin key on admin routes, and refuses a revoked key at once (401)', async () => {
    const { body: admin } = await json<{ id: string; key: string }>(await call(base, 'POST', '/v1/keys', ADMIN, { name: 'ops', scope: 'admin' }));
    expect((await call(base, 'GET', '/v1/keys', admin.key)).status).toBe(200);
    expect((await json(await call(base, 'DELETE', `/v1/keys/${admin.id}`, admin.key))).status).toBe(409);
    const revoked = await json<{ revokedAt: string | null }>(await call(base, 'DELETE', `/v1/keys/${admin.id}`, ADMIN));
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).not.toBeNull();
    expect(await json(await call(base, 'GET', '/v1/keys', admin.key))).toMatchObject({ status: 401, body: { error: { message: 'unknown or revoked API key' } } });
    expect((await call(base, 'DELETE', '/v1/keys/key_nosuchkey', ADMIN)).status).toBe(404);
  });

  it('signs in to the dashboard with an admin key only: a stored ingest key is refused', async () => {
    const { body } = await json<{ key: string }>(await call(base, 'POST', '/v1/keys', ADMIN, { name: 'site', scope: 'ingest' }));
    const login = (key: string) => fetch(`${base}/dashboard/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ key }) });
    const refused = await login(body.key);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('set-cookie')).toBeNull();
    expect((await login(ADMIN)).status).toBe(303);
  });

  it('ends a dashboard session when the stored admin key it began with is revoked', async () => {
    const { body } = await json<{ id: string; key: string }>(await call(base, 'POST', '/v1/keys', ADMIN, { name: 'marketer', scope: 'admin' }));
    const login = await fetch(`${base}/dashboard/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ key: body.key }) });
    const cookie = login.headers.get('set-cookie')!.split(';')[0];
    const data = () => fetch(`${base}/dashboard/data?from=2026-11-01&to=2026-12-01`, { headers: { cookie } });
    expect((await data()).status).toBe(200);
    expect((await call(base, 'DELETE', `/v1/keys/${body.id}`, ADMIN)).status).toBe(200);
    expect((await data()).status).toBe(401);
  });
});

describe('limits', () => {
  it('answers 413 for a body over BODY_LIMIT and writes nothing', async () => {
    const events = Array.from({ length: 40 }, (_, i) => ({ id: `big-${i}`, type: 'page_viewed', anonymousId: 'v-big', properties: { path: `/p/${i}` } }));
    const answer = await json<{ error: { code: string; message: string } }>(await call(base, 'POST', '/v1/events', ADMIN, { events }));
    expect(answer.status).toBe(413);
    expect(answer.body.error.code).toBe('payload_too_large');
    expect(answer.body.error.message).toContain('2048 bytes');
    expect(await count(`SELECT count(*)::int AS n FROM "Event" WHERE "anonymousId" = 'v-big'`)).toBe(0);
  });

  it('limits each key to RATE_LIMIT_PER_KEY across two app instances on one database: 429 with Retry-After, other keys unaffected', async () => {
    const first = await serve({ RATE_LIMIT_PER_KEY: '4/1m' });
    const second = await serve({ RATE_LIMIT_PER_KEY: '4/1m' });
    const { body } = await json<{ key: string }>(await call(base, 'POST', '/v1/keys', ADMIN, { name: 'limited', scope: 'admin' }));
    const { body: other } = await json<{ key: string }>(await call(base, 'POST', '/v1/keys', ADMIN, { name: 'other', scope: 'admin' }));
    const statuses = [];
    for (const app of [first, second, first, second]) statuses.push((await call(app, 'GET', '/v1/keys', body.key)).status);
    expect(statuses).toEqual([200, 200, 200, 200]);
    const limited = await call(first, 'GET', '/v1/keys', body.key);
    expect(limited.status).toBe(429);
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    const refusal = (await limited.json()) as { error: { code: string; message: string } };
    expect(refusal.error.code).toBe('rate_limited');
    expect(refusal.error.message).toContain('4 requests per 60 s');
    expect((await call(second, 'GET', '/v1/keys', body.key)).status).toBe(429);
    // Another key has its own budget.
    expect((await call(second, 'GET', '/v1/keys', other.key)).status).toBe(200);
  });

  it('lets exactly the budget through two app instances that lease points from the shared count (200/1m: leases of 10)', async () => {
    const first = await serve({ RATE_LIMIT_PER_KEY: '200/1m' });
    const second = await serve({ RATE_LIMIT_PER_KEY: '200/1m' });
    const { body } = await json<{ id: string; key: string }>(await call(base, 'POST', '/v1/keys', ADMIN, { name: 'leased', scope: 'admin' }));
    const statuses: number[] = [];
    for (let i = 0; i < 200; i++) statuses.push((await call(i % 3 ? second : first, 'GET', '/v1/keys', body.key)).status);
    // An instance may hold points of its lease the other can no longer have: spend both dry.
    for (const app of [second, first]) {
      let status = 0;
      while (status !== 429) statuses.push((status = (await call(app, 'GET', '/v1/keys', body.key)).status));
    }
    expect(statuses.filter((status) => status === 200)).toHaveLength(200);
    expect(statuses.filter((status) => status !== 200 && status !== 429)).toEqual([]);
    // The points were taken from PostgreSQL's count, which both instances share.
    const { rows } = await pool.query<{ points: number }>(`SELECT points FROM rate_limits WHERE key = $1`, [`key:${body.id}`]);
    expect(rows[0].points).toBeGreaterThanOrEqual(200);
  });
});

describe('headers', () => {
  it('sets security headers and a request id (a plain X-Request-Id from the client is kept)', async () => {
    const response = await call(base, 'GET', '/healthz');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(response.headers.get('strict-transport-security')).toContain('max-age=');
    expect(response.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(response.headers.get('x-powered-by')).toBeNull();
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const given = await call(base, 'GET', '/healthz', undefined, undefined, { 'x-request-id': 'lb-1234.abc' });
    expect(given.headers.get('x-request-id')).toBe('lb-1234.abc');
    const odd = await call(base, 'GET', '/healthz', undefined, undefined, { 'x-request-id': 'has spaces <and> tags' });
    expect(odd.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers CORS preflights of the browser routes for ALLOWED_ORIGINS only, and never for admin routes', async () => {
    const preflight = (path: string, origin: string) =>
      fetch(`${base}${path}`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' } });
    const allowed = await preflight('/v1/events', SHOP);
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(SHOP);
    expect(allowed.headers.get('access-control-allow-headers')).toBe('authorization,content-type');
    expect((await preflight('/v1/onsite/v-1', SHOP)).headers.get('access-control-allow-origin')).toBe(SHOP);
    expect((await preflight('/v1/events', 'https://evil.example.net')).headers.get('access-control-allow-origin')).toBeNull();
    expect((await preflight('/v1/keys', SHOP)).headers.get('access-control-allow-origin')).toBeNull();
    const { body } = await json<{ key: string }>(await call(base, 'POST', '/v1/keys', ADMIN, { name: 'cors site', scope: 'ingest' }));
    const event = await call(base, 'POST', '/v1/events', body.key, { id: 'cors-1', type: 'page_viewed', anonymousId: 'v-cors' }, { origin: SHOP });
    expect(event.status).toBe(202);
    expect(event.headers.get('access-control-allow-origin')).toBe(SHOP);
  });

  it('refuses requests from pages of other sites (403, nothing stored), and admin keys from allowed sites or in a URL', async () => {
    const { body } = await json<{ key: string }>(await call(base, 'POST', '/v1/keys', ADMIN, { name: 'beacon site', scope: 'ingest' }));
    const other = await json<{ error: { code: string; message: string } }>(await call(base, 'POST', '/v1/events', body.key, { id: 'other-1', type: 'page_viewed', anonymousId: 'v-other' }, { origin: 'https://evil.example.net' }));
    expect(other.status).toBe(403);
    expect(other.body.error.code).toBe('origin_not_allowed');
    expect(other.body.error.message).toContain('ALLOWED_ORIGINS');
    const admin = await json<{ error: { message: string } }>(await call(base, 'POST', '/v1/events', ADMIN, { id: 'admin-1', type: 'page_viewed', anonymousId: 'v-other' }, { origin: SHOP }));
    expect(admin.status).toBe(403);
    expect(admin.body.error.message).toContain('ingest key');
    // The beacon's form: the ingest key in the query, the JSON as text/plain.
    const beacon = await fetch(`${base}/v1/events?key=${body.key}`, { method: 'POST', headers: { 'content-type': 'text/plain', origin: SHOP }, body: JSON.stringify({ events: [{ id: 'beacon-1', type: 'page_viewed', anonymousId: 'v-beacon' }] }) });
    expect(beacon.status).toBe(202);
    const adminInUrl = await fetch(`${base}/v1/events?key=${ADMIN}`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ type: 'page_viewed', anonymousId: 'v-other' }) });
    expect(adminInUrl.status).toBe(403);
    expect(await count(`SELECT count(*)::int AS n FROM "Event" WHERE "anonymousId" = 'v-other'`)).toBe(0);
    expect(await count(`SELECT count(*)::int AS n FROM "Event" WHERE "anonymousId" = 'v-beacon'`)).toBe(1);
  });
});

// The segments API over real HTTP on a real PostgreSQL database: preview, save, list, read,
// members, delete; bad rules are 400s naming the path, and nothing is written.
// (No Temporal: these routes never call it, so the app gets placeholders for its client.)
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { serveAppWithoutTemporal, type ServedApp } from '../helpers/app-without-temporal';
import { useTestDatabase } from '../helpers/use-database';

const database = useTestDatabase('segments_api');
const apiKey = 'segments-test-key-0123456789';
let pool: pg.Pool;
let served: ServedApp | undefined;
let baseUrl: string;

beforeAll(async () => {
  pool = database.pool;
  const config = loadConfig({ DATABASE_URL: database.url, API_KEYS: apiKey, MIN_AUDIENCE: '3' });
  served = await serveAppWithoutTemporal({ db: database.db, pool, config, unsubscribeSecret: 'segments-secret-0123456789abcdef' });
  baseUrl = served.baseUrl;
  await database.db.customer.createMany({
    data: ['c-1', 'c-2', 'c-3', 'c-4', 'c-5'].map((id, i) => ({ id, name: `Customer ${i + 1}`, attributes: { city: i < 3 ? 'Seoul' : 'Busan', age: 20 + i * 10 } })),
  });
});
afterAll(async () => {
  await served?.close();
});

async function call(method: string, path: string, body?: unknown) {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${apiKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : null };
}

describe('segments API', () => {
  it('POST /v1/segments/preview answers size, sample, conditions, steps and warnings', async () => {
    const { status, body } = await call('POST', '/v1/segments/preview', {
      rules: { all: [{ attribute: 'city', op: 'eq', value: 'Seoul' }, { attribute: 'age', op: 'gte', value: 30 }] },
    });
    expect(status).toBe(200);
    expect(body).toEqual({
      size: 2,
      sample: ['c-2', 'c-3'],
      conditions: 2,
      steps: [
        { condition: 'city eq "Seoul"', size: 3 },
        { condition: 'age gte 30', size: 2 },
      ],
      warnings: [{ code: 'small_audience', message: '2 customers: under MIN_AUDIENCE (3), too few for the results to mean much' }],
    });
  });

  it('refuses a bad rule with 400 naming its path', async () => {
    const bad = await call('POST', '/v1/segments/preview', {
      rules: { all: [{ attribute: 'city', op: 'eq', value: 'Seoul' }, { metric: 'orders', op: 'gte', value: 1 }, { attribute: 'age', op: 'between', value: 3 }] },
    });
    expect(bad.status).toBe(400);
    const { error } = bad.body as { error: { code: string; details: { field: string; message: string }[] } };
    expect(error.code).toBe('invalid_request');
    expect(error.details.map((d) => d.field)).toEqual(['rules.all[2].op']);
    expect(error.details[0].message).toContain('expected one of');

    const window = await call('POST', '/v1/segments/preview', { rules: { event: 'page_viewed', within: 'a month' } });
    expect(window.body).toMatchObject({ error: { details: [{ field: 'rules.within', message: 'expected a positive duration like 30m, 24h or 3d, got "a month"' }] } });

    const rfm = await call('POST', '/v1/segments/preview', { rules: { rfm: ['champs'] } });
    expect(rfm.body).toMatchObject({ error: { details: [{ field: 'rules.rfm[0]' }] } });

    const unknown = await call('POST', '/v1/segments', { name: 'refers to nothing', rules: { any: [{ segment: 'no-such-segment' }] } });
    expect(unknown).toEqual({
      status: 400,
      body: { error: { code: 'invalid_request', message: 'rules.any[0].segment: no saved segment no-such-segment', details: [{ field: 'rules.any[0].segment', message: 'no saved segment no-such-segment' }] } },
    });
    expect(await database.db.segment.count()).toBe(0);
  });

  it('saves, lists, reads, pages members, and deletes a segment; one in use by another cannot be deleted', async () => {
    const created = await call('POST', '/v1/segments', { name: 'Seoul', rules: { attribute: 'city', op: 'eq', value: 'Seoul' } });
    expect(created.status).toBe(201);
    const seoul = created.body as { id: string };
    expect(created.body).toMatchObject({ name: 'Seoul', rules: { attribute: 'city', op: 'eq', value: 'Seoul' }, references: [] });

    const older = await call('POST', '/v1/segments', { name: 'Seoul, 30+', rules: { all: [{ segment: seoul.id }, { attribute: 'age', op: 'gte', value: 30 }] } });
    const olderId = (older.body as { id: string }).id;
    expect(older.body).toMatchObject({ references: [seoul.id] });

    expect((await call('GET', '/v1/segments')).body).toMatchObject({ segments: [{ id: seoul.id }, { id: olderId, rules: { all: [{ segment: seoul.id }, { attribute: 'age', op: 'gte', value: 30 }] } }] });
    expect((await call('GET', `/v1/segments/${seoul.id}`)).body).toMatchObject({ id: seoul.id, name: 'Seoul' });

    const page1 = await call('GET', `/v1/segments/${seoul.id}/members?limit=2`);
    expect(page1.body).toEqual({ members: [{ id: 'c-1', name: 'Customer 1', email: null }, { id: 'c-2', name: 'Customer 2', email: null }], nextCursor: 'c-2' });
    const page2 = await call('GET', `/v1/segments/${seoul.id}/members?limit=2&cursor=c-2`);
    expect(page2.body).toEqual({ members: [{ id: 'c-3', name: 'Customer 3', email: null }], nextCursor: null });
    expect((await call('GET', `/v1/segments/${olderId}/members`)).body).toMatchObject({ members: [{ id: 'c-2' }, { id: 'c-3' }] });
    expect((await call('GET', `/v1/segments/${seoul.id}/members?limit=5000`)).status).toBe(400);

    const inUse = await call('DELETE', `/v1/segments/${seoul.id}`);
    expect(inUse).toMatchObject({ status: 409, body: { error: { code: 'conflict', details: { referencedBy: [olderId] } } } });
    expect((await call('DELETE', `/v1/segments/${olderId}`)).status).toBe(204);
    expect((await call('DELETE', `/v1/segments/${seoul.id}`)).status).toBe(204);
    expect((await call('GET', `/v1/segments/${seoul.id}`)).status).toBe(404);
    expect((await call('GET', `/v1/segments/${seoul.id}/members`)).status).toBe(404);
  });
});

// The product as one process (`src/main.ts`: dev server, worker, dispatcher, API on a real
// PostgreSQL) at LOG_LEVEL=debug, driven over HTTP through a cart reminder: its log is JSON
// lines without the customer's email, phone or name, and the request id of the cart event
// follows it into the dispatch line and the send activity's line; GET /metrics (admin key)
// has the product's series and the Temporal worker's; SIGTERM stops it with exit code 0.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { eventually, freePort } from '../helpers/stack';

const root = path.resolve(__dirname, '..', '..');
const ADMIN = 'production-test-admin-0123456789';
const CUSTOMER = { id: 'c-prod', name: '김민지', email: 'minji.kim.prod@example.org', phone: '+821055501234' };
const REQUEST_ID = 'req-cart-prod-42';

let database: TestDatabase;
let child: ChildProcessWithoutNullStreams;
let output = '';
let exited: Promise<number | null>;
let base: string;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'crm-journeys-production-'));

function api(method: string, urlPath: string, body?: unknown, headers: Record<string, string> = {}) {
  return fetch(`${base}${urlPath}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

beforeAll(async () => {
  database = await createTestDatabase('production');
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DATA_DIR: dataDir,
      DATABASE_URL: database.url,
      PORT: String(port),
      TEMPORAL_DEV_PORT: String(await freePort()),
      TEMPORAL_UI_PORT: String(await freePort()),
      API_KEYS: ADMIN,
      LOG_LEVEL: 'debug',
      CART_REMINDER_DELAY: '2s',
      CART_REMINDER_WINDOW: '20s',
      QUIET_HOURS: '00:00-00:00',
      KAKAO_FRIENDTALK_QUIET_HOURS: '00:00-00:00',
    },
  });
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  await eventually(() => expect(output).toContain('Ready.'), { timeoutMs: 150_000, intervalMs: 500 });
}, 180_000);

afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await database?.drop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

/** The JSON lines of the log (the start-up banner is plain text for the person at the terminal). */
const jsonLines = () =>
  output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);

describe('the product in production shape', () => {
  it('sends a cart reminder, with the cart request id in the dispatch and send log lines', async () => {
    const put = await api('PUT', `/v1/customers/${CUSTOMER.id}`, {
      name: CUSTOMER.name,
      email: CUSTOMER.email,
      phone: CUSTOMER.phone,
      attributes: { kakaoFriend: true },
      timezone: 'Asia/Seoul',
      consents: [
        { channel: 'kakao', purpose: 'marketing', granted: true },
        { channel: 'email', purpose: 'marketing', granted: true },
      ],
    });
    expect(put.status).toBe(201);
    const order = { id: 'prod-order-1', type: 'order_completed', customerId: CUSTOMER.id, occurredAt: '2026-10-01T10:00:00Z', properties: { orderId: 'prod-o-1', total: 30_000, currency: 'KRW', items: [{ productId: 'p-1', quantity: 1, price: 30_000 }] } };
    expect((await api('POST', '/v1/events', order)).status).toBe(202);
    const cart = { id: 'prod-cart-1', type: 'cart_updated', customerId: CUSTOMER.id, properties: { items: [{ productId: 'p-2', name: 'Linen shirt', quantity: 1, price: 25_000 }], value: 25_000 } };
    const accepted = await api('POST', '/v1/events', cart, { 'x-request-id': REQUEST_ID });
    expect(accepted.headers.get('x-request-id')).toBe(REQUEST_ID);
    expect(await accepted.json()).toEqual({ accepted: 1, duplicates: 0 });
    expect(await (await api('POST', '/v1/events', cart)).json()).toEqual({ accepted: 0, duplicates: 1 });

    const messages = await eventually(
      async () => {
        const body = (await (await api('GET', `/v1/customers/${CUSTOMER.id}/messages`)).json()) as { messages: { journey: string; status: string; channel: string }[] };
        const reminder = body.messages.find((message) => message.journey === 'cart-reminder');
        expect(reminder?.status).toBe('sent');
        return body.messages;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    const reminderChannel = messages.find((message) => message.journey === 'cart-reminder')!.channel;

    const lines = await eventually(() => {
      const parsed = jsonLines();
      expect(parsed.find((line) => line.msg === 'message sent' && line.workflowId === `cart-reminder:${CUSTOMER.id}`)).toBeDefined();
      return parsed;
    });
    expect(lines.find((line) => (line.req as { id?: string } | undefined)?.id === REQUEST_ID)).toMatchObject({ level: 'info', req: { method: 'POST', path: '/v1/events' }, res: { status: 202 } });
    const dispatched = lines.find((line) => line.workflowId === `cart-reminder:${CUSTOMER.id}` && String(line.msg).startsWith('dispatch:'));
    expect(dispatched).toMatchObject({ journey: 'cart-reminder', events: ['cart_updated'], requestIds: [REQUEST_ID] });
    const sent = lines.find((line) => line.msg === 'message sent' && line.workflowId === `cart-reminder:${CUSTOMER.id}`);
    expect(sent).toMatchObject({ requestId: REQUEST_ID, channel: reminderChannel, status: 'sent', activityType: 'sendMessage' });
  });

  it('keeps the customer email, phone and name out of the whole log, at debug level', () => {
    expect(output.length).toBeGreaterThan(1000);
    const phoneDigits = CUSTOMER.phone.replace(/^\+82/, '0');
    for (const secret of [CUSTOMER.email, CUSTOMER.email.split('@')[0], CUSTOMER.phone, CUSTOMER.phone.slice(1), phoneDigits, CUSTOMER.name]) {
      expect(output.includes(secret), `the log contains "${secret}"`).toBe(false);
    }
    expect(output).not.toContain(ADMIN);
  });

  it('serves /metrics to an admin key only, with events, dispatch, journeys started and signalled, messages, providers, API latency and the Temporal worker', async () => {
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    const response = await api('GET', '/metrics');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    const value = (series: string) => Number(new RegExp(`^${series.replace(/[{}"]/g, (c) => `\\${c}`)} (\\S+)$`, 'm').exec(text)?.[1]);
    expect(value('crm_events_accepted_total{type="cart_updated"}')).toBe(1);
    expect(value('crm_events_accepted_total{type="order_completed"}')).toBe(1);
    expect(value('crm_events_duplicates_total{type="cart_updated"}')).toBe(1);
    expect(value('crm_journey_deliveries_total{journey="cart-reminder",outcome="started-or-signalled"}')).toBe(1);
    expect(value('crm_dispatch_delivery_latency_seconds_count{journey="cart-reminder"}')).toBe(1);
    expect(value('crm_dispatch_backlog')).toBe(0);
    expect(text).toMatch(/^crm_message_outcomes_total\{channel="(kakao|email)",status="sent"\} [1-9]/m);
    expect(text).toMatch(/^crm_provider_request_duration_seconds_count\{channel="(kakao|email)",provider="outbox",result="ok"\} [1-9]/m);
    expect(value('crm_http_request_duration_seconds_count{method="POST",route="/v1/events",status="202"}')).toBeGreaterThanOrEqual(3);
    expect(text).toMatch(/^nodejs_heap_size_used_bytes \d/m);
    // Temporal core's own worker metrics, from the SDK's Prometheus exporter.
    expect(text).toMatch(/^temporal_activity_execution_latency\w*_count\{.*activity_type="sendMessage".*\} [1-9]/m);
    expect(text).toMatch(/^temporal_worker_task_slots_available\{/m);
    // Journeys started and signalled, counted by the workflow interceptor (workflows/interceptors.ts).
    expect(text).toMatch(/^crm_workflow_runs_started\{[^}]*workflowType="cartReminder"[^}]*\} 1$/m);
    expect(text).toMatch(/^crm_workflow_signals\{[^}]*signal="journeyEvents"[^}]*workflowType="cartReminder"[^}]*\} 1$/m);
  });

  it('serves the demo shop page (development) with the snippet and a stored ingest key', async () => {
    expect(output).toContain(`Demo shop:      http://localhost:`);
    const page = await fetch(`${base}/demo/shop`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<script src="/sdk.js"');
    const key = /data-key="(crm_ingest_[\w-]+)"/.exec(html)?.[1];
    expect(key).toBeDefined();
    expect(fs.readFileSync(path.join(dataDir, 'dev-ingest-key'), 'utf8').trim()).toBe(key);
    // An ingest key: it may send events, and nothing else.
    expect((await fetch(`${base}/v1/events`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ type: 'page_viewed', anonymousId: 'v-demo' }) })).status).toBe(202);
    expect((await fetch(`${base}/v1/segments`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(403);
  });

  it('stops on SIGTERM with exit code 0 within the grace time', async () => {
    const started = Date.now();
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(25_000);
    expect(output).toContain('Stopped.');
  });
});

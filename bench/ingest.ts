// Event ingest and delivery, measured in one run against the product as `npm start` runs it
// (one process: embedded dev server and PostgreSQL, worker, dispatcher, API), driven from this
// process over HTTP, against a baseline measured in the same run on the same product: the
// Temporal client's signalWithStart, one call per event, 16 at a time, to the same journeys.
//
//   npm run bench:ingest [-- events=3000 customers=300]
//
// Prints a table — raw signalWithStart (the baseline), HTTP single events (16 concurrent
// clients), HTTP batches of 100, end-to-end delivery (events reaching their journeys per
// second until the backlog is empty) and delivery latency — then the targets.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import pLimit from 'p-limit';
import pg from 'pg';
import type { CartReminderInput } from '../workflows/cart-reminder';
import { journeyEventSignal, type JourneyEvent } from '../workflows/definitions';
import { postgresUrl } from '../src/database/embedded-postgres';
import { freePort } from '../test/helpers/ports';

const arg = (name: string, fallback: number) => Number(process.argv.find((a) => a.startsWith(`${name}=`))?.split('=')[1] ?? fallback);
const EVENTS = arg('events', 3000);
const CUSTOMERS = arg('customers', 300);
const CONCURRENCY = 16;
const KEY = 'bench-key-0123456789abcdef';
const RATE_LIMIT = '100000000/1h';
const root = path.resolve(__dirname, '..');

interface Row {
  measure: string;
  events: number;
  seconds: number;
  p50?: number;
  p99?: number;
  /** CPU seconds per process over the measure. */
  cpu?: Record<string, number>;
}

/** CPU seconds used so far by the product's processes: its Node process, the Temporal dev server, PostgreSQL. */
function cpuSeconds(productPid: number, apiPid?: number): Record<string, number> {
  const ticks = 100; // USER_HZ on Linux
  const totals: Record<string, number> = { node: 0, api: 0, temporal: 0, postgres: 0, bench: process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6 };
  for (const pid of fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue;
    }
    const command = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const used = (Number(fields[11]) + Number(fields[12])) / ticks;
    if (Number(pid) === productPid) totals.node += used;
    else if (Number(pid) === apiPid) totals.api += used;
    else if (command === 'temporal') totals.temporal += used;
    else if (command === 'postgres') {
      // Connections come and go: the postmaster also counts its children that have exited.
      const postmaster = !/postgres:/.test(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' '));
      totals.postgres += used + (postmaster ? (Number(fields[13]) + Number(fields[14])) / ticks : 0);
    }
  }
  return totals;
}

/** `src/main.ts` in a process of its own, with only these variables; resolves once it says "Ready.". */
async function startProduct(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], { cwd: root, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env } });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const stop = async () => {
    child.kill('SIGINT');
    await exited;
  };
  for (let waited = 0; !output.includes('Ready.'); waited += 200) {
    if (child.exitCode !== null || waited > 180_000) {
      await stop();
      throw new Error(`src/main.ts ${args.join(' ')} did not start:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return { child, stop };
}

const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((p / 100) * values.length))];

const cart = (tag: string, i: number) => ({
  id: `${tag}-${i}`,
  type: 'cart_updated',
  customerId: `bench-${i % CUSTOMERS}`,
  properties: { items: [{ productId: `p-${i % 7}`, quantity: 1, price: 1000 }], value: 1000 },
});

async function main() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'crm-journeys-bench-'));
  fs.chmodSync(dataDir, 0o755); // the embedded PostgreSQL may run as the `postgres` user
  const ports = { PORT: await freePort(), TEMPORAL_DEV_PORT: await freePort(), TEMPORAL_UI_PORT: await freePort(), PG_PORT: await freePort() };
  console.log('Starting the product (npm start)…');
  const { child: product, stop: stopProduct } = await startProduct([], {
    DATA_DIR: dataDir,
    API_KEYS: KEY,
    // The per-key limiter stays on (its cost is part of ingest), with a budget out of the way.
    RATE_LIMIT_PER_KEY: RATE_LIMIT,
    CART_REMINDER_DELAY: '1h',
    LOG_LEVEL: 'warn',
    ...(process.env.DISPATCH_CONCURRENCY ? { DISPATCH_CONCURRENCY: process.env.DISPATCH_CONCURRENCY } : {}),
    ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
  });
  const rows: Row[] = [];
  let db: pg.Client | undefined;
  let connection: Connection | undefined;
  try {
    const databaseUrl = postgresUrl(fs.readFileSync(path.join(dataDir, 'postgres-password'), 'utf8').trim(), ports.PG_PORT);
    db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    connection = await Connection.connect({ address: `127.0.0.1:${ports.TEMPORAL_DEV_PORT}` });
    const client = new Client({ connection });
    const pending = async () => (await db!.query<{ n: number }>('SELECT count(*)::int AS n FROM "EventDelivery" WHERE "deliveredAt" IS NULL')).rows[0].n;
    const drained = async () => {
      while ((await pending()) > 0) await new Promise((resolve) => setTimeout(resolve, 20));
    };
    const post = async (body: unknown, port = ports.PORT) => {
      const started = performance.now();
      const response = await fetch(`http://127.0.0.1:${port}/v1/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      await response.arrayBuffer();
      if (response.status !== 202) throw new Error(`ingest answered ${response.status}`);
      return performance.now() - started;
    };
    const limit = pLimit(CONCURRENCY);
    let apiPid: number | undefined;
    const measure = async (name: string, events: number, work: () => Promise<number[] | void>) => {
      const cpuBefore = cpuSeconds(product.pid!, apiPid);
      const started = performance.now();
      const latencies = await work();
      const seconds = (performance.now() - started) / 1000;
      const cpuAfter = cpuSeconds(product.pid!, apiPid);
      const cpu = Object.fromEntries(Object.keys(cpuAfter).map((k) => [k, cpuAfter[k] - cpuBefore[k]]));
      rows.push(latencies ? { measure: name, events, seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99), cpu } : { measure: name, events, seconds, cpu });
    };

    // Warm-up: every customer exists, with its dormancy watcher and cart reminder running.
    await post({ events: Array.from({ length: CUSTOMERS }, (_, i) => cart('warm', i)) });
    await drained();

    // Baseline: the same journeys, straight through the Temporal client.
    await measure('raw signalWithStart (baseline)', EVENTS, () =>
      Promise.all(
        Array.from({ length: EVENTS }, (_, i) =>
          limit(async () => {
            const event = cart('raw', i);
            const started = performance.now();
            await client.workflow.signalWithStart('cartReminder', {
              workflowId: `cart-reminder:${event.customerId}`,
              taskQueue: 'crm-journeys',
              args: [{ customerId: event.customerId, settings: { delayMs: 3_600_000, minOrders: 1, windowMs: 3 * 86_400_000, channels: ['kakao', 'sms', 'email'] } } satisfies CartReminderInput],
              signal: journeyEventSignal,
              signalArgs: [{ ...event, occurredAt: new Date().toISOString() } satisfies JourneyEvent],
            });
            return performance.now() - started;
          }),
        ),
      ),
    );

    // HTTP, one event per request, 16 clients; the product delivers meanwhile.
    const singleFrom = new Date();
    await measure('HTTP single events (16 clients)', EVENTS, () => Promise.all(Array.from({ length: EVENTS }, (_, i) => limit(() => post(cart('single', i))))));
    await drained();
    const latency = (
      await db.query<{ ms: number }>(
        `SELECT (extract(epoch FROM "deliveredAt" - "createdAt") * 1000)::float8 AS ms FROM "EventDelivery" WHERE "createdAt" >= $1 AND journey = 'cart-reminder'`,
        [singleFrom],
      )
    ).rows.map((r) => r.ms);

    // HTTP, 100 events per request, 4 clients; then until every one of them reached its journey.
    const batches = Math.ceil(EVENTS / 100);
    const batchLimit = pLimit(4);
    const endToEndFrom = performance.now();
    await measure('HTTP batches of 100 (4 clients)', batches * 100, () =>
      Promise.all(Array.from({ length: batches }, (_, b) => batchLimit(() => post({ events: Array.from({ length: 100 }, (_, i) => cart(`batch-${b}`, b * 100 + i)) })))),
    );
    await drained();
    rows.push({ measure: 'end-to-end: accepted to delivered (batches)', events: batches * 100, seconds: (performance.now() - endToEndFrom) / 1000 });

    // Acceptance alone: an API process of its own (`npm run start:api`, as in production) while
    // the product's process — dispatcher and worker — is paused (SIGSTOP), so deliveries do not
    // compete for this machine's two cores; then resumed, and drained.
    const apiPort = await freePort();
    const api = await startProduct(['--only=api'], {
      DATA_DIR: dataDir,
      API_KEYS: KEY,
      RATE_LIMIT_PER_KEY: RATE_LIMIT,
      LOG_LEVEL: 'warn',
      PORT: String(apiPort),
      DATABASE_URL: databaseUrl,
      TEMPORAL_ADDRESS: `127.0.0.1:${ports.TEMPORAL_DEV_PORT}`,
    });
    try {
      apiPid = api.child.pid;
      product.kill('SIGSTOP');
      try {
        await measure('HTTP single events, API alone (16 clients)', EVENTS, () => Promise.all(Array.from({ length: EVENTS }, (_, i) => limit(() => post(cart('alone', i), apiPort)))));
      } finally {
        product.kill('SIGCONT');
      }
      await drained();
    } finally {
      await api.stop();
    }
    rows.push({ measure: 'delivery latency of single events', events: latency.length, seconds: NaN, p50: percentile(latency, 50), p99: percentile(latency, 99) });

    const raw = rows[0].events / rows[0].seconds;
    const fmt = (n: number | undefined, digits = 0) => (n === undefined || Number.isNaN(n) ? '' : n.toFixed(digits));
    console.log(`\n${new Date().toISOString().slice(0, 10)} · ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB · ${EVENTS} events over ${CUSTOMERS} customers\n`);
    console.log('| measure | events | events/s | × raw | p50 ms | p99 ms |');
    console.log('|---|---:|---:|---:|---:|---:|');
    for (const row of rows) {
      const rate = row.events / row.seconds;
      console.log(`| ${row.measure} | ${row.events} | ${fmt(rate)} | ${Number.isNaN(rate) ? '' : (rate / raw).toFixed(2)} | ${fmt(row.p50, 1)} | ${fmt(row.p99, 1)} |`);
    }
    const single = rows[1];
    const endToEnd = rows[3];
    const alone = rows[4];
    const singleRatio = single.events / single.seconds / raw;
    const endToEndRatio = endToEnd.events / endToEnd.seconds / raw;
    console.log('');
    console.log('CPU seconds per 1,000 events while measuring (2 cores: at most 2 s per second):');
    console.log('| measure | product (Node: API, dispatcher, worker) | API alone (Node) | Temporal dev server | PostgreSQL | load generator (this process) |');
    console.log('|---|---:|---:|---:|---:|---:|');
    for (const row of rows.filter((r) => r.cpu)) {
      const per = (k: string) => ((row.cpu![k] / row.events) * 1000).toFixed(2);
      console.log(`| ${row.measure} | ${per('node')} | ${per('api')} | ${per('temporal')} | ${per('postgres')} | ${per('bench')} |`);
    }
    console.log('');
    console.log(`target: HTTP acceptance ≥ 3× raw with p99 < 100 ms — ${singleRatio.toFixed(2)}×, p99 ${fmt(single.p99, 1)} ms: ${singleRatio >= 3 && single.p99! < 100 ? 'met' : 'NOT met'}`);
    const aloneRatio = alone.events / alone.seconds / raw;
    console.log(`        with the API process alone (deliveries not competing for the 2 cores) — ${aloneRatio.toFixed(2)}×, p99 ${fmt(alone.p99, 1)} ms: ${aloneRatio >= 3 && alone.p99! < 100 ? 'met' : 'NOT met'}`);
    console.log(`target: end-to-end delivery ≥ 1× raw — ${endToEndRatio.toFixed(2)}×: ${endToEndRatio >= 1 ? 'met' : 'NOT met'}`);
  } finally {
    await db?.end().catch(() => undefined);
    await connection?.close().catch(() => undefined);
    await stopProduct();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

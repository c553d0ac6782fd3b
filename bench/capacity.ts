// Capacity: how many cart-reminder journeys the embedded stack holds waiting at once, and
// whether, when their timers come due, every one fires on time and every reminder is recorded
// exactly once.
//
//   npm run bench:capacity [-- journeys=100000 workers=1,2 delay=auto ladder=10000,25000,50000 onTime=60 concurrency=32 spread=0]
//   npm run bench:capacity -- journeys=2000 workers=1          (a smoke run: a few minutes)
//
// The stack, fresh for every run (a temporary DATA_DIR, free ports): the embedded PostgreSQL
// and the embedded Temporal dev server, started by the launchers `npm start` uses
// (src/database/embedded-postgres.ts with its migrations, src/temporal/dev-server.ts), and 1 or
// 2 worker processes as `npm run start:worker` runs them (`src/main.ts --only=worker`), with the
// default providers: the outbox records each message in PostgreSQL, no network. `npm start`
// would run the worker inside its one process, with the API and the dispatcher; here a worker
// process is the worker alone, so its memory is the worker's.
//
// Customers: `journeys` of them, made in SQL, each with an email address, marketing consent on
// email and one earlier order (the cart reminder goes only to earlier buyers), so every journey
// really sends its reminder through the guarded send (consent, frequency cap, advertising
// format, outbox). QUIET_HOURS is off so the result does not depend on the time of day.
//
// Journeys are started from this process with the dispatcher's own delivery
// (src/dispatch/deliver.ts: signalWithStart of `cartReminder` with the route's start arguments,
// search attributes and a `cart_updated` event), `concurrency` at a time. Not through
// POST /v1/events: a new customer's first event also starts their dormancy watcher, which
// would double the population, and the API's ingest rate is bench:ingest's subject.
//
// Timers: every cart event carries the same `occurredAt` — T0, the moment starts begin — and
// the journey waits until occurredAt + CART_REMINDER_DELAY, so every timer is due at the same
// wall-clock moment T0 + delay whatever the order of starts. `delay=90s` fixes the delay;
// by default it is chosen from the start rate measured so far in this run (first guess 40
// journeys/s) as 1.3 × the expected time until all are waiting + 30 s, so all journeys wait
// before the first timer is due (a run whose starts overran it says so). `spread=10m` makes
// the due times spread evenly over that window instead (journey i of n due at
// T0 + delay + spread·i/n): sustained firing rather than one burst.
//
// Measured per run: start rate (signalWithStart accepted per second) and the time until all
// journeys are waiting (the worker ran their first task: visibility `JourneyStage = waiting`);
// memory at the waiting peak (largest sample from all waiting until due, every 2 s) and at its
// largest while the timers fire — RSS of each worker process and of the dev server, and for
// PostgreSQL the sum of PSS over its processes (the sum of RSS counts shared buffers once per
// connection; printed alongside); lateness per reminder, from the Message row: its `createdAt`
// is stamped by the send activity as it starts (activities/messages.ts), so lateness =
// createdAt − due covers the timer firing in the dev server, the workflow task, the
// eligibility check (an activity) and the next workflow task. For a sample of journeys the
// history's TimerFired time gives the dev server's share alone. And exactly once: messages of
// the cart-reminder journey = journeys, all `sent`, no customer with two (GROUP BY … HAVING
// count(*) > 1), one outbox entry each. A failed check exits 1.
//
// The ladder: runs of 10,000, 25,000, 50,000 (those below `journeys`), then `journeys`, for
// each worker count, each on a fresh stack. "Held on time": p99 lateness within `onTime`
// seconds (60) and every check passed. After the first run that is late the ladder goes
// straight to `journeys` (the largest on time is then bracketed); after a failed one it stops.
// With all timers due at once, lateness is mostly the time to drain the burst (journeys ÷
// reminders per second), which the table shows as "drain /s".
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client, Connection } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time';
import pLimit from 'p-limit';
import pg from 'pg';
import type { JourneyEvent } from '../workflows/definitions';
import { durationSchema, loadConfig, type Config } from '../src/config';
import { startEmbeddedPostgres } from '../src/database/embedded-postgres';
import { migrateDatabase } from '../src/database/migrate';
import { deliverToJourney } from '../src/dispatch/deliver';
import { journeyRoutes, workflowIdFor } from '../src/routing/routes';
import { unsubscribeSecret } from '../src/secrets';
import { connectTemporal } from '../src/temporal/connection';
import { startDevServer, type DevServer } from '../src/temporal/dev-server';
import { freePort } from '../test/helpers/ports';
import { childTemporalPids, cpuSeconds, listProcesses, machineBusySeconds, postgresCpuSeconds, postgresMemory, rssMiB } from './lib/proc';

const root = path.resolve(__dirname, '..');
const argText = (name: string) => process.argv.find((a) => a.startsWith(`${name}=`))?.slice(name.length + 1);
function positiveInt(name: string, fallback: number): number {
  const value = Number(argText(name) ?? fallback);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name}: expected a positive whole number, got "${argText(name)}"`);
  return value;
}
const duration = (name: string) => {
  const text = argText(name);
  if (text === undefined || text === 'auto' || text === '0') return undefined;
  const parsed = durationSchema.safeParse(text);
  if (!parsed.success) throw new Error(`${name}: expected a duration like 90s or 5m, got "${text}"`);
  return parsed.data;
};

const JOURNEYS = positiveInt('journeys', 100_000);
const WORKER_COUNTS = (argText('workers') ?? '1,2').split(',').map((w) => {
  const n = Number(w);
  if (!Number.isInteger(n) || n < 1 || n > 8) throw new Error(`workers: expected 1, 2 or a list like 1,2; got "${w}"`);
  return n;
});
const FIXED_DELAY_MS = duration('delay');
const SPREAD_MS = duration('spread') ?? 0;
const ON_TIME_S = positiveInt('onTime', 60);
const CONCURRENCY = positiveInt('concurrency', 32);
const SAMPLE = positiveInt('sample', 200);
const LADDER = (() => {
  const text = argText('ladder');
  const below = text === 'none' ? [] : (text ? text.split(',').map(Number) : [10_000, 25_000, 50_000]).filter((n) => n < JOURNEYS);
  if (below.some((n) => !Number.isInteger(n) || n <= 0)) throw new Error(`ladder: expected journey counts like 10000,25000 (or none), got "${text}"`);
  return [...new Set([...below.sort((a, b) => a - b), JOURNEYS])];
})();
/** Guess of journeys reaching their wait per second, before this run has measured one. */
const FIRST_GUESS_RATE = 40;
/** Nothing more recorded for this long after the due time: the missing reminders are not coming. */
const STALL_MS = 180_000;

const route = journeyRoutes.find((r) => r.journey === 'cart-reminder')!;
const customerId = (i: number) => `cap-${String(i).padStart(7, '0')}`;
const sleep = (msec: number) => new Promise((resolve) => setTimeout(resolve, msec));
const seconds = (msec: number) => (msec / 1000).toFixed(1);
const percentile = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN);
const clock = () => new Date().toISOString().slice(11, 19);

interface Memory {
  workers: number[];
  postgresPss: number;
  postgresRssSum: number;
  temporal: number;
}

/** CPU seconds used so far, by part (the machine's total includes other people's work). */
interface Cpu {
  workers: number;
  postgres: number;
  temporal: number;
  bench: number;
  machine: number;
}
const cpuBetween = (a: Cpu, b: Cpu): Cpu => ({ workers: b.workers - a.workers, postgres: b.postgres - a.postgres, temporal: b.temporal - a.temporal, bench: b.bench - a.bench, machine: b.machine - a.machine });

interface RunResult {
  journeys: number;
  workers: number;
  delayMs: number;
  startSeconds: number;
  startRate: number;
  /** From T0 until visibility showed every journey waiting (NaN if it never did before the due time). */
  allWaitingSeconds: number;
  /** Starts (or first tasks) finished this long after the first timer was due: lateness includes it. */
  overranMs: number;
  memoryWaiting?: Memory;
  memoryFiring?: Memory;
  lateness: { p50: number; p99: number; max: number };
  timerFired: { p50: number; p99: number; max: number; sampled: number };
  /** From the first timer due until the last reminder recorded, and reminders per second over it. */
  drainSeconds: number;
  drainRate: number;
  /** From the first due time until this process counted every reminder (the CPU table's "fire" phase). */
  fireSeconds: number;
  messages: number;
  sent: number;
  duplicates: number;
  outbox: number;
  /** CPU from T0 until all were waiting, and from the first due time until the last reminder. */
  cpuStart: Cpu;
  cpuFire: Cpu;
  problems: string[];
  loadBefore: number;
  loadAfter: number;
}

/** Largest of each figure over the samples. */
function peak(samples: Memory[]): Memory | undefined {
  if (!samples.length) return undefined;
  return {
    workers: samples[0].workers.map((_, i) => Math.max(...samples.map((s) => s.workers[i] ?? 0))),
    postgresPss: Math.max(...samples.map((s) => s.postgresPss)),
    postgresRssSum: Math.max(...samples.map((s) => s.postgresRssSum)),
    temporal: Math.max(...samples.map((s) => s.temporal)),
  };
}

interface WorkerProcess {
  child: ChildProcessWithoutNullStreams;
  output: () => string;
  exited: Promise<unknown>;
}

/** `npm run start:worker` in a process of its own (no tsx wrapper: its pid is the worker's), with only these variables. */
async function spawnWorker(env: Record<string, string>): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', '--only=worker'], { cwd: root, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env } });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000)));
  child.stderr.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000)));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  for (let waited = 0; !output.includes('Worker running'); waited += 200) {
    if (child.exitCode !== null || waited > 180_000) {
      child.kill('SIGKILL');
      throw new Error(`the worker did not start:\n${output}`);
    }
    await sleep(200);
  }
  return { child, output: () => output, exited };
}

async function stopWorker(worker: WorkerProcess): Promise<void> {
  if (worker.child.exitCode !== null || worker.child.signalCode !== null) return;
  worker.child.kill('SIGINT');
  const timeout = sleep(30_000).then(() => 'timeout');
  if ((await Promise.race([worker.exited, timeout])) === 'timeout') {
    worker.child.kill('SIGKILL');
    await worker.exited;
  }
}

/** One run: a fresh stack, `journeys` customers and journeys, `workers` worker processes. */
async function run(journeys: number, workers: number, delayMs: number): Promise<RunResult> {
  const tag = `[${journeys.toLocaleString('en-US')} × ${workers}w]`;
  const say = (line: string) => console.log(`${clock()} ${tag} ${line}`);
  const problems: string[] = [];
  const loadBefore = os.loadavg()[0];
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'crm-journeys-capacity-'));
  fs.chmodSync(dataDir, 0o755); // the embedded PostgreSQL may run as the `postgres` user
  const stops: (() => Promise<unknown>)[] = [];
  const workerProcesses: WorkerProcess[] = [];
  let sampler: NodeJS.Timeout | undefined;
  try {
    say(`starting the stack (data in ${dataDir})…`);
    const postgres = await startEmbeddedPostgres({ dataDir, port: await freePort(), log: () => undefined });
    stops.push(() => postgres.stop());
    await migrateDatabase(postgres.url);
    const env: Record<string, string> = {
      DATA_DIR: dataDir,
      DATABASE_URL: postgres.url,
      TEMPORAL_DEV_PORT: String(await freePort()),
      TEMPORAL_UI_PORT: String(await freePort()),
      CART_REMINDER_DELAY: `${delayMs}ms`,
      // Equal start and end: no quiet hours, so results do not depend on the time of day.
      QUIET_HOURS: '00:00-00:00',
      KAKAO_FRIENDTALK_QUIET_HOURS: '00:00-00:00',
      LOG_LEVEL: 'warn',
      ...(process.env.TEMPORAL_CLI_PATH ? { TEMPORAL_CLI_PATH: process.env.TEMPORAL_CLI_PATH } : {}),
    };
    const config: Config = loadConfig(env);
    unsubscribeSecret(config); // made once here, before two workers could both make one
    const devServer: DevServer = await startDevServer({
      dataDir,
      port: config.temporal.devPort,
      uiPort: config.temporal.uiPort,
      namespace: config.temporal.namespace,
      cliPath: config.temporal.cliPath,
      log: () => undefined,
    });
    stops.push(() => devServer.stop());
    const temporalPids = childTemporalPids();
    const { connection, client }: { connection: Connection; client: Client } = await connectTemporal(devServer.address, config.temporal.namespace);
    stops.push(() => connection.close());
    const pool = new pg.Pool({ connectionString: postgres.url, max: 4 });
    stops.push(() => pool.end());

    say(`${journeys} customers with email consent and an earlier order…`);
    await pool.query(
      `INSERT INTO "Customer" (id, name, email, "updatedAt")
       SELECT 'cap-' || lpad(n::text, 7, '0'), '고객' || n, 'cap' || n || '@example.com', now() FROM generate_series(0, $1::int - 1) AS n`,
      [journeys],
    );
    await pool.query(
      `INSERT INTO "ConsentChange" ("customerId", channel, purpose, granted, source, at)
       SELECT 'cap-' || lpad(n::text, 7, '0'), 'email', 'marketing', true, 'import', now() - interval '60 days' FROM generate_series(0, $1::int - 1) AS n`,
      [journeys],
    );
    await pool.query(
      `INSERT INTO "Order" (id, "customerId", total, currency, "occurredAt")
       SELECT 'cap-o-' || n, 'cap-' || lpad(n::text, 7, '0'), 30000, 'KRW', now() - interval '30 days' FROM generate_series(0, $1::int - 1) AS n`,
      [journeys],
    );
    await pool.query('VACUUM ANALYZE');

    const workerEnv = { ...env, TEMPORAL_ADDRESS: devServer.address };
    for (let w = 0; w < workers; w++) {
      // One after the other: each worker creates or updates the RFM schedule as it starts.
      const worker = await spawnWorker(workerEnv);
      workerProcesses.push(worker);
      stops.push(() => stopWorker(worker));
    }
    say(`${workers} worker process${workers > 1 ? 'es' : ''} running (pid ${workerProcesses.map((w) => w.child.pid).join(', ')})`);

    // Memory, every 2 s, by phase; and whether a process fell over.
    let phase: 'starting' | 'waiting' | 'firing' | 'done' = 'starting';
    const samples: Record<'waiting' | 'firing', Memory[]> = { waiting: [], firing: [] };
    const fallen = new Set<string>();
    sampler = setInterval(() => {
      const processes = listProcesses();
      const alive = new Set(processes.map((p) => p.pid));
      workerProcesses.forEach((w, i) => {
        if (w.child.exitCode !== null || w.child.signalCode !== null) fallen.add(`worker ${i + 1} exited (${w.child.exitCode ?? w.child.signalCode}):\n${w.output().slice(-3000)}`);
      });
      if (!alive.has(postgres.pid)) fallen.add('PostgreSQL exited');
      if (temporalPids.length && !temporalPids.some((pid) => alive.has(pid))) fallen.add('the Temporal dev server exited');
      if (phase !== 'waiting' && phase !== 'firing') return;
      const pgMemory = postgresMemory(postgres.pid, processes);
      samples[phase].push({
        workers: workerProcesses.map((w) => rssMiB(w.child.pid!)),
        postgresPss: pgMemory.pss,
        postgresRssSum: pgMemory.rssSum,
        temporal: temporalPids.reduce((sum, pid) => sum + rssMiB(pid), 0),
      });
    }, 2000);
    const cpu = (): Cpu => {
      const usage = process.cpuUsage();
      return {
        workers: workerProcesses.reduce((sum, w) => sum + cpuSeconds(w.child.pid!), 0),
        postgres: postgresCpuSeconds(postgres.pid),
        temporal: temporalPids.reduce((sum, pid) => sum + cpuSeconds(pid), 0),
        bench: (usage.user + usage.system) / 1e6,
        machine: machineBusySeconds(),
      };
    };
    const checkFallen = () => {
      if (fallen.size) throw new Error([...fallen].join('\n'));
    };

    // Starts: every journey's timer due at T0 + delay (+ its share of the spread).
    const cpuAtT0 = cpu();
    const t0 = Date.now();
    const firstDue = t0 + delayMs;
    const dueOf = (i: number) => firstDue + Math.floor((SPREAD_MS * i) / journeys);
    say(`starting ${journeys} journeys, ${CONCURRENCY} at a time; timers due at ${new Date(firstDue).toISOString().slice(11, 19)} (T0 + ${seconds(delayMs)} s${SPREAD_MS ? `, spread over ${seconds(SPREAD_MS)} s` : ''})`);
    const occurredAt = new Date(t0).toISOString();
    const limit = pLimit(CONCURRENCY);
    let started = 0;
    let failedStarts = 0;
    let firstStartError = '';
    const startProgress = setInterval(() => say(`started ${started}/${journeys} (${Math.round(started / ((Date.now() - t0) / 1000))}/s)`), 5000);
    try {
      await Promise.all(
        Array.from({ length: journeys }, (_, i) =>
          limit(async () => {
            if (fallen.size) return;
            const id = customerId(i);
            const event: JourneyEvent = {
              id: `cap-cart-${i}`,
              type: 'cart_updated',
              customerId: id,
              occurredAt,
              properties: { items: [{ productId: `p-${i % 50}`, name: `상품 ${i % 50}`, quantity: 1, price: '30000' }], value: '30000' },
              seq: 1,
            };
            const journeyConfig: Config = { ...config, journeys: { ...config.journeys, cartReminder: { ...config.journeys.cartReminder, delayMs: dueOf(i) - t0 } } };
            try {
              await deliverToJourney(client, journeyConfig, route, workflowIdFor(route, id), [{ mode: 'start', event }]);
              started += 1;
            } catch (error) {
              failedStarts += 1;
              firstStartError ||= (error as Error).message;
            }
          }),
        ),
      );
    } finally {
      clearInterval(startProgress);
    }
    const startMs = Date.now() - t0;
    say(`started ${started}/${journeys} in ${seconds(startMs)} s (${Math.round(started / (startMs / 1000))}/s)`);
    checkFallen();
    if (failedStarts) throw new Error(`${failedStarts} starts failed; the first: ${firstStartError}`);

    // Until every journey waits on its timer (or the first timer is due).
    const waitingQuery = `WorkflowType = "${route.workflowType}" AND JourneyStage = "waiting"`;
    let allWaitingMs = NaN;
    for (;;) {
      checkFallen();
      const waiting = await client.workflow
        .count(waitingQuery)
        .then((r) => r.count)
        .catch(() => NaN);
      if (waiting >= journeys) {
        allWaitingMs = Date.now() - t0;
        break;
      }
      if (Date.now() >= firstDue) {
        problems.push(`only ${waiting} of ${journeys} journeys were waiting when the first timer came due`);
        break;
      }
      say(`waiting: ${waiting}/${journeys} journeys on their timer; first due in ${seconds(firstDue - Date.now())} s`);
      await sleep(3000);
    }
    const cpuAllWaiting = cpu();
    const overranMs = Math.max(0, (Number.isNaN(allWaitingMs) ? Date.now() - t0 : allWaitingMs) - delayMs);
    if (overranMs > 0) problems.push(`starts overran the first due time by ${seconds(overranMs)} s (lateness includes it): choose a longer delay=`);
    if (!Number.isNaN(allWaitingMs)) say(`all ${journeys} waiting after ${seconds(allWaitingMs)} s; first timer due in ${seconds(firstDue - Date.now())} s`);
    phase = 'waiting';
    while (Date.now() < firstDue) {
      checkFallen();
      await sleep(Math.min(5000, firstDue - Date.now()));
      if (firstDue - Date.now() > 1000) say(`holding ${journeys} waiting journeys; first timer due in ${seconds(firstDue - Date.now())} s`);
    }
    phase = 'firing';
    const cpuAtDue = cpu();

    // Until every reminder is recorded (or nothing more comes for STALL_MS).
    const countMessages = async () => (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM "Message" WHERE journey = 'cart-reminder'`)).rows[0].n;
    let recorded = 0;
    let lastChange = Date.now();
    for (;;) {
      checkFallen();
      const now = await countMessages();
      if (now !== recorded) lastChange = Date.now();
      recorded = now;
      say(`reminders recorded ${recorded}/${journeys}, ${seconds(Date.now() - firstDue)} s after the first was due`);
      if (recorded >= journeys) break;
      if (Date.now() - lastChange > STALL_MS) {
        problems.push(`nothing recorded for ${STALL_MS / 1000} s: ${journeys - recorded} reminders missing`);
        break;
      }
      await sleep(5000);
    }
    const cpuAllRecorded = cpu();
    const fireMs = Date.now() - firstDue;
    // A moment more: a repeat (a second message for someone) would show now.
    await sleep(5000);
    phase = 'done';
    clearInterval(sampler);
    sampler = undefined;
    checkFallen();

    const { rows: stats } = await pool.query<{ messages: number; sent: number; last: Date | null }>(
      `SELECT count(*)::int AS messages, (count(*) FILTER (WHERE status = 'sent'))::int AS sent, max("createdAt") AS last FROM "Message" WHERE journey = 'cart-reminder'`,
    );
    const { rows: dupes } = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM (SELECT "customerId" FROM "Message" WHERE journey = 'cart-reminder' GROUP BY "customerId" HAVING count(*) > 1) AS twice`,
    );
    const { rows: outbox } = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM "OutboxEntry"`);
    const { rows: statuses } = await pool.query<{ status: string; reason: string | null; n: number }>(
      `SELECT status::text AS status, reason, count(*)::int AS n FROM "Message" WHERE journey = 'cart-reminder' AND status <> 'sent' GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 5`,
    );
    for (const s of statuses) problems.push(`${s.n} messages ${s.status}: ${s.reason ?? ''}`);
    const { rows: created } = await pool.query<{ customerId: string; at: number }>(
      `SELECT "customerId", (extract(epoch FROM "createdAt") * 1000)::float8 AS at FROM "Message" WHERE journey = 'cart-reminder'`,
    );
    const lateMs = created.map((r) => r.at - dueOf(Number(r.customerId.slice(4)))).sort((a, b) => a - b);

    // The dev server's share: when the history says the timer fired, for a sample of journeys.
    const firedLate: number[] = [];
    const step = Math.max(1, Math.floor(journeys / SAMPLE));
    await Promise.all(
      Array.from({ length: Math.min(SAMPLE, journeys) }, (_, k) =>
        limit(async () => {
          const i = k * step;
          const history = await client.workflow.getHandle(workflowIdFor(route, customerId(i))).fetchHistory().catch(() => null);
          const fired = history?.events?.find((e) => e.timerFiredEventAttributes);
          if (fired?.eventTime) firedLate.push(tsToMs(fired.eventTime) - dueOf(i));
        }),
      ),
    );
    firedLate.sort((a, b) => a - b);

    const { messages, sent, last } = stats[0];
    const drainMs = last ? last.getTime() - firstDue : NaN;
    const result: RunResult = {
      journeys,
      workers,
      delayMs,
      startSeconds: startMs / 1000,
      startRate: started / (startMs / 1000),
      allWaitingSeconds: allWaitingMs / 1000,
      overranMs,
      memoryWaiting: peak(samples.waiting),
      memoryFiring: peak(samples.firing),
      lateness: { p50: percentile(lateMs, 50) / 1000, p99: percentile(lateMs, 99) / 1000, max: (lateMs.at(-1) ?? NaN) / 1000 },
      timerFired: { p50: percentile(firedLate, 50) / 1000, p99: percentile(firedLate, 99) / 1000, max: (firedLate.at(-1) ?? NaN) / 1000, sampled: firedLate.length },
      drainSeconds: drainMs / 1000,
      drainRate: messages / (drainMs / 1000),
      fireSeconds: fireMs / 1000,
      messages,
      sent,
      duplicates: dupes[0].n,
      outbox: outbox[0].n,
      cpuStart: cpuBetween(cpuAtT0, cpuAllWaiting),
      cpuFire: cpuBetween(cpuAtDue, cpuAllRecorded),
      problems,
      loadBefore,
      loadAfter: os.loadavg()[0],
    };
    if (messages !== journeys || sent !== journeys || result.duplicates !== 0 || result.outbox !== journeys) {
      problems.push(`exactly once FAILED: ${messages} messages (${sent} sent) for ${journeys} journeys, ${result.duplicates} customers with two or more, ${result.outbox} outbox entries`);
    }
    say(
      `done: lateness p50 ${result.lateness.p50.toFixed(1)} s, p99 ${result.lateness.p99.toFixed(1)} s; ${messages} messages, ${result.duplicates} duplicates` +
        (problems.length ? `; problems:\n  ${problems.join('\n  ')}` : ''),
    );
    return result;
  } catch (error) {
    say(`FAILED: ${(error as Error).message}`);
    throw error;
  } finally {
    if (sampler) clearInterval(sampler);
    for (const step of stops.reverse()) await step().catch((error: unknown) => console.error('stopping failed:', error));
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

const exactlyOnce = (r: RunResult) => r.messages === r.journeys && r.sent === r.journeys && r.duplicates === 0 && r.outbox === r.journeys;
const onTime = (r: RunResult) => exactlyOnce(r) && r.overranMs === 0 && r.lateness.p99 <= ON_TIME_S;
const mib = (n: number | undefined) => (n === undefined ? '–' : Math.round(n).toLocaleString('en-US'));
const num = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '–');

function printTable(results: RunResult[]) {
  console.log('| journeys | workers | delay s | starts/s | all waiting after s | worker RSS MiB (waiting / firing) | PostgreSQL PSS MiB (waiting / firing) [RSS sum] | dev server RSS MiB (waiting / firing) | lateness p50 / p99 / max s | timer fired p99 s (sample) | drain s | drain /s | messages | dupes | held on time |');
  console.log('|---:|---:|---:|---:|---:|---|---|---|---|---|---:|---:|---:|---:|---|');
  for (const r of results) {
    const w = r.memoryWaiting;
    const f = r.memoryFiring;
    console.log(
      `| ${r.journeys.toLocaleString('en-US')} | ${r.workers} | ${num(r.delayMs / 1000, 0)} | ${num(r.startRate, 0)} | ${num(r.allWaitingSeconds)} ` +
        `| ${w?.workers.map(mib).join(' + ') ?? '–'} / ${f?.workers.map(mib).join(' + ') ?? '–'} ` +
        `| ${mib(w?.postgresPss)} / ${mib(f?.postgresPss)} [${mib(w?.postgresRssSum)} / ${mib(f?.postgresRssSum)}] ` +
        `| ${mib(w?.temporal)} / ${mib(f?.temporal)} ` +
        `| ${num(r.lateness.p50)} / ${num(r.lateness.p99)} / ${num(r.lateness.max)} | ${num(r.timerFired.p99)} (${r.timerFired.sampled}) ` +
        `| ${num(r.drainSeconds)} | ${num(r.drainRate, 0)} | ${r.messages.toLocaleString('en-US')} | ${r.duplicates} | ${onTime(r) ? 'yes' : exactlyOnce(r) ? 'late' : 'FAILED'} |`,
    );
  }
}

function printCpuTable(results: RunResult[]) {
  console.log('CPU seconds per 1,000 journeys (2 cores give 2 CPU-s per second; "others" is the rest of the machine: other people\'s work):');
  console.log('| journeys | workers | phase | seconds | worker(s) | PostgreSQL | dev server | this process | others | machine busy |');
  console.log('|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of results) {
    for (const [phase, c, wall] of [
      ['start: T0 to all waiting', r.cpuStart, r.allWaitingSeconds],
      ['fire: due to every reminder counted', r.cpuFire, r.fireSeconds],
    ] as const) {
      const per = (n: number) => ((n / r.journeys) * 1000).toFixed(1);
      const others = c.machine - c.workers - c.postgres - c.temporal - c.bench;
      console.log(`| ${r.journeys.toLocaleString('en-US')} | ${r.workers} | ${phase} | ${num(wall)} | ${per(c.workers)} | ${per(c.postgres)} | ${per(c.temporal)} | ${per(c.bench)} | ${per(Math.max(0, others))} | ${Number.isFinite(wall) && wall > 0 ? `${Math.round((c.machine / wall / os.cpus().length) * 100)}%` : '–'} |`);
    }
  }
}

async function main() {
  const began = Date.now();
  const machine = `${os.cpus().length} cores (${os.cpus()[0]?.model.trim() ?? 'unknown'}), ${Math.round(os.totalmem() / 2 ** 30)} GiB`;
  console.log(`Capacity benchmark ${new Date().toISOString()} · ${machine} · Node ${process.version}`);
  console.log(`runs: ${LADDER.join(', ')} journeys × ${WORKER_COUNTS.join(' and ')} worker process(es); on time = lateness p99 ≤ ${ON_TIME_S} s; delay ${FIXED_DELAY_MS ? `${FIXED_DELAY_MS / 1000} s` : 'auto'}`);
  const results: RunResult[] = [];
  const failures: string[] = [];
  let measuredRate: number | undefined;
  for (const workers of WORKER_COUNTS) {
    for (let rung = 0; rung < LADDER.length; rung++) {
      const journeys = LADDER[rung];
      const rate = measuredRate ?? FIRST_GUESS_RATE;
      const delayMs = FIXED_DELAY_MS ?? Math.max(30_000, Math.ceil(((1.3 * journeys) / rate) * 1000) + 30_000);
      let result: RunResult;
      try {
        result = await run(journeys, workers, delayMs);
      } catch (error) {
        failures.push(`${journeys} journeys × ${workers} workers: ${(error as Error).message}`);
        break;
      }
      results.push(result);
      if (Number.isFinite(result.allWaitingSeconds)) measuredRate = journeys / result.allWaitingSeconds;
      if (!exactlyOnce(result)) {
        failures.push(`${journeys} journeys × ${workers} workers: ${result.problems.join('; ')}`);
        break;
      }
      // Late: the largest on time lies below; measure the top of the ladder, skip the rest.
      if (!onTime(result) && rung < LADDER.length - 2) rung = LADDER.length - 2;
    }
  }

  console.log('');
  console.log(`## Capacity: waiting cart-reminder journeys (${new Date().toISOString().slice(0, 10)}, ${machine})`);
  console.log('');
  printTable(results);
  console.log('');
  printCpuTable(results);
  console.log('');
  for (const workers of WORKER_COUNTS) {
    const held = results.filter((r) => r.workers === workers && onTime(r)).map((r) => r.journeys);
    const tried = results.filter((r) => r.workers === workers).map((r) => r.journeys);
    console.log(
      `Largest waiting population held with timers on time (p99 ≤ ${ON_TIME_S} s), ${workers} worker process${workers > 1 ? 'es' : ''}: ` +
        `${held.length ? Math.max(...held).toLocaleString('en-US') : 'none of the runs'} (runs: ${tried.join(', ') || 'none'})`,
    );
  }
  const problems = results.flatMap((r) => r.problems.map((p) => `${r.journeys} × ${r.workers}w: ${p}`));
  if (problems.length) console.log(`\nNotes:\n  ${problems.join('\n  ')}`);
  console.log(`\nLoad average (1 min) at the start / end of each run: ${results.map((r) => `${r.loadBefore.toFixed(1)}/${r.loadAfter.toFixed(1)}`).join(', ')}; whole benchmark ${Math.round((Date.now() - began) / 60_000)} min.`);
  console.log('Memory: the largest sample (every 2 s) while all journeys wait and while the timers fire. PostgreSQL: PSS summed over its processes; RSS summed in brackets.');
  console.log('Lateness: Message.createdAt (stamped as the send activity starts) minus the due time; timer fired: the TimerFired event in the dev server\'s history, for a sample.');
  if (failures.length) {
    console.log(`\nFAILED:\n  ${failures.join('\n  ')}`);
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

// RFM scoring and segment previews over a large generated base, against a floor measured in
// the same run on the same database: one plain aggregate of the orders per customer
// (`GROUP BY "customerId"`: count, sum and latest per customer, every group read), the least
// any RFM scoring must do.
//
//   npm run bench:rfm [-- customers=1000000 orders=5000000 events=1000000 previews=30]
//
// Runs on a private embedded PostgreSQL (durability off, like the test server). The scoring is
// the code the activities run (src/rfm/score.ts: one scoring statement into the next table,
// batches of DEFAULT_RFM_BATCH comparing it with the current scores, the finish that swaps it
// in), called directly: the workflow around it adds one activity per batch. Two runs: the first
// scores every customer for the first time, the second, a day later, rescores them all.
import { loadConfig } from '../src/config';
import { createDb, createPool } from '../src/db';
import { ruleSchema } from '../src/segments/rules';
import { previewSegment } from '../src/segments/service';
import { createTestDatabase } from '../test/helpers/database';
import { runScoring } from '../test/helpers/rfm-run';
import { DEFAULT_RFM_BATCH } from '../workflows/rfm-scoring';
import { listProcesses, pssMiB } from './lib/proc';
import { generateBase } from './lib/synthetic-base';

const arg = (name: string, fallback: number) => Number(process.argv.find((a) => a.startsWith(`${name}=`))?.split('=')[1] ?? fallback);
const CUSTOMERS = arg('customers', 1_000_000);
const ORDERS = arg('orders', 5_000_000);
const EVENTS = arg('events', 1_000_000);
const PREVIEWS = arg('previews', 30);
const BATCH = DEFAULT_RFM_BATCH;
const MB = 1024 * 1024;

/**
 * Memory of every postgres process (the server and its backends), in bytes: the sum of their
 * proportional set sizes, so the shared buffers they all map count once (the sum of RSS counts
 * them once per process — over 4 GB with 1 GB of shared_buffers).
 */
function postgresPss(): number {
  const pids = listProcesses().filter((p) => p.comm === 'postgres');
  return pids.reduce((sum, p) => sum + pssMiB(p.pid), 0) * MB;
}

/** Samples peak memory of this process and of PostgreSQL while `work` runs. */
async function measure<T>(work: () => Promise<T>): Promise<{ result: T; seconds: number; nodePeak: number; postgresPeak: number }> {
  let nodePeak = process.memoryUsage().rss;
  let postgresPeak = postgresPss();
  let ticks = 0;
  const timer = setInterval(() => {
    nodePeak = Math.max(nodePeak, process.memoryUsage().rss);
    // smaps_rollup walks each process's page tables: every half second is enough for a peak.
    if (++ticks % 5 === 0) postgresPeak = Math.max(postgresPeak, postgresPss());
  }, 100);
  const started = process.hrtime.bigint();
  try {
    const result = await work();
    return { result, seconds: Number(process.hrtime.bigint() - started) / 1e9, nodePeak, postgresPeak };
  } finally {
    clearInterval(timer);
  }
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

async function main() {
  const config = loadConfig({});
  console.log(`Generating ${CUSTOMERS} customers, ${ORDERS} orders (one item each), ${EVENTS} events in an embedded PostgreSQL…`);
  const database = await createTestDatabase('bench-rfm', { ownServer: true });
  const pool = createPool(database.url, { size: 4, connectTimeoutMs: 10_000 });
  const db = createDb(database.url);
  const now = new Date();
  try {
    const generated = await measure(() => generateBase(pool, { customers: CUSTOMERS, events: EVENTS, orders: ORDERS }, { now, log: (line) => console.log(line) }));
    console.log(`  generated in ${generated.seconds.toFixed(1)} s`);

    // Every aggregate is used (a bare count(*) over the groups lets PostgreSQL drop the sums),
    // with the scoring's work_mem, so neither spills to disk.
    const floorSql = `SELECT count(*), sum(n), sum(revenue), max(latest) FROM (SELECT "customerId", count(*) AS n, sum(total) AS revenue, max("occurredAt") AS latest FROM "Order" GROUP BY "customerId") f`;
    const floorClient = await pool.connect();
    await floorClient.query(`SET work_mem = '256MB'`);
    await floorClient.query(floorSql); // the same pages in cache for both
    // The median of three: a single timing on these machines varies by a quarter run to run.
    const floors: Awaited<ReturnType<typeof measure>>[] = [];
    for (let i = 0; i < 3; i += 1) floors.push(await measure(() => floorClient.query(floorSql)));
    floors.sort((a, b) => a.seconds - b.seconds);
    const floor = floors[1];
    floorClient.release();

    const rules = ruleSchema.parse({
      all: [
        { attribute: 'city', op: 'eq', value: 'Seoul' },
        { metric: 'orders', op: 'gte', value: 3, within: '365d' },
        { event: 'page_viewed', where: { path: '/sale' }, within: '30d' },
      ],
    });
    // One untimed preview first, as the floor runs once untimed: a live database's previews find
    // the customers' pages in cache; the first after the load reads them from disk.
    await previewSegment(pool, rules, { minAudience: 100, currency: 'KRW' }, now);
    const times: number[] = [];
    let size = 0;
    for (let i = 0; i < PREVIEWS; i += 1) {
      const started = process.hrtime.bigint();
      size = (await previewSegment(pool, rules, { minAudience: 100, currency: 'KRW' }, now)).size;
      times.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
    times.sort((a, b) => a - b);

    const settings = { lookbackMs: config.rfm.lookbackMs, currency: 'KRW' };
    const scoring = await measure(() => runScoring(db, config, 'bench-first', settings, now, BATCH));
    const rescoring = await measure(() => runScoring(db, config, 'bench-next', settings, new Date(now.getTime() + 86_400_000), BATCH));

    const ratio = scoring.seconds / floor.seconds;
    const row = (label: string, run: typeof scoring) => {
      const { steps, batches } = run.result;
      console.log(
        `| ${label} (score ${steps.score.toFixed(1)} s, ${batches} batches ${steps.apply.toFixed(1)} s, finish ${steps.finish.toFixed(1)} s) | ${run.seconds.toFixed(2)} | ${(run.seconds / floor.seconds).toFixed(2)} | ${(run.nodePeak / MB).toFixed(0)} MB | ${(run.postgresPeak / MB).toFixed(0)} MB |`,
      );
    };
    console.log('');
    console.log(`RFM over ${scoring.result.customers} scored customers (${CUSTOMERS} customers, ${ORDERS} orders), ${new Date().toISOString().slice(0, 10)}, ${(await import('node:os')).cpus().length} cores`);
    console.log(`| measure | seconds | × floor | Node peak RSS | PostgreSQL peak PSS |`);
    console.log(`|---|---|---|---|---|`);
    console.log(`| floor: GROUP BY customer over orders (median of ${floors.map((f) => f.seconds.toFixed(2)).join(', ')}) | ${floor.seconds.toFixed(2)} | 1.00 | — | ${(floor.postgresPeak / MB).toFixed(0)} MB |`);
    row('first scoring: every customer new', scoring);
    row('next day: every customer rescored', rescoring);
    console.log('');
    console.log(`Segment preview (3 conditions: city, orders in 365d, /sale views in 30d; ${size} customers), ${PREVIEWS} runs: p50 ${percentile(times, 50).toFixed(0)} ms, p99 ${percentile(times, 99).toFixed(0)} ms`);
    console.log('');
    console.log(`Targets: first scoring ≤ 3× the floor (${ratio <= 3 ? 'met' : 'NOT met'}), Node under 1 GiB (${scoring.nodePeak < 1024 * MB ? 'met' : 'NOT met'}), preview p99 under 1 s (${percentile(times, 99) < 1000 ? 'met' : 'NOT met'})`);
  } finally {
    await db.$disconnect();
    await pool.end();
    await database.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

// Batch ingest: a 500-event batch stored and routed one event at a time (INGEST_CONCURRENCY=1,
// the baseline) against customers in parallel (the default), measured in the same run on the
// same stack (real dev server, worker and PostgreSQL), alternating rounds. Prints the ratio.
//
//   npx tsx bench/ingest.ts [rounds=3] [customers=100]
import { ingestEvents } from '../src/api/events/service';
import { eventSchema, type EventInput } from '../src/api/events/schema';
import { loadConfig } from '../src/config';
import { startStack } from '../test/helpers/stack';

const rounds = Number(process.argv[2] ?? 3);
const customers = Number(process.argv[3] ?? 100);
const BATCH = 500;

function batch(tag: string): EventInput[] {
  return Array.from({ length: BATCH }, (_, i) =>
    eventSchema.parse({ id: `${tag}-${i}`, type: i % 5 === 0 ? 'cart_updated' : 'page_viewed', customerId: `bench-c-${i % customers}`, properties: i % 5 === 0 ? { items: [], value: 0 } : {} }),
  );
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main() {
  const stack = await startStack({ env: { CART_REMINDER_DELAY: '1h' } });
  try {
    const deps = (concurrency: number) => ({ db: stack.db, client: stack.client, config: loadConfig({ ...process.env, DATA_DIR: stack.dataDir, INGEST_CONCURRENCY: String(concurrency) }) });
    const sequential = deps(1);
    const parallel = deps(stack.config.ingestConcurrency);
    await ingestEvents(parallel, batch('warm-up')); // starts every customer's journeys once
    const times = { sequential: [] as number[], parallel: [] as number[] };
    for (let round = 0; round < rounds; round += 1) {
      for (const [name, d] of [['sequential', sequential], ['parallel', parallel]] as const) {
        const started = performance.now();
        const result = await ingestEvents(d, batch(`${name}-${round}`));
        times[name].push(performance.now() - started);
        if (result.accepted !== BATCH) throw new Error(`${name}: accepted ${result.accepted} of ${BATCH}`);
      }
      console.log(`round ${round + 1}: sequential ${times.sequential[round].toFixed(0)} ms, parallel ${times.parallel[round].toFixed(0)} ms`);
    }
    const ratio = median(times.sequential) / median(times.parallel);
    console.log(`${BATCH} events over ${customers} customers, INGEST_CONCURRENCY=${stack.config.ingestConcurrency}: median sequential ${median(times.sequential).toFixed(0)} ms, parallel ${median(times.parallel).toFixed(0)} ms, ${ratio.toFixed(2)}x faster than the sequential baseline`);
  } finally {
    await stack.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

// Captures workflow histories for the replay tests (test/replay/histories/*.json) by running
// each journey scenario on the time-skipping server. Only scenarios without a saved history
// are captured: old histories must keep replaying against new code (guard changes with
// `patched()`). `--force` recaptures all of them, for a deliberate break.
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { historyScenarios } from '../test/replay/scenarios';
import { bundleJourneys, createTimeSkippingEnv } from '../test/helpers/workflow-env';

async function main() {
  const outDir = path.resolve(__dirname, '..', 'test', 'replay', 'histories');
  fs.mkdirSync(outDir, { recursive: true });
  const [env, workflowBundle] = await Promise.all([createTimeSkippingEnv(), bundleJourneys()]);
  try {
    const force = process.argv.includes('--force');
    for (const scenario of historyScenarios) {
      const file = path.join(outDir, `${scenario.name}.json`);
      if (!force && fs.existsSync(file)) {
        console.log(`kept ${path.relative(process.cwd(), file)}`);
        continue;
      }
      const taskQueue = `capture-${scenario.name}`;
      const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle, activities: scenario.activities });
      const history = await worker.runUntil(async () => {
        const handle = await scenario.run(env, taskQueue);
        // A terminated run (long-lived journeys) is as good a history as a completed one.
        await handle.result().catch(() => undefined);
        return handle.fetchHistory();
      });
      fs.writeFileSync(file, `${JSON.stringify(history, null, 2)}\n`);
      console.log(`wrote ${path.relative(process.cwd(), file)} (${history.events?.length ?? 0} events)`);
    }
  } finally {
    await env.teardown();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

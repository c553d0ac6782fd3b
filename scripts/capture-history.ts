// Captures workflow histories for the replay tests (test/replay/histories/*.json) by running
// each journey scenario on the time-skipping server. Regenerate only together with a
// `patched()` guard: old histories must keep replaying against new code.
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
    for (const scenario of historyScenarios) {
      const taskQueue = `capture-${scenario.name}`;
      const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle, activities: scenario.activities });
      const history = await worker.runUntil(async () => {
        const handle = await scenario.run(env, taskQueue);
        await handle.result();
        return handle.fetchHistory();
      });
      const file = path.join(outDir, `${scenario.name}.json`);
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

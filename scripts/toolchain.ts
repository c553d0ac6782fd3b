// Makes sure this machine has the Temporal CLI (dev server) and the time-skipping test
// server in the per-user cache. Run by `npm test` (pretest) and .ci/run; quick when cached.
import { ensureTemporalCli } from '../src/toolchain/temporal-cli';
import { ensureTestServer } from '../src/toolchain/test-server';

async function main() {
  const cli = await ensureTemporalCli({ cliPath: process.env.TEMPORAL_CLI_PATH || undefined });
  console.log(cli ? `temporal CLI: ${cli.path} (${cli.source})` : 'temporal CLI: none (the SDK will download the dev server)');
  const testServer = await ensureTestServer();
  console.log(testServer ? `time-skipping test server: ${testServer}` : 'time-skipping test server: none (the SDK will download it)');
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});

// The demo shop's clock: Temporal's time-skipping test server started where the shop's live
// days begin (TestServerFrom.java), so the real journeys wait their real 24 hours and 7 days
// in moments, and every timer, message and order falls on the shop's calendar.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { registerSearchAttributes } from '../temporal/search-attributes';
import { ensureTestServer } from '../toolchain/test-server';

const LAUNCHER = path.resolve(__dirname, 'TestServerFrom.java');

/**
 * The JVM's settings for a server that lives two minutes. C1 only: C2 recompiles the server's
 * hot paths the whole run and never earns its keep (JFR, 2026-12-03: 10,954 compilations, 35 s
 * of compiler time in a 2-minute seed, a seventh of the machine's CPU). With C1 alone the seed
 * used 210 CPU-s instead of 230 and took 119 s instead of 126–131.
 */
const JVM_OPTIONS = ['-XX:TieredStopAtLevel=1'];

/** Starts the time-skipping server at `start`; its clock moves only in `sleep`s (TestServerFrom.java). */
export async function startTimeMachine(start: Date, log: (line: string) => void): Promise<TestWorkflowEnvironment> {
  const wrapper = await ensureTestServer(log);
  if (!wrapper) throw new Error('the demo shop needs Temporal\'s test server, resolved with Maven (mvn) and run with Java: install both, or run `npm run toolchain` to see what is missing');
  const lib = path.join(path.dirname(wrapper), 'lib');
  // `java` runs the launcher from source (JDK 11+), against the server's own jars.
  const script = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'crm-seed-')), 'temporal-test-server-from');
  fs.writeFileSync(script, `#!/bin/sh\nexec java ${JVM_OPTIONS.join(' ')} -cp '${lib}/*' '${LAUNCHER}' "$@"\n`, { mode: 0o755 });
  process.env.TEMPORAL_TEST_SERVER_START_MS = String(start.getTime());
  const env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: script } } });
  const now = await env.currentTimeMs();
  if (Math.abs(now - start.getTime()) > 60_000) {
    await env.teardown();
    throw new Error(`the test server started at ${new Date(now).toISOString()}, not ${start.toISOString()}`);
  }
  await registerSearchAttributes(env);
  return env;
}

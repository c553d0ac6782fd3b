// The Temporal SDK runtime for tests and benchmarks: quiet unless TEST_LOG=1.
import { DefaultLogger, makeTelemetryFilterString, Runtime } from '@temporalio/worker';

let runtimeInstalled = false;

/** Keeps the SDK quiet in test output unless TEST_LOG=1. */
export function quietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  if (process.env.TEST_LOG) return;
  Runtime.install({
    logger: new DefaultLogger('WARN'),
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }), forward: {} } },
  });
}

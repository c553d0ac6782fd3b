// Time-skipping environment and a once-per-file workflow bundle for workflow tests.
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, makeTelemetryFilterString, Runtime, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { findTestServer } from '../../src/toolchain/test-server';
import { WORKFLOWS_PATH } from '../../src/worker';
import { SEARCH_ATTRIBUTES } from '../../workflows/definitions';

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

/** The Java time-skipping server resolved from Maven Central (scripts/toolchain.ts), else the SDK's download. */
export async function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  quietRuntime();
  const path = findTestServer();
  const env = await TestWorkflowEnvironment.createTimeSkipping(path ? { server: { executable: { type: 'existing-path', path } } } : {});
  // Journeys upsert JourneyStage; the test server, like a real one, wants it registered first.
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(SEARCH_ATTRIBUTES.map((key) => [key.name, temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD])),
  });
  return env;
}

export async function bundleJourneys(): Promise<WorkflowBundleWithSourceMap> {
  quietRuntime();
  return bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: new DefaultLogger('WARN') });
}

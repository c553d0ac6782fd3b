// The vitest side of workflow tests (workflow-env.ts stays usable outside vitest: the
// history capture script).
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { afterAll, beforeAll } from 'vitest';
import { bundleJourneys, createTimeSkippingEnv } from './workflow-env';

/**
 * One time-skipping server and one workflow bundle for the test file (vitest hooks).
 * Read `.env` and `.workflowBundle` inside tests, after `beforeAll` ran.
 */
export function useTimeSkipping(): { readonly env: TestWorkflowEnvironment; readonly workflowBundle: WorkflowBundleWithSourceMap } {
  const context = {} as { env: TestWorkflowEnvironment; workflowBundle: WorkflowBundleWithSourceMap };
  beforeAll(async () => {
    [context.env, context.workflowBundle] = await Promise.all([createTimeSkippingEnv(), bundleJourneys()]);
  });
  afterAll(async () => {
    await context.env?.teardown();
  });
  return context;
}

// Time-skipping environment and a once-per-file workflow bundle for workflow tests.
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Workflow, WorkflowHandle } from '@temporalio/client';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { registerSearchAttributes } from '../../src/temporal/search-attributes';
import { findTestServer } from '../../src/toolchain/test-server';
import { quietRuntime } from './runtime';
import { bundleJourneys as bundle } from '../../src/worker';
import { journeyEventSignal, type JourneyEvent } from '../../workflows/definitions';

/** The Java time-skipping server resolved from Maven Central (scripts/toolchain.ts), else the SDK's download. */
export async function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  quietRuntime();
  const path = findTestServer();
  const env = await TestWorkflowEnvironment.createTimeSkipping(path ? { server: { executable: { type: 'existing-path', path } } } : {});
  await registerSearchAttributes(env);
  return env;
}

export async function bundleJourneys(): Promise<WorkflowBundleWithSourceMap> {
  quietRuntime();
  return bundle();
}

/**
 * The event as happening now on the test server's clock. Journeys time their waits from an
 * event's occurredAt, and a file's tests move the server's clock far ahead of real time.
 */
export async function happeningNow(env: TestWorkflowEnvironment, event: JourneyEvent): Promise<JourneyEvent> {
  return { ...event, occurredAt: new Date(await env.currentTimeMs()).toISOString() };
}

/** Signals one event to a journey, happening now (see happeningNow). */
export async function signalNow(env: TestWorkflowEnvironment, handle: WorkflowHandle, event: JourneyEvent): Promise<void> {
  await handle.signal(journeyEventSignal, await happeningNow(env, event));
}

/** Starts a journey the way the dispatcher does (signalWithStart with its first event, happening now) under a worker, then runs `body`. */
export async function runJourneyTest<W extends Workflow>(
  env: TestWorkflowEnvironment,
  workflowBundle: WorkflowBundleWithSourceMap,
  options: { workflowType: string; workflowId: string; taskQueue: string; args: Parameters<W>; firstEvent: JourneyEvent; activities: object },
  body: (handle: WorkflowHandle<W>) => Promise<void>,
): Promise<void> {
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue: options.taskQueue, workflowBundle, activities: options.activities });
  await worker.runUntil(async () => {
    const handle = await env.client.workflow.signalWithStart(options.workflowType, {
      workflowId: options.workflowId,
      taskQueue: options.taskQueue,
      args: options.args as unknown[],
      signal: journeyEventSignal,
      signalArgs: [await happeningNow(env, options.firstEvent)],
    });
    await body(handle);
  });
}

// The demo shop's clock (src/seed/time-machine.ts, TestServerFrom.java): Temporal's time-skipping
// server, started at a chosen instant, whose clock moves only when it skips — not with the wall
// clock while the client holds skipping locked (upstream, it does).
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTimeMachine } from '../../src/seed/time-machine';

const start = new Date('2026-11-03T00:00:00Z');
let env: TestWorkflowEnvironment | undefined;

beforeAll(async () => {
  env = await startTimeMachine(start, () => undefined);
}, 120_000);

afterAll(async () => {
  await env?.teardown();
});

describe('the time machine', () => {
  it('starts at the given instant and stands still while locked, however long the wall clock runs', async () => {
    const first = await env!.currentTimeMs();
    expect(first - start.getTime()).toBeGreaterThanOrEqual(0);
    expect(first - start.getTime()).toBeLessThan(1_000);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await env!.currentTimeMs()).toBe(first);
  });

  it('moves exactly as far as a sleep asks', async () => {
    const before = await env!.currentTimeMs();
    await env!.sleep(3 * 3_600_000);
    expect(await env!.currentTimeMs()).toBe(before + 3 * 3_600_000);
  });
});

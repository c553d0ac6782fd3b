// The RFM scoring workflow on the time-skipping server with fake activities: score, batches
// with progress in `state`, continue-as-new with the same run key and time, finish.
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import type { rfmScoring } from '../../workflows/rfm-scoring';
import { rfmStateQuery } from '../../workflows/definitions';
import { useTimeSkipping } from '../helpers/use-time-skipping';

const ts = useTimeSkipping();

describe('rfmScoring workflow', () => {
  it('scores, applies 25 customers in batches of 10 across continue-as-new, answers its progress, and finishes', async () => {
    const ids = Array.from({ length: 25 }, (_, i) => `c-${String(i + 1).padStart(2, '0')}`);
    const calls: { step: string; runKey: string; at: string; after?: string }[] = [];
    let releaseSecond: () => void = () => undefined;
    const secondBatch = new Promise<void>((resolve) => (releaseSecond = resolve));
    let secondStarted: () => void = () => undefined;
    const atSecond = new Promise<void>((resolve) => (secondStarted = resolve));
    const activities = {
      scoreRfm: ({ runKey, at }: { runKey: string; at: string }) => {
        calls.push({ step: 'score', runKey, at });
        return Promise.resolve({ customers: ids.length });
      },
      applyRfmBatch: async ({ runKey, at, after, limit }: { runKey: string; at: string; after: string; limit: number }) => {
        calls.push({ step: 'apply', runKey, at, after });
        const batch = ids.filter((id) => id > after).slice(0, limit);
        if (after === 'c-10') {
          secondStarted();
          await secondBatch;
        }
        return { applied: batch.length, last: batch.at(-1) ?? null, changed: batch.length ? 2 : 0 };
      },
      finishRfm: ({ runKey, at }: { runKey: string; at: string }) => {
        calls.push({ step: 'finish', runKey, at });
        return Promise.resolve({ removed: 3 });
      },
    };
    const worker = await Worker.create({ connection: ts.env.nativeConnection, taskQueue: 'rfm-test', workflowBundle: ts.workflowBundle, activities });
    await worker.runUntil(async () => {
      // A history limit this low makes it continue as new after every batch.
      const handle = await ts.env.client.workflow.start<typeof rfmScoring>('rfmScoring', { workflowId: 'rfm-scoring-test', taskQueue: 'rfm-test', args: [{ batchSize: 10, historyLimit: 10 }] });
      await atSecond;
      expect(await handle.query(rfmStateQuery)).toMatchObject({ stage: 'applying', customers: 25, applied: 10, changed: 2, finishedAt: null });
      releaseSecond();
      const result = await handle.result();
      expect(result).toMatchObject({ stage: 'done', customers: 25, applied: 25, changed: 6, removed: 3 });
      expect(result.finishedAt).not.toBeNull();
      // It did continue as new: the run that finished is not the first.
      expect((await handle.describe()).runId).not.toBe(handle.firstExecutionRunId);
    });
    expect(calls.map((c) => [c.step, c.after])).toEqual([
      ['score', undefined],
      ['apply', ''],
      ['apply', 'c-10'],
      ['apply', 'c-20'],
      ['apply', 'c-25'],
      ['finish', undefined],
    ]);
    // One run key and one scoring time across every run of it.
    expect(new Set(calls.map((c) => c.runKey)).size).toBe(1);
    expect(new Set(calls.map((c) => c.at)).size).toBe(1);
  });
});

// The campaign workflow on the time-skipping server with fake activities: sendAt, pages with
// pause / resume, continue-as-new, the held pass, cancel, and the attribution window.
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import type { campaign } from '../../workflows/campaign';
import { campaignControlSignal, campaignStateQuery } from '../../workflows/definitions';
import { useTimeSkipping } from '../helpers/use-time-skipping';

const ts = useTimeSkipping();
const DAY = 86_400_000;
const HOUR = 3_600_000;

interface Calls {
  status: { status: string; atMs: number }[];
  pages: { afterSeq: number; limit: number; atMs: number }[];
  resends: number[];
  cancelHeld: number;
  attributions: string[];
}

/** Fake activities: an audience of `audience` (one in ten held out); each page sends `limit` (held ones as told). */
function fakes(options: { audience: number; heldUntil?: () => string | null; pageGate?: (afterSeq: number) => Promise<void> }) {
  // Resolves when the page after `afterSeq` has started.
  const started = new Map<number, () => void>();
  const pageStarted = (afterSeq: number) => new Promise<void>((resolve) => started.set(afterSeq, resolve));
  const calls: Calls = { status: [], pages: [], resends: [], cancelHeld: 0, attributions: [] };
  const activities = {
    setCampaignStatus: async ({ status }: { status: string }) => {
      calls.status.push({ status, atMs: await ts.env.currentTimeMs() });
    },
    snapshotCampaign: () => Promise.resolve({ audience: options.audience, holdout: Math.floor(options.audience / 10) }),
    sendCampaignPage: async ({ afterSeq, limit }: { afterSeq: number; limit: number }) => {
      calls.pages.push({ afterSeq, limit, atMs: await ts.env.currentTimeMs() });
      started.get(afterSeq)?.();
      await options.pageGate?.(afterSeq);
      const heldUntil = options.heldUntil?.() ?? null;
      return { counts: heldUntil ? { sent: limit - 1, held: 1 } : { sent: limit }, heldUntil };
    },
    resendHeldCampaignMessages: async () => {
      calls.resends.push(await ts.env.currentTimeMs());
      return { counts: { sent: 1 }, heldUntil: null };
    },
    cancelHeldCampaignMessages: () => {
      calls.cancelHeld += 1;
      return Promise.resolve(0);
    },
    attributeCampaignOrders: ({ until }: { until: string }) => {
      calls.attributions.push(until);
      return Promise.resolve(0);
    },
  };
  return { calls, activities, pageStarted };
}

let n = 0;
async function run(activities: object, body: (handle: Awaited<ReturnType<typeof ts.env.client.workflow.start<typeof campaign>>>) => Promise<void>, input: Partial<Parameters<typeof campaign>[0]> = {}) {
  n += 1;
  const taskQueue = `campaign-test-${n}`;
  const worker = await Worker.create({ connection: ts.env.nativeConnection, taskQueue, workflowBundle: ts.workflowBundle, activities });
  await worker.runUntil(async () => {
    const handle = await ts.env.client.workflow.start<typeof campaign>('campaign', { workflowId: `campaign:cmp_test${n}`, taskQueue, args: [{ campaignId: `cmp_test${n}`, pageSize: 10, windowDays: 2, ...input }] });
    await body(handle);
  });
}

describe('campaign workflow', () => {
  it('waits for sendAt, sends 25 recipients in pages of 10 across continue-as-new, then credits orders daily through the window and completes', async () => {
    const { calls, activities } = fakes({ audience: 25 });
    const start = await ts.env.currentTimeMs();
    await run(
      activities,
      async (handle) => {
        const result = await handle.result();
        expect(result).toMatchObject({ status: 'completed', audience: 25, holdout: 2, processed: 25, counts: { sent: 30 } });
        expect((await handle.describe()).runId).not.toBe(handle.firstExecutionRunId);
      },
      { sendAt: new Date(start + 3 * HOUR).toISOString(), historyLimit: 10 },
    );
    expect(calls.pages.map((p) => p.afterSeq)).toEqual([0, 10, 20]);
    expect(calls.pages[0].atMs - start).toBeGreaterThanOrEqual(3 * HOUR);
    expect(calls.status.map((s) => s.status)).toEqual(['running', 'completed']);
    // The window of 2 days: credited after the first day and at its end.
    expect(calls.attributions).toHaveLength(2);
  });

  it('pauses between pages and resumes where it stopped', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { calls, activities, pageStarted } = fakes({ audience: 30, pageGate: (afterSeq) => (afterSeq === 0 ? gate : Promise.resolve()) });
    const firstPage = pageStarted(0);
    await run(activities, async (handle) => {
      await firstPage;
      await handle.signal(campaignControlSignal, 'pause');
      release();
      // The page in flight finishes; no next page while paused (the server skips time meanwhile).
      await ts.env.sleep(5 * DAY);
      expect(await handle.query(campaignStateQuery)).toMatchObject({ status: 'paused', processed: 10 });
      expect(calls.pages).toHaveLength(1);
      await handle.signal(campaignControlSignal, 'resume');
      expect(await handle.result()).toMatchObject({ status: 'completed', processed: 30 });
    });
    expect(calls.pages.map((p) => p.afterSeq)).toEqual([0, 10, 20]);
    expect(calls.status.map((s) => s.status)).toEqual(['running', 'paused', 'running', 'completed']);
  });

  it('sends what quiet hours held when the hold ends', async () => {
    let first = true;
    const heldUntilMs = (await ts.env.currentTimeMs()) + 9 * HOUR;
    const { calls, activities } = fakes({
      audience: 10,
      heldUntil: () => {
        const value = first ? new Date(heldUntilMs).toISOString() : null;
        first = false;
        return value;
      },
    });
    await run(activities, async (handle) => {
      expect(await handle.result()).toMatchObject({ status: 'completed', counts: { sent: 10, held: 0 }, heldUntil: null });
    });
    expect(calls.resends).toHaveLength(1);
    expect(calls.resends[0]).toBeGreaterThanOrEqual(heldUntilMs);
  });

  it('cancelled between pages: no more pages, held messages cancelled, status cancelled', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { calls, activities, pageStarted } = fakes({ audience: 30, pageGate: (afterSeq) => (afterSeq === 10 ? gate : Promise.resolve()) });
    const secondPage = pageStarted(10);
    await run(activities, async (handle) => {
      await secondPage;
      await handle.signal(campaignControlSignal, 'cancel');
      release();
      expect(await handle.result()).toMatchObject({ status: 'cancelled', processed: 20 });
    });
    expect(calls.pages.map((p) => p.afterSeq)).toEqual([0, 10]);
    expect(calls.cancelHeld).toBe(1);
    expect(calls.attributions).toEqual([]);
    expect(calls.status.map((s) => s.status)).toEqual(['running', 'cancelled']);
  });
});

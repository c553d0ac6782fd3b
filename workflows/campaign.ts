// A broadcast campaign, `campaign:<id>` (DESIGN.md "Campaigns"): wait for `sendAt`, snapshot
// the audience with its holdout, send page by page through the guarded send (rate-limited,
// exactly once per campaign and customer), send again what quiet hours held, then credit the
// recipients' orders through the window. Pause, resume and cancel arrive as one signal; the
// history stays bounded however large the audience (continue-as-new between pages).
import { condition, continueAsNew, proxyActivities, setHandler, sleep, workflowInfo } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { campaignControlSignal, campaignStateQuery, type CampaignState } from './definitions';

type Activities = ReturnType<typeof createActivities>;

const DAY_MS = 86_400_000;

const { setCampaignStatus, snapshotCampaign, cancelHeldCampaignMessages, attributeCampaignOrders } = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute' },
});
// A page sends up to pageSize messages at ratePerSecond: it heartbeats after every send.
const { sendCampaignPage, resendHeldCampaignMessages } = proxyActivities<Activities>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

export interface CampaignInput {
  campaignId: string;
  sendAt?: string | null;
  windowDays?: number;
  pageSize?: number;
  /** Continue as new past this many history events (tests lower it). */
  historyLimit?: number;
  carried?: { state: CampaignState; nextSeq: number; paused: boolean; cancelled: boolean; startedAt: string };
}

export async function campaign({ campaignId, sendAt = null, windowDays = 7, pageSize = 500, historyLimit = 2000, carried }: CampaignInput): Promise<CampaignState> {
  const state: CampaignState = carried?.state ?? { status: 'scheduled', audience: null, holdout: null, processed: 0, counts: {}, heldUntil: null };
  let paused = carried?.paused ?? false;
  let cancelled = carried?.cancelled ?? false;
  setHandler(campaignStateQuery, () => state);
  setHandler(campaignControlSignal, (control) => {
    if (control === 'cancel') cancelled = true;
    else paused = control === 'pause';
  });
  const now = () => new Date(Date.now()).toISOString();
  const moveTo = async (status: CampaignState['status']) => {
    if (state.status === status) return;
    state.status = status;
    await setCampaignStatus({ campaignId, status, at: now() });
  };
  const add = (counts: Partial<Record<string, number>>) => {
    for (const [status, n] of Object.entries(counts)) state.counts[status] = (state.counts[status] ?? 0) + (n ?? 0);
  };
  const finishCancelled = async () => {
    await cancelHeldCampaignMessages({ campaignId });
    state.heldUntil = null;
    await moveTo('cancelled');
    return state;
  };

  let startedAt = carried?.startedAt;
  if (!carried) {
    const at = sendAt ? Date.parse(sendAt) : Date.now();
    if (at > Date.now()) await condition(() => cancelled, at - Date.now());
    if (cancelled) return finishCancelled();
    startedAt = now();
    const snapshot = await snapshotCampaign({ campaignId, at: startedAt });
    state.audience = snapshot.audience;
    state.holdout = snapshot.holdout;
  }

  let nextSeq = carried?.nextSeq ?? 0;
  await moveTo(paused ? 'paused' : 'running');
  while (nextSeq < (state.audience ?? 0)) {
    if (paused && !cancelled) {
      await moveTo('paused');
      await condition(() => !paused || cancelled);
    }
    if (cancelled) return finishCancelled();
    await moveTo('running');
    const page = await sendCampaignPage({ campaignId, afterSeq: nextSeq, limit: pageSize });
    add(page.counts);
    if (page.heldUntil && (!state.heldUntil || page.heldUntil < state.heldUntil)) state.heldUntil = page.heldUntil;
    nextSeq = Math.min(nextSeq + pageSize, state.audience ?? 0);
    state.processed = nextSeq;
    const info = workflowInfo();
    if (info.historyLength > historyLimit || info.continueAsNewSuggested) {
      return continueAsNew<typeof campaign>({ campaignId, sendAt, windowDays, pageSize, historyLimit, carried: { state, nextSeq, paused, cancelled, startedAt: startedAt! } });
    }
  }

  // Quiet hours held some: send them when the hold ends (the send re-checks every rule then).
  while (state.heldUntil && !cancelled) {
    await condition(() => cancelled, Math.max(Date.parse(state.heldUntil) - Date.now(), 1));
    if (cancelled) break;
    const again = await resendHeldCampaignMessages({ campaignId });
    const { held: stillHeld = 0, ...decided } = again.counts;
    // `held` counts what is held now; the others what the held ones became.
    add(decided);
    state.counts.held = stillHeld;
    state.heldUntil = again.heldUntil;
  }
  if (cancelled) return finishCancelled();
  await moveTo('completed');

  // The window: the recipients' orders are credited as they come (daily) and once more at its end.
  const windowEnd = Date.parse(startedAt!) + windowDays * DAY_MS;
  while (Date.now() < windowEnd) {
    await sleep(Math.min(DAY_MS, windowEnd - Date.now()));
    await attributeCampaignOrders({ campaignId, until: now() });
  }
  return state;
}

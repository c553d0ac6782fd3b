// RFM scoring as a workflow: the Temporal Schedule `rfm-scoring` starts it daily
// (RFM_SCHEDULE), `POST /v1/rfm/run` on demand. It scores the base in the database, goes
// through the new scores in batches (the changes of segment become events), answering its
// progress to the `state` query, then puts them in place; it continues as new before its
// history grows large, so the base may be any size.
import { continueAsNew, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { rfmStateQuery, type RfmScoringState } from './definitions';

type Activities = ReturnType<typeof createActivities>;

export interface RfmScoringInput {
  /** Customers per batch (each batch is one activity and one transaction). */
  batchSize?: number;
  /** Continue as new past this many history events (tests lower it). */
  historyLimit?: number;
  /** Carried across continue-as-new. */
  carried?: { runKey: string; at: string; cursor: string; state: RfmScoringState };
}

const { scoreRfm, applyRfmBatch, finishRfm } = proxyActivities<Pick<Activities, 'scoreRfm' | 'applyRfmBatch' | 'finishRfm'>>({
  // One statement over every order of the lookback: minutes on a large base.
  startToCloseTimeout: '30 minutes',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 10 },
});

// Each batch is one transaction comparing that many new scores with the current ones (and
// storing the changes' events), and a line of progress.
export const DEFAULT_RFM_BATCH = 50_000;

export async function rfmScoring({ batchSize = DEFAULT_RFM_BATCH, historyLimit = 2000, carried }: RfmScoringInput = {}): Promise<RfmScoringState> {
  const info = workflowInfo();
  // One key and one "now" for the whole run, whatever its continue-as-new count.
  const runKey = carried?.runKey ?? `${info.workflowId}/${info.firstExecutionRunId}`;
  const at = carried?.at ?? new Date(Date.now()).toISOString();
  const state: RfmScoringState = carried?.state ?? { stage: 'scoring', customers: null, applied: 0, changed: 0, removed: 0, startedAt: at, finishedAt: null };
  setHandler(rfmStateQuery, () => state);

  if (state.stage === 'scoring') {
    state.customers = (await scoreRfm({ runKey, at })).customers;
    state.stage = 'applying';
  }
  let cursor = carried?.cursor ?? '';
  while (state.stage === 'applying') {
    const batch = await applyRfmBatch({ runKey, at, after: cursor, limit: batchSize });
    if (!batch.last) {
      state.stage = 'finishing';
      break;
    }
    state.applied += batch.applied;
    state.changed += batch.changed;
    cursor = batch.last;
    if (workflowInfo().historyLength > historyLimit || workflowInfo().continueAsNewSuggested) {
      return continueAsNew<typeof rfmScoring>({ batchSize, historyLimit, carried: { runKey, at, cursor, state } });
    }
  }
  state.removed = (await finishRfm({ runKey, at })).removed;
  state.stage = 'done';
  state.finishedAt = new Date(Date.now()).toISOString();
  return state;
}

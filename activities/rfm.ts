// RFM scoring's side effects, one per step of workflows/rfm-scoring.ts (the SQL: src/rfm/score.ts).
import type { ActivityDeps } from '.';
import { applyBatch, finishRun, scoreIntoNext } from '../src/rfm/score';

export interface RfmStep {
  /** The scoring run: workflow id and first run id (stable across continue-as-new and retries). */
  runKey: string;
  /** The run's one "now" (ISO-8601): every batch scores and dates its events with it. */
  at: string;
}

export function createRfmActivities({ db, config }: ActivityDeps) {
  const settings = () => {
    if (!config) throw new Error('RFM scoring needs the configuration (ActivityDeps.config)');
    return { config, rfm: { lookbackMs: config.rfm.lookbackMs, currency: config.rfm.currency } };
  };
  return {
    /** Scores the base into the run's table beside CustomerRfm; returns its size. */
    async scoreRfm({ runKey, at }: RfmStep): Promise<{ customers: number }> {
      return { customers: await scoreIntoNext(db, runKey, settings().rfm, new Date(at)) };
    },
    async applyRfmBatch({ runKey, at, after, limit }: RfmStep & { after: string; limit: number }) {
      const { config: c, rfm } = settings();
      return applyBatch(db, c, runKey, after, limit, rfm, new Date(at));
    },
    /** Unscores customers who left the base and puts the run's scores in place; returns how many left. */
    async finishRfm({ runKey, at }: RfmStep): Promise<{ removed: number }> {
      const { config: c, rfm } = settings();
      return { removed: await finishRun(db, c, runKey, rfm, new Date(at)) };
    },
  };
}

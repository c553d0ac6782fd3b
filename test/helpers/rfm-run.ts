// One whole RFM scoring run driven as workflows/rfm-scoring.ts drives its activities (score,
// batches until none is left, finish), called directly: for the RFM tests and bench:rfm.
import type { Config } from '../../src/config';
import type { Db } from '../../src/db';
import { applyBatch, finishRun, scoreIntoNext, type RfmSettings } from '../../src/rfm/score';

export interface ScoringRun {
  customers: number;
  applied: number;
  changed: number;
  removed: number;
  batches: number;
  /** Seconds each step took. */
  steps: { score: number; apply: number; finish: number };
}

export async function runScoring(db: Db, config: Config, runKey: string, settings: RfmSettings, now: Date, batchSize: number): Promise<ScoringRun> {
  const since = (started: bigint) => Number(process.hrtime.bigint() - started) / 1e9;
  let started = process.hrtime.bigint();
  const customers = await scoreIntoNext(db, runKey, settings, now);
  const score = since(started);
  started = process.hrtime.bigint();
  let after = '';
  let applied = 0;
  let changed = 0;
  let batches = 0;
  for (;;) {
    const batch = await applyBatch(db, config, runKey, after, batchSize, settings, now);
    if (!batch.last) break;
    applied += batch.applied;
    changed += batch.changed;
    batches += 1;
    after = batch.last;
  }
  const apply = since(started);
  started = process.hrtime.bigint();
  const removed = await finishRun(db, config, runKey, settings, now);
  return { customers, applied, changed, removed, batches, steps: { score, apply, finish: since(started) } };
}

// The RFM grid of DESIGN.md: a segment for each R score and FM = round((F + M) / 2).
// Pure data, shared by the scoring SQL (score.ts), the API and the tests.
import { RFM_SEGMENTS, type RfmSegment } from '../segments/rules';

export type Score = 1 | 2 | 3 | 4 | 5;

/** GRID[r][fm - 1]. */
export const RFM_GRID: Record<Score, readonly [RfmSegment, RfmSegment, RfmSegment, RfmSegment, RfmSegment]> = {
  5: ['new customers', 'potential loyalist', 'potential loyalist', 'champions', 'champions'],
  4: ['promising', 'potential loyalist', 'loyal', 'champions', 'champions'],
  3: ['about to sleep', 'need attention', 'need attention', 'loyal', 'loyal'],
  2: ['hibernating', 'hibernating', 'at risk', 'at risk', "can't lose them"],
  1: ['lost', 'lost', 'at risk', "can't lose them", "can't lose them"],
};

/** FM: the mean of F and M, halves rounded up (as SQL's round() does for positive numbers). */
export const fmOf = (f: Score, m: Score): Score => Math.round((f + m) / 2) as Score;

export function segmentOf(r: Score, f: Score, m: Score): RfmSegment {
  return RFM_GRID[r][fmOf(f, m) - 1];
}

/** The grid flattened for SQL: `($n::text[])[(r - 1) * 5 + fm]`. */
export const GRID_ARRAY: string[] = ([1, 2, 3, 4, 5] as const).flatMap((r) => [...RFM_GRID[r]]);

export { RFM_SEGMENTS };

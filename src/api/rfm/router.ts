// RFM: the distribution of the latest scores, and scoring on demand (src/rfm/).
import type { Client } from '@temporalio/client';
import { Router } from 'express';
import type pg from 'pg';
import type { Config } from '../../config';
import { Decimal, money } from '../../money';
import { RFM_SEGMENTS } from '../../rfm/grid';
import { RFM_SCHEDULE_ID, rfmScorings, scoreRfmNow } from '../../rfm/schedule';
import { rfmStateQuery, type RfmScoringState } from '../../../workflows/definitions';

const DISTRIBUTION_SQL = `
  SELECT segment, count(*)::int AS customers, sum(revenue)::text AS revenue,
         round(count(*) / sum(count(*)) OVER (), 4)::text AS share,
         round(sum(revenue) / NULLIF(sum(sum(revenue)) OVER (), 0), 4)::text AS "revenueShare",
         max("scoredAt") AS "scoredAt"
  FROM "CustomerRfm" GROUP BY segment`;

export function rfmRouter({ pool, client, config }: { pool: pg.Pool; client: Client; config: Config }): Router {
  const router = Router();

  router.post('/v1/rfm/run', async (_req, res) => {
    const { workflowId, alreadyRunning } = await scoreRfmNow(client, config);
    res.status(202).json({ schedule: RFM_SCHEDULE_ID, workflowId, alreadyRunning });
  });

  router.get('/v1/rfm', async (_req, res) => {
    const { rows } = await pool.query<{ segment: string; customers: number; revenue: string; share: string; revenueShare: string | null; scoredAt: Date }>(DISTRIBUTION_SQL);
    const bySegment = new Map(rows.map((row) => [row.segment, row]));
    const currency = config.rfm.currency;
    // Progress of a scoring in flight, from its `state` query (none if Temporal is away).
    const running: { workflowId: string; state: RfmScoringState | null }[] = [];
    try {
      for (const workflowId of (await rfmScorings(client)).running) {
        running.push({ workflowId, state: await client.workflow.getHandle(workflowId).query(rfmStateQuery).catch(() => null) });
      }
    } catch {
      // No schedule yet, or Temporal unreachable: the distribution still answers.
    }
    res.json({
      scoredAt: rows.reduce<Date | null>((latest, row) => (!latest || row.scoredAt > latest ? row.scoredAt : latest), null),
      customers: rows.reduce((sum, row) => sum + row.customers, 0),
      // Shares are ratios (4 decimals), as decimal strings like the money beside them.
      segments: RFM_SEGMENTS.map((segment) => {
        const row = bySegment.get(segment);
        return { segment, customers: row?.customers ?? 0, revenue: money(row?.revenue ?? '0', currency), share: new Decimal(row?.share ?? '0').toFixed(), revenueShare: new Decimal(row?.revenueShare ?? '0').toFixed() };
      }),
      running,
    });
  });

  return router;
}

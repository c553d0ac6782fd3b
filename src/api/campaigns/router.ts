// Campaigns: create (runs as `campaign:<id>`), list, report, pause / resume / cancel.
import type { Client } from '@temporalio/client';
import { Router } from 'express';
import type pg from 'pg';
import { z } from 'zod';
import { campaignReport, campaignWorkflowId, createCampaign } from '../../campaigns/service';
import { createCampaignSchema } from '../../campaigns/schema';
import type { Config } from '../../config';
import type { Db } from '../../db';
import { campaignControlSignal, type CampaignControl } from '../../../workflows/definitions';
import { ApiError, parseOrThrow } from '../errors';

const campaignIdSchema = z.string().regex(/^cmp_[0-9a-f]{16}$/, 'expected a campaign id such as cmp_0123456789abcdef');

export function campaignsRouter(deps: { db: Db; pool: pg.Pool; client: Client; config: Config }): Router {
  const router = Router();
  const { db, pool, client, config } = deps;
  const campaignId = (params: Record<string, string>) => parseOrThrow(campaignIdSchema, params.id, ['id']);

  router.post('/v1/campaigns', async (req, res) => {
    const input = parseOrThrow(createCampaignSchema, req.body ?? {});
    res.status(201).json(await createCampaign(deps, input));
  });

  router.get('/v1/campaigns', async (_req, res) => {
    const campaigns = await db.campaign.findMany({
      orderBy: { createdAt: 'desc' },
      select: { id: true, name: true, status: true, purpose: true, channels: true, sendAt: true, audienceSize: true, holdoutSize: true, startedAt: true, finishedAt: true, createdAt: true },
      take: 200,
    });
    res.json({ campaigns });
  });

  router.get('/v1/campaigns/:id', async (req, res) => {
    const id = campaignId(req.params);
    const report = await campaignReport(pool, id, config.messaging.costCurrency);
    if (!report) throw new ApiError(404, 'not_found', `no campaign ${id}`);
    res.json(report);
  });

  for (const control of ['pause', 'resume', 'cancel'] as const satisfies CampaignControl[]) {
    router.post(`/v1/campaigns/:id/${control}`, async (req, res) => {
      const id = campaignId(req.params);
      const found = await db.campaign.findUnique({ where: { id }, select: { status: true } });
      if (!found) throw new ApiError(404, 'not_found', `no campaign ${id}`);
      if (found.status === 'completed' || found.status === 'cancelled') throw new ApiError(409, 'conflict', `campaign ${id} is ${found.status}: it can no longer ${control}`);
      await client.workflow.getHandle(campaignWorkflowId(id)).signal(campaignControlSignal, control);
      res.status(202).json({ id, requested: control });
    });
  }

  return router;
}

// Acquisition spend, for CAC (GET /v1/analytics/unit-economics): what was paid per channel over
// a run of days. Periods may overlap (two campaigns on one channel): they are summed.
import { Router } from 'express';
import { z } from 'zod';
import type { Db } from '../../db';
import { amountSchema, currencySchema, money } from '../../money';
import { ApiError, parseOrThrow } from '../errors';

const day = z.iso.date({ error: 'expected a date such as 2026-11-01' });

export const acquisitionSpendSchema = z.strictObject({
  channel: z.string().trim().min(1, 'expected the channel the money was spent on, such as naver or instagram').max(64),
  from: day,
  to: day,
  amount: amountSchema,
  currency: currencySchema,
});

export function acquisitionSpendRouter({ db }: { db: Db }): Router {
  const router = Router();

  router.post('/v1/acquisition-spend', async (req, res) => {
    res.status(201).json(await addAcquisitionSpend(db, parseOrThrow(acquisitionSpendSchema, req.body ?? {})));
  });

  return router;
}

/** Stores one validated spend (the route's work; the demo shop records its spend through it too). */
export async function addAcquisitionSpend(db: Db, input: z.output<typeof acquisitionSpendSchema>) {
  // Both days are included: a one-day spend has from = to.
  if (input.to < input.from) throw new ApiError(400, 'invalid_request', 'to: must not be before from', [{ field: 'to', message: 'must not be before from' }]);
  const row = await db.acquisitionSpend.create({ data: { channel: input.channel, from: new Date(`${input.from}T00:00:00Z`), to: new Date(`${input.to}T00:00:00Z`), amount: input.amount, currency: input.currency } });
  return { id: row.id, channel: row.channel, from: input.from, to: input.to, amount: money(row.amount, row.currency) };
}

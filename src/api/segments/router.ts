// Segments: preview a rule, save it, read, list, delete, and page through its members.
// The rule language and how it runs: src/segments/.
import { Router } from 'express';
import type pg from 'pg';
import { z } from 'zod';
import type { Config } from '../../config';
import { SegmentRuleError } from '../../segments/compile';
import { ruleSchema, type Rule } from '../../segments/rules';
import { createSegment, deleteSegment, findSegment, listSegments, previewSegment, segmentMembers, type SavedSegment } from '../../segments/service';
import { ApiError, parseOrThrow } from '../errors';
import { idSchema } from '../schemas';

const previewSchema = z.object({ rules: ruleSchema }).strict();
const createSchema = z.object({ name: z.string().trim().min(1).max(200), rules: ruleSchema }).strict();
const membersQuerySchema = z
  .object({
    cursor: z.string().min(1).max(200).optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  })
  .strict();

/** A rule that parses but cannot run (an unknown saved segment, a cycle): 400 naming where. */
async function orRuleError<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof SegmentRuleError) throw new ApiError(400, 'invalid_request', error.message, [{ field: error.path, message: error.message.slice(error.path.length + 2) }]);
    throw error;
  }
}

export function segmentsRouter({ pool, config }: { pool: pg.Pool; config: Config }): Router {
  const router = Router();
  const settings = config.segments;
  const segmentId = (params: Record<string, string>) => parseOrThrow(idSchema, params.id, ['id']);
  const savedOr404 = async (id: string): Promise<SavedSegment> => {
    const segment = await findSegment(pool, id);
    if (!segment) throw new ApiError(404, 'not_found', `no segment ${id}`);
    return segment;
  };

  router.post('/v1/segments/preview', async (req, res) => {
    const { rules } = parseOrThrow(previewSchema, req.body ?? {});
    res.json(await orRuleError(() => previewSegment(pool, rules, settings)));
  });

  router.post('/v1/segments', async (req, res) => {
    const input = parseOrThrow(createSchema, req.body ?? {});
    res.status(201).json(await orRuleError(() => createSegment(pool, input, settings)));
  });

  router.get('/v1/segments', async (_req, res) => {
    res.json({ segments: await listSegments(pool) });
  });

  router.get('/v1/segments/:id', async (req, res) => {
    res.json(await savedOr404(segmentId(req.params)));
  });

  router.get('/v1/segments/:id/members', async (req, res) => {
    const segment = await savedOr404(segmentId(req.params));
    const query = parseOrThrow(membersQuerySchema, req.query);
    res.json(await orRuleError(() => segmentMembers(pool, { segment: segment.id } satisfies Rule, settings, query)));
  });

  router.delete('/v1/segments/:id', async (req, res) => {
    const id = segmentId(req.params);
    const outcome = await deleteSegment(pool, id);
    if (outcome === 'missing') throw new ApiError(404, 'not_found', `no segment ${id}`);
    if (outcome !== 'deleted') {
      throw new ApiError(409, 'conflict', `segment ${id} is used by segment(s) ${outcome.referencedBy.join(', ')}: delete those first`, { referencedBy: outcome.referencedBy });
    }
    res.status(204).end();
  });

  return router;
}

import { Router } from 'express';
import { parseOrThrow } from '../errors';
import { eventBatchSchema, eventSchema } from './schema';
import { ingestEvents, type IngestDeps } from './service';

export function eventsRouter(deps: IngestDeps): Router {
  const router = Router();
  router.post('/v1/events', async (req, res) => {
    const body: unknown = req.body;
    // Every event is validated before any is written: a bad batch writes nothing.
    const events =
      body && typeof body === 'object' && 'events' in body
        ? parseOrThrow(eventBatchSchema, body).events
        : [parseOrThrow(eventSchema, body)];
    res.status(202).json(await ingestEvents(deps, events, new Date(), { requestId: req.id as string }));
  });
  return router;
}

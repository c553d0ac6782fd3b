import type { Client } from '@temporalio/client';
import { Router } from 'express';
import type { Config } from '../../config';
import type { Db } from '../../db';
import { parseOrThrow } from '../errors';
import { idSchema, workflowIdSchema } from '../schemas';
import { cancelJourneyQuerySchema, customerProfileSchema, messagesQuerySchema } from './schema';
import { cancelJourney, getCustomer, listJourneys, listMessages, upsertCustomer } from './service';

export function customersRouter({ db, client, config }: { db: Db; client: Client; config: Config }): Router {
  const router = Router();
  const customerId = (params: Record<string, string>) => parseOrThrow(idSchema, params.id, ['id']);

  router.put('/v1/customers/:id', async (req, res) => {
    const id = customerId(req.params);
    const profile = parseOrThrow(customerProfileSchema, req.body ?? {});
    const { created, customer } = await upsertCustomer(db, config, id, profile);
    res.status(created ? 201 : 200).json(customer);
  });

  router.get('/v1/customers/:id', async (req, res) => {
    res.json(await getCustomer(db, customerId(req.params)));
  });

  router.get('/v1/customers/:id/messages', async (req, res) => {
    const query = parseOrThrow(messagesQuerySchema, req.query);
    res.json({ messages: await listMessages(db, customerId(req.params), query) });
  });

  router.get('/v1/customers/:id/journeys', async (req, res) => {
    res.json({ journeys: await listJourneys(db, client, customerId(req.params)) });
  });

  router.delete('/v1/customers/:id/journeys/:workflowId', async (req, res) => {
    const id = customerId(req.params);
    const workflowId = parseOrThrow(workflowIdSchema, req.params.workflowId, ['workflowId']);
    const { reason } = parseOrThrow(cancelJourneyQuerySchema, req.query);
    res.status(202).json(await cancelJourney(db, client, id, workflowId, reason));
  });

  return router;
}

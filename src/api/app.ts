// The Express application, built in one place and exported for tests; src/main.ts listens.
import type { Client, Connection } from '@temporalio/client';
import express from 'express';
import type pg from 'pg';
import type { Config } from '../config';
import type { Db } from '../db';
import { acquisitionSpendRouter } from './acquisition-spend/router';
import { analyticsRouter } from './analytics/router';
import { dashboardRouter } from '../dashboard/router';
import { requireApiKey } from './auth';
import { campaignsRouter } from './campaigns/router';
import { customersRouter } from './customers/router';
import { errorHandler, notFound } from './errors';
import { eventsRouter } from './events/router';
import { healthRouter } from './health/router';
import { onsiteRouter } from './onsite/router';
import { redirectRouter } from './redirect/router';
import { rfmRouter } from './rfm/router';
import { segmentsRouter } from './segments/router';
import { templatesRouter } from './templates/router';
import { unsubscribeRouter } from './unsubscribe/router';

export interface AppDeps {
  db: Db;
  /** A plain pool on the same database, for ingest (src/api/events/service.ts). */
  pool: pg.Pool;
  connection: Connection;
  client: Client;
  config: Config;
  apiKeys: readonly string[];
  /** Verifies the opt-out links in marketing messages, and the tracked links (/r/:token). */
  unsubscribeSecret: string;
}

export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(healthRouter(deps));
  app.use(unsubscribeRouter(deps));
  app.use(redirectRouter(deps));
  app.use(dashboardRouter(deps));
  app.use('/v1', requireApiKey(deps.apiKeys));
  app.use(express.json({ limit: '5mb' }));
  app.use(eventsRouter(deps));
  app.use(customersRouter(deps));
  app.use(onsiteRouter(deps));
  app.use(templatesRouter(deps));
  app.use(segmentsRouter(deps));
  app.use(rfmRouter(deps));
  app.use(campaignsRouter(deps));
  app.use(analyticsRouter(deps));
  app.use(acquisitionSpendRouter(deps));
  app.use(notFound);
  app.use(errorHandler);
  return app;
}

// The Express application, built in one place and exported for tests; src/main.ts listens.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Client, Connection } from '@temporalio/client';
import cors from 'cors';
import express, { type RequestHandler } from 'express';
import helmet from 'helmet';
import type pg from 'pg';
import { pinoHttp } from 'pino-http';
import type { Config } from '../config';
import type { Db } from '../db';
import { BACKLOG_SQL, toBacklog } from '../dispatch/dispatcher';
import { KeyStore } from '../keys/store';
import { log as processLog, type Logger } from '../log';
import { backlogGauges, httpDuration, metricsText, registry } from '../metrics';
import { acquisitionSpendRouter } from './acquisition-spend/router';
import { analyticsRouter } from './analytics/router';
import { dashboardRouter } from '../dashboard/router';
import { authenticate, callerKey, fromOtherSite, requireScope } from './auth';
import { campaignsRouter } from './campaigns/router';
import { customersRouter } from './customers/router';
import { ApiError, errorHandler, notFound } from './errors';
import { eventsRouter } from './events/router';
import { healthRouter } from './health/router';
import { keysRouter } from './keys/router';
import { onsiteRouter } from './onsite/router';
import { rateLimitPerKey } from './rate-limit';
import { redirectRouter } from './redirect/router';
import { rfmRouter } from './rfm/router';
import { segmentsRouter } from './segments/router';
import { templatesRouter } from './templates/router';
import { unsubscribeRouter } from './unsubscribe/router';
import { sdkRouter } from '../sdk/router';

export interface AppDeps {
  db: Db;
  /** A plain pool on the same database, for ingest (src/api/events/service.ts). */
  pool: pg.Pool;
  connection: Connection;
  client: Client;
  config: Config;
  /** API_KEYS: admin keys besides the stored ones (src/keys/store.ts). */
  apiKeys: readonly string[];
  /** Verifies the opt-out links in marketing messages, and the tracked links (/r/:token). */
  unsubscribeSecret: string;
  /** Where request lines go (default: the process's log). */
  logger?: Logger;
  /** The Temporal worker's Prometheus endpoint in this process, appended to GET /metrics. */
  temporalMetricsUrl?: string;
  /** Outside production: the ingest key GET /demo/shop puts in its snippet (src/main.ts makes one). */
  demoIngestKey?: string;
}

/** A client's X-Request-Id when it is a plain token, else a new one. */
const REQUEST_ID = /^[\w.:-]{1,100}$/;

/** Paths the browser may call from ALLOWED_ORIGINS (any method: the preflight asks with OPTIONS). */
const BROWSER_PATHS = /^\/v1\/(events|onsite\/[^/]+)$/;

export function createApp(deps: AppDeps): express.Express {
  const { config } = deps;
  const keys = new KeyStore(deps.pool, deps.apiKeys);
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(helmet());
  app.use(
    pinoHttp({
      logger: deps.logger ?? processLog,
      genReqId: (req, res) => {
        const given = req.headers['x-request-id'];
        const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      // Method, path and status only: no headers (keys, cookies), no query strings, no bodies.
      serializers: {
        req: (req: { id: string; method: string; url: string }) => ({ id: req.id, method: req.method, path: req.url.split('?')[0] }),
        res: (res: { statusCode: number }) => ({ status: res.statusCode }),
      },
      // 503 (database away) is expected and answered with Retry-After: a warning, not an error.
      customLogLevel: (req, res, error) =>
        res.statusCode === 503 ? 'warn' : error || res.statusCode >= 500 ? 'error' : /^\/(healthz|readyz|metrics)$/.test(req.url ?? '') ? 'debug' : 'info',
      // pino-http makes up an error for every 5xx; the real one is logged by the error handler.
      customErrorObject: (_req, _res, error: Error, loggable: Record<string, unknown>) => (/^failed with status code \d+$/.test(error.message) ? { ...loggable, err: undefined } : loggable),
      customSuccessMessage: requestLine,
      customErrorMessage: requestLine,
      customAttributeKeys: { responseTime: 'ms' },
    }),
  );
  app.use(requestMetrics);
  app.use(healthRouter(deps));
  app.use(unsubscribeRouter(deps));
  app.use(redirectRouter(deps));
  app.use(dashboardRouter({ ...deps, keys }));
  app.use(sdkRouter(deps));

  const limit = rateLimitPerKey(deps.pool, config.api.rateLimit);
  backlogGauges(async () => toBacklog((await deps.pool.query<Parameters<typeof toBacklog>[0]>(BACKLOG_SQL)).rows[0]));
  app.get('/metrics', authenticate(keys), requireAdmin, limit, async (_req, res) => {
    res.type(registry.contentType).send(await metricsText(deps.temporalMetricsUrl));
  });

  // Websites in ALLOWED_ORIGINS may send events and read on-site messages from the browser.
  const allowed = new Set(config.api.allowedOrigins);
  app.use(
    '/v1',
    cors((req, done) => {
      const browserPath = BROWSER_PATHS.test((req as express.Request).originalUrl.split('?')[0]);
      const origin = req.headers.origin;
      done(null, { origin: browserPath && origin !== undefined && allowed.has(origin) ? origin : false, maxAge: 600, exposedHeaders: ['Retry-After', 'X-Request-Id'] });
    }),
  );
  app.use('/v1', refuseOtherOrigins(allowed), authenticate(keys), requireScope, limit);
  // The snippet's sendBeacon posts its JSON as text/plain (a request browsers send without a preflight).
  app.use('/v1/events', express.json({ limit: config.api.bodyLimit, type: 'text/plain' }));
  app.use(express.json({ limit: config.api.bodyLimit }));
  app.use(eventsRouter(deps));
  app.use(customersRouter(deps));
  app.use(onsiteRouter(deps));
  app.use(templatesRouter(deps));
  app.use(segmentsRouter(deps));
  app.use(rfmRouter(deps));
  app.use(campaignsRouter(deps));
  app.use(analyticsRouter(deps));
  app.use(acquisitionSpendRouter(deps));
  app.use(keysRouter({ keys }));
  app.use(notFound);
  app.use(errorHandler);
  return app;
}

/**
 * CORS only hides answers from pages; a simple request (the snippet's beacon) is sent anyway.
 * So a page of a site not in ALLOWED_ORIGINS is refused here, before anything is stored.
 */
function refuseOtherOrigins(allowed: ReadonlySet<string>): RequestHandler {
  return (req, _res, next) => {
    const origin = req.get('origin');
    if (origin === undefined || allowed.has(origin) || !fromOtherSite(req)) return next();
    throw new ApiError(403, 'origin_not_allowed', `pages of ${origin} may not call this API: add the origin to ALLOWED_ORIGINS`);
  };
}

/** "POST /v1/events 202": the message of a request's log line (no query string). */
const requestLine = (req: IncomingMessage, res: ServerResponse) => `${req.method} ${(req.url ?? '').split('?')[0]} ${res.statusCode}`;

const requireAdmin: RequestHandler = (_req, res, next) => {
  if (callerKey(res).scope !== 'admin') throw new ApiError(403, 'forbidden', 'GET /metrics needs an admin key');
  next();
};

/** Every answered request in the latency histogram, by its route pattern (not its ids). */
const requestMetrics: RequestHandler = (req, res, next) => {
  const end = httpDuration.startTimer();
  res.once('finish', () => {
    const route = (req.route as { path?: string } | undefined)?.path;
    end({ method: req.method, route: route ? `${req.baseUrl}${route}` : res.statusCode === 404 ? 'unmatched' : req.baseUrl || 'other', status: String(res.statusCode) });
  });
  next();
};

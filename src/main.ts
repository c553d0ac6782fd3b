// `npm start`: the whole product on one machine — embedded Temporal dev server (unless
// TEMPORAL_ADDRESS), embedded PostgreSQL (unless DATABASE_URL), migrations, worker,
// dispatcher and API. `--only=api`, `--only=worker` or `--only=dispatcher` runs one role, for
// the production shape (see docker-compose.yml): shared Temporal and PostgreSQL servers are
// required then.
import http, { type Server } from 'node:http';
import { DefaultLogger, NativeConnection, Runtime, type LogLevel, type Worker } from '@temporalio/worker';
import { createApp } from './api/app';
import { providersFromConfig } from './channels';
import { ConfigError, loadConfig, type Config } from './config';
import { backfillConsentReconfirmations } from './consent-backfill';
import { maskDatabaseUrl, startEmbeddedPostgres, type EmbeddedPostgres } from './database/embedded-postgres';
import { migrateDatabase } from './database/migrate';
import { createDb, createPool } from './db';
import { Dispatcher } from './dispatch/dispatcher';
import { ensureRfmSchedule } from './rfm/schedule';
import { developmentIngestKey } from './keys/development';
import { developmentApiKey, unsubscribeSecret } from './secrets';
import { log } from './log';
import { metricsText, registry } from './metrics';
import { freeLocalPort } from './processes';
import { lazyTemporalClient, temporalSecurity } from './temporal/connection';
import { startDevServer, type DevServer } from './temporal/dev-server';
import { bundleJourneys, createJourneyWorker, messagingSettings } from './worker';

const ROLES = ['api', 'worker', 'dispatcher'] as const;
type Role = (typeof ROLES)[number];

function parseRoles(argv: string[]): Role[] {
  const only = argv.find((arg) => arg.startsWith('--only='))?.slice('--only='.length);
  if (!only) return [...ROLES];
  if (!(ROLES as readonly string[]).includes(only)) throw new ConfigError([`--only: expected ${ROLES.join(', ')}, got "${only}"`]);
  return [only as Role];
}

/** Stops what has started, newest first (API, worker, connections, database, dev server). */
const cleanup: (() => Promise<unknown>)[] = [];
let stopping = false;
/**
 * SIGTERM: stop accepting, finish in-flight requests and deliveries, drain the worker (its
 * activities get 10 s), then exit 0 — all within this, or exit 1. Under compose's 30 s grace.
 */
const SHUTDOWN_GRACE_MS = 25_000;

async function stopAll(): Promise<void> {
  for (const step of cleanup.splice(0).reverse()) {
    await step().catch((error: unknown) => console.error('shutdown step failed:', error));
  }
}

async function shutdown(reason: string, exitCode = 0): Promise<void> {
  if (stopping) {
    console.log('Forced exit.');
    process.exit(1);
  }
  stopping = true;
  console.log(`\n${reason}: stopping (press Ctrl-C again to force)…`);
  setTimeout(() => {
    log.error(`shutdown took longer than ${SHUTDOWN_GRACE_MS / 1000} s; exiting`);
    process.exit(1);
  }, SHUTDOWN_GRACE_MS).unref();
  await stopAll();
  console.log('Stopped.');
  process.exit(exitCode);
}

/** Consents older than the re-confirmation journey get theirs (once per database: src/consent-backfill.ts). */
async function startReconfirmationsOfOlderConsents(databaseUrl: string, config: Config): Promise<void> {
  const pool = createPool(databaseUrl, { size: 1 });
  try {
    const { ran, customers } = await backfillConsentReconfirmations(pool, config, { log: console.log });
    if (ran && customers) console.log(`  consent re-confirmation: ${customers} journeys queued for consents given before it existed`);
  } finally {
    await pool.end();
  }
}

async function main() {
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  const config = loadConfig();
  log.level = config.logLevel;
  const roles = parseRoles(process.argv.slice(2));
  // The worker's own metrics (Temporal core's Prometheus exporter) on a private port, served
  // again with ours on /metrics (the API's, or METRICS_PORT's).
  const temporalMetricsUrl = roles.includes('worker') ? `http://127.0.0.1:${await freeLocalPort()}/metrics` : undefined;
  // shutdownSignals: [] — this process owns Ctrl-C and stops the parts in order (the SDK's
  // own handler would start draining the worker behind our back). The SDK's log lines (with
  // each activity's workflow id and request id) go to the same JSON log.
  Runtime.install({
    logger: new DefaultLogger(config.logLevel.toUpperCase() as LogLevel, ({ level, message, meta }) => {
      const method = ({ TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const)[level];
      log[method]({ ...meta, source: 'temporal' }, message);
    }),
    shutdownSignals: [],
    ...(temporalMetricsUrl ? { telemetryOptions: { metrics: { prometheus: { bindAddress: new URL(temporalMetricsUrl).host } } } } : {}),
  });
  const security = temporalSecurity(config.temporal);

  if (roles.length === 1) {
    const missing = [
      ...(config.temporal.address ? [] : ['TEMPORAL_ADDRESS: required with --only (separate processes need a shared Temporal server)']),
      ...(config.database.url ? [] : ['DATABASE_URL: required with --only (separate processes need a shared PostgreSQL database)']),
    ];
    if (missing.length) throw new ConfigError(missing);
  }

  // The database first: it is quick, and a port or data-directory problem stops start-up early.
  let databaseUrl = config.database.url;
  let embedded: EmbeddedPostgres | undefined;
  if (!databaseUrl) {
    console.log(`Starting the embedded PostgreSQL (data in ${config.dataDir}/postgres, port ${config.database.embeddedPort})…`);
    const postgres = await startEmbeddedPostgres({ dataDir: config.dataDir, port: config.database.embeddedPort });
    cleanup.push(() => postgres.stop());
    databaseUrl = postgres.url;
    embedded = postgres;
  }
  // The embedded server is shown by its TCP address (its URL names the socket this process uses).
  const databaseShown = maskDatabaseUrl(embedded?.address ?? databaseUrl);
  const databaseNote = embedded ? ` (embedded, data in ${embedded.clusterDir})` : '';
  console.log('Applying database migrations…');
  const migrations = await migrateDatabase(databaseUrl, { log: console.log });
  if (!migrations.applied.length) console.log(`  up to date (${migrations.alreadyApplied} applied)`);
  await startReconfirmationsOfOlderConsents(databaseUrl, config);
  const db = createDb(databaseUrl);
  cleanup.push(() => db.$disconnect());

  let address = config.temporal.address;
  let devServer: DevServer | undefined;
  if (!address) {
    console.log(`Starting the embedded Temporal dev server (data in ${config.dataDir})…`);
    devServer = await startDevServer({
      dataDir: config.dataDir,
      port: config.temporal.devPort,
      uiPort: config.temporal.uiPort,
      namespace: config.temporal.namespace,
      cliPath: config.temporal.cliPath,
    });
    cleanup.push(() => devServer!.stop());
    address = devServer.address;
  }

  let worker: Worker | undefined;
  if (roles.includes('worker')) {
    const nativeConnection = await NativeConnection.connect({ address, ...security });
    cleanup.push(() => nativeConnection.close());
    console.log('Bundling journeys and starting the worker…');
    // Bundled here rather than by Worker.create so webpack's build report stays out of the log.
    const workflowBundle = await bundleJourneys();
    const workerPool = createPool(databaseUrl);
    cleanup.push(() => workerPool.end());
    worker = await createJourneyWorker({
      connection: nativeConnection,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      db,
      pool: workerPool,
      workflowBundle,
      messaging: messagingSettings(config),
      journeys: config.journeys,
      config,
      providers: providersFromConfig(config, db),
    });
    const running = worker.run();
    cleanup.push(async () => {
      if (worker!.getState() === 'RUNNING') worker!.shutdown();
      await running;
    });
    running.catch((error: unknown) => {
      console.error('The worker stopped with an error:', error);
      void shutdown('worker failure', 1);
    });
  }

  // The API and the dispatcher reach Temporal through a lazy connection: both start, and the
  // API keeps taking events, while Temporal is away.
  const { connection, client } = lazyTemporalClient(address, config.temporal.namespace, security);
  cleanup.push(() => connection.close());

  if (roles.includes('worker')) {
    // The daily RFM scoring (RFM_SCHEDULE): created on first start, updated after.
    console.log(`RFM scoring schedule ${await ensureRfmSchedule(client, config)} (${config.rfm.schedule}, ${config.messaging.defaultTimezone})`);
  }

  if (roles.includes('dispatcher')) {
    const dispatcher = new Dispatcher({ databaseUrl, client, config, concurrency: config.dispatchConcurrency });
    dispatcher.start();
    // Stopped before the worker: in-flight deliveries finish, nothing new is claimed.
    cleanup.push(() => dispatcher.stop());
  }

  if (roles.includes('api')) {
    let apiKeys = config.apiKeys;
    let devKey: string | undefined;
    if (!apiKeys?.length) {
      if (config.env === 'production') throw new ConfigError(['API_KEYS: required when NODE_ENV=production']);
      devKey = developmentApiKey(config.dataDir);
      apiKeys = [devKey];
    }
    const pool = createPool(databaseUrl);
    cleanup.push(() => pool.end());
    const demoIngestKey = config.env === 'production' ? undefined : await developmentIngestKey(pool, config.dataDir);
    const app = createApp({ db, pool, connection, client, config, apiKeys, unsubscribeSecret: unsubscribeSecret(config), temporalMetricsUrl, demoIngestKey });
    const server: Server = await new Promise((resolve, reject) => {
      const listening = app.listen(config.port, config.host, () => resolve(listening));
      listening.once('error', reject);
    });
    cleanup.push(() => closeServer(server));
    const apiUrl = `http://localhost:${config.port}`;
    console.log('');
    console.log(`  API:            ${apiUrl}   (health: ${apiUrl}/healthz)`);
    if (devServer) console.log(`  Temporal Web UI: ${devServer.uiUrl}/namespaces/${config.temporal.namespace}/workflows`);
    console.log(`  Temporal:       ${address} (namespace ${config.temporal.namespace}, task queue ${config.temporal.taskQueue})`);
    console.log(`  Database:       ${databaseShown}${databaseNote}`);
    if (demoIngestKey) console.log(`  Demo shop:      ${apiUrl}/demo/shop   (the website snippet ${apiUrl}/sdk.js with an ingest key)`);
    if (devKey) console.log(`  API key (development, kept in ${config.dataDir}/dev-api-key):\n    ${devKey}`);
    console.log('');
    console.log('Ready. Ctrl-C stops everything.');
  } else {
    if (config.metricsPort) {
      const server = await serveMetrics(config.host, config.metricsPort, temporalMetricsUrl);
      cleanup.push(() => closeServer(server));
    }
    if (roles.includes('worker')) console.log(`Worker running on task queue ${config.temporal.taskQueue} at ${address}, database ${databaseShown}. Ctrl-C stops it.`);
    else console.log(`Dispatcher running: delivering events from ${databaseShown} to ${address}. Ctrl-C stops it after in-flight deliveries.`);
    if (config.metricsPort) console.log(`Metrics: http://${config.host}:${config.metricsPort}/metrics`);
  }
}

/** Stops accepting connections, lets requests in flight finish, and drops idle keep-alive connections. */
function closeServer(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  return closed;
}

/**
 * A worker's or dispatcher's own /metrics (METRICS_PORT): an internal port for Prometheus on the
 * private network, without a key (the API's /metrics needs an admin key). Do not publish it.
 */
async function serveMetrics(host: string, port: number, temporalMetricsUrl?: string): Promise<Server> {
  const server = http.createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    metricsText(temporalMetricsUrl).then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (error: unknown) => res.writeHead(500).end(`metrics failed: ${(error as Error).message}`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  return server;
}

main().catch(async (error: unknown) => {
  if (error instanceof ConfigError) console.error(error.message);
  else console.error('Start-up failed:', error instanceof Error ? error.message : error);
  await stopAll();
  process.exit(1);
});

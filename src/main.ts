// `npm start`: the whole product on one machine — embedded Temporal dev server (unless
// TEMPORAL_ADDRESS), embedded PostgreSQL (unless DATABASE_URL), migrations, worker,
// dispatcher and API. `--only=api`, `--only=worker` or `--only=dispatcher` runs one role, for
// the production shape (see docker-compose.yml): shared Temporal and PostgreSQL servers are
// required then.
import type { Server } from 'node:http';
import { DefaultLogger, NativeConnection, Runtime, type LogLevel, type Worker } from '@temporalio/worker';
import { createApp } from './api/app';
import { providersFromConfig } from './channels';
import { ConfigError, loadConfig, type Config } from './config';
import { backfillConsentReconfirmations } from './consent-backfill';
import { maskDatabaseUrl, startEmbeddedPostgres } from './database/embedded-postgres';
import { migrateDatabase } from './database/migrate';
import { createDb, createPool } from './db';
import { Dispatcher } from './dispatch/dispatcher';
import { ensureRfmSchedule } from './rfm/schedule';
import { developmentApiKey, unsubscribeSecret } from './secrets';
import { lazyTemporalClient } from './temporal/connection';
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
  const roles = parseRoles(process.argv.slice(2));
  // shutdownSignals: [] — this process owns Ctrl-C and stops the parts in order (the SDK's
  // own handler would start draining the worker behind our back).
  Runtime.install({ logger: new DefaultLogger(config.logLevel.toUpperCase() as LogLevel), shutdownSignals: [] });

  if (roles.length === 1) {
    const missing = [
      ...(config.temporal.address ? [] : ['TEMPORAL_ADDRESS: required with --only (separate processes need a shared Temporal server)']),
      ...(config.database.url ? [] : ['DATABASE_URL: required with --only (separate processes need a shared PostgreSQL database)']),
    ];
    if (missing.length) throw new ConfigError(missing);
  }

  // The database first: it is quick, and a port or data-directory problem stops start-up early.
  let databaseUrl = config.database.url;
  let databaseNote = '';
  if (!databaseUrl) {
    console.log(`Starting the embedded PostgreSQL (data in ${config.dataDir}/postgres, port ${config.database.embeddedPort})…`);
    const postgres = await startEmbeddedPostgres({ dataDir: config.dataDir, port: config.database.embeddedPort });
    cleanup.push(() => postgres.stop());
    databaseUrl = postgres.url;
    databaseNote = ` (embedded, data in ${postgres.clusterDir})`;
  }
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
    const nativeConnection = await NativeConnection.connect({ address });
    cleanup.push(() => nativeConnection.close());
    console.log('Bundling journeys and starting the worker…');
    // Bundled here rather than by Worker.create so webpack's build report stays out of the log.
    const workflowBundle = await bundleJourneys();
    worker = await createJourneyWorker({
      connection: nativeConnection,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      db,
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
  const { connection, client } = lazyTemporalClient(address, config.temporal.namespace);
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
    const app = createApp({ db, pool, connection, client, config, apiKeys, unsubscribeSecret: unsubscribeSecret(config) });
    const server: Server = await new Promise((resolve, reject) => {
      const listening = app.listen(config.port, config.host, () => resolve(listening));
      listening.once('error', reject);
    });
    cleanup.push(() => new Promise((resolve) => server.close(resolve)));
    const apiUrl = `http://localhost:${config.port}`;
    console.log('');
    console.log(`  API:            ${apiUrl}   (health: ${apiUrl}/healthz)`);
    if (devServer) console.log(`  Temporal Web UI: ${devServer.uiUrl}/namespaces/${config.temporal.namespace}/workflows`);
    console.log(`  Temporal:       ${address} (namespace ${config.temporal.namespace}, task queue ${config.temporal.taskQueue})`);
    console.log(`  Database:       ${maskDatabaseUrl(databaseUrl)}${databaseNote}`);
    if (devKey) console.log(`  API key (development, kept in ${config.dataDir}/dev-api-key):\n    ${devKey}`);
    console.log('');
    console.log('Ready. Ctrl-C stops everything.');
  } else if (roles.includes('worker')) {
    console.log(`Worker running on task queue ${config.temporal.taskQueue} at ${address}, database ${maskDatabaseUrl(databaseUrl)}. Ctrl-C stops it.`);
  } else {
    console.log(`Dispatcher running: delivering events from ${maskDatabaseUrl(databaseUrl)} to ${address}. Ctrl-C stops it after in-flight deliveries.`);
  }
}

main().catch(async (error: unknown) => {
  if (error instanceof ConfigError) console.error(error.message);
  else console.error('Start-up failed:', error instanceof Error ? error.message : error);
  await stopAll();
  process.exit(1);
});

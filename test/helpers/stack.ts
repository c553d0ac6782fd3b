// The real stack for integration tests: an embedded Temporal dev server (the same launcher
// `npm start` uses), a migrated PostgreSQL database of its own (test/helpers/database.ts),
// the real worker and the Express app on a real port. Each test file starts its own, in a
// temporary DATA_DIR.
import fs from 'node:fs';
import type { Server } from 'node:http';
import type net from 'node:net';
import type pg from 'pg';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { createApp } from '../../src/api/app';
import type { ChannelProviders } from '../../src/channels/provider';
import { loadConfig, type Config } from '../../src/config';
import { createDb, createPool, type Db } from '../../src/db';
import { Dispatcher, type DispatcherOptions } from '../../src/dispatch/dispatcher';
import { connectTemporal } from '../../src/temporal/connection';
import { startDevServer } from '../../src/temporal/dev-server';
import { unsubscribeSecret } from '../../src/secrets';
import { createJourneyWorker, messagingSettings } from '../../src/worker';
import { createTestDatabase, type TestDatabase } from './database';
import { freePort } from './ports';
import { quietRuntime } from './runtime';

export { eventually } from './eventually';
export { freePort } from './ports';

export const TEST_API_KEY = 'test-key-0123456789abcdef';

export interface Stack {
  baseUrl: string;
  config: Config;
  db: Db;
  /** The API's ingest pool (for calling ingestEvents directly). */
  pool: pg.Pool;
  client: Client;
  dataDir: string;
  temporalAddress: string;
  database: TestDatabase;
  /** Stops the dev server and starts it again on the same port and data: for outage tests. */
  temporal: { stop(): Promise<void>; start(): Promise<void> };
  /** Starts an in-process worker (with these providers); it stops with the stack. */
  startWorker(providers?: ChannelProviders): Promise<void>;
  /** Starts an in-process dispatcher; it stops with the stack (or by its own stop()). */
  startDispatcher(options?: Partial<DispatcherOptions>): Dispatcher;
  api<T = Record<string, unknown>>(method: string, urlPath: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: T }>;
  stop(): Promise<void>;
}

export async function startStack(options: {
  env?: Record<string, string>;
  providers?: (db: Db) => ChannelProviders;
  workerTuning?: Partial<WorkerOptions>;
  /** false: no worker in this process (the test runs its own). */
  worker?: boolean;
  /** false: no dispatcher in this process (the test runs its own). */
  dispatcher?: boolean;
  /** A PostgreSQL server of its own, which the test may stop and start. */
  ownDatabaseServer?: boolean;
} = {}): Promise<Stack> {
  quietRuntime();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'crm-journeys-it-'));
  const database = await createTestDatabase('stack', { ownServer: options.ownDatabaseServer });
  const config = loadConfig({
    DATA_DIR: dataDir,
    DATABASE_URL: database.url,
    API_KEYS: TEST_API_KEY,
    TEMPORAL_DEV_PORT: String(await freePort()),
    TEMPORAL_UI_PORT: String(await freePort()),
    // Equal start and end: no quiet hours, so results do not depend on the time of day.
    QUIET_HOURS: '00:00-00:00',
    KAKAO_FRIENDTALK_QUIET_HOURS: '00:00-00:00',
    // Tests send bursts from one key; the limit itself is tested in test/integration/api-keys.test.ts.
    RATE_LIMIT_PER_KEY: '1000000/1m',
    ...options.env,
  });
  const stops: (() => Promise<unknown>)[] = [];
  const stop = async () => {
    for (const step of stops.reverse()) await step().catch((error: unknown) => console.error('stack stop step failed', error));
    await database.drop().catch((error: unknown) => console.error('dropping the test database failed', error));
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const startTemporal = () =>
      startDevServer({
        dataDir,
        port: config.temporal.devPort,
        uiPort: config.temporal.uiPort,
        namespace: config.temporal.namespace,
        cliPath: config.temporal.cliPath,
        log: () => undefined,
      });
    let devServer = await startTemporal();
    let temporalRunning = true;
    stops.push(async () => {
      if (temporalRunning) await devServer.stop();
    });
    const temporal = {
      async stop() {
        await devServer.stop();
        temporalRunning = false;
      },
      async start() {
        devServer = await startTemporal();
        temporalRunning = true;
      },
    };
    const db = createDb(database.url);
    stops.push(() => db.$disconnect());
    const pool = createPool(database.url);
    stops.push(() => pool.end());

    const startWorker = async (providers?: ChannelProviders) => {
      const nativeConnection = await NativeConnection.connect({ address: devServer.address });
      stops.push(() => nativeConnection.close());
      const worker = await createJourneyWorker({
        connection: nativeConnection,
        namespace: config.temporal.namespace,
        taskQueue: config.temporal.taskQueue,
        db,
        pool,
        providers,
        messaging: messagingSettings(config),
        journeys: config.journeys,
        config,
        tuning: options.workerTuning,
      });
      const running = worker.run();
      stops.push(async () => {
        worker.shutdown();
        await running;
      });
    };
    if (options.worker !== false) await startWorker(options.providers?.(db));

    const { connection, client } = await connectTemporal(devServer.address, config.temporal.namespace);
    stops.push(() => connection.close());
    const startDispatcher = (overrides: Partial<DispatcherOptions> = {}) => {
      const dispatcher = new Dispatcher({ databaseUrl: database.url, client, config, concurrency: config.dispatchConcurrency, log: () => undefined, ...overrides });
      dispatcher.start();
      stops.push(() => dispatcher.stop());
      return dispatcher;
    };
    if (options.dispatcher !== false) startDispatcher();

    const app = createApp({ db, pool, connection, client, config, apiKeys: [TEST_API_KEY], unsubscribeSecret: unsubscribeSecret(config) });
    const server: Server = await new Promise((resolve) => {
      // A free port, unless the test chose one (with PUBLIC_URL: links in messages lead here).
      const listening = app.listen(options.env?.PORT ? Number(options.env.PORT) : 0, '127.0.0.1', () => resolve(listening));
    });
    stops.push(() => new Promise((resolve) => server.close(resolve)));
    const baseUrl = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;

    const api: Stack['api'] = async (method, urlPath, body, headers = {}) => {
      const response = await fetch(`${baseUrl}${urlPath}`, {
        method,
        headers: {
          authorization: `Bearer ${TEST_API_KEY}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await response.text();
      return { status: response.status, body: (text ? JSON.parse(text) : null) as never };
    };
    return { baseUrl, config, db, pool, client, dataDir, temporalAddress: devServer.address, database, temporal, api, startWorker, startDispatcher, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

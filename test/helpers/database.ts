// Databases for tests. `npm test` runs one embedded PostgreSQL server for the whole run
// (test/global-setup.ts) with a migrated template database; each test file clones it
// (CREATE DATABASE … TEMPLATE, a few milliseconds), so files stay independent. Outside vitest
// (benchmarks, scripts) a private embedded server is started instead.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres } from '../../src/database/embedded-postgres';
import { migrateDatabase } from '../../src/database/migrate';
import { freePort } from './ports';

/** Set by test/global-setup.ts: the shared server's `postgres` database. */
export const ADMIN_URL_VARIABLE = 'CRM_TEST_POSTGRES_ADMIN_URL';
export const TEMPLATE_DATABASE = 'crm_test_template';

export interface TestDatabase {
  url: string;
  /** Removes the database (or the private server). */
  drop(): Promise<void>;
  /** With a server of its own: stop it and start it again (same port and data), for outage tests. */
  server?: { stop(): Promise<void>; start(): Promise<void> };
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/**
 * A fresh database with every migration applied: on the run's shared server, or with
 * `ownServer` (or outside vitest) on a server of its own.
 */
export async function createTestDatabase(label = 'test', options: { ownServer?: boolean } = {}): Promise<TestDatabase> {
  const adminUrl = process.env[ADMIN_URL_VARIABLE];
  if (adminUrl && !options.ownServer) {
    const name = `${label.toLowerCase().replace(/[^a-z0-9]+/g, '_').slice(0, 40)}_${randomBytes(4).toString('hex')}`;
    await queryRows(adminUrl, `CREATE DATABASE "${name}" TEMPLATE "${TEMPLATE_DATABASE}"`);
    return { url: withDatabase(adminUrl, name), drop: () => noRows(adminUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) };
  }
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'crm-journeys-pg-'));
  fs.chmodSync(dataDir, 0o755); // mkdtemp makes it 0700; the server may run as `postgres`
  const port = await freePort();
  let server = await startEmbeddedPostgres({ dataDir, port, durability: 'none', log: () => undefined });
  let running = true;
  await migrateDatabase(server.url);
  return {
    url: server.url,
    async drop() {
      if (running) await server.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
    server: {
      async stop() {
        await server.stop();
        running = false;
      },
      async start() {
        server = await startEmbeddedPostgres({ dataDir, port, durability: 'none', log: () => undefined });
        running = true;
      },
    },
  };
}

/** Runs one statement on `url` and answers its rows. */
export async function queryRows<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

/** Runs a statement whose rows do not matter (CREATE / DROP DATABASE). */
export async function noRows(url: string, sql: string): Promise<void> {
  await queryRows(url, sql);
}

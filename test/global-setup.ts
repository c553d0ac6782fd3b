// One embedded PostgreSQL server for the whole test run, with a migrated template database
// that every test file clones (test/helpers/database.ts).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres } from '../src/database/embedded-postgres';
import { migrateDatabase } from '../src/database/migrate';
import { ADMIN_URL_VARIABLE, noRows, TEMPLATE_DATABASE, withDatabase } from './helpers/database';
import { freePort } from './helpers/ports';

export default async function setup(): Promise<() => Promise<void>> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'crm-journeys-test-pg-'));
  // mkdtemp makes it private (0700); the server may run as the `postgres` user (root runs).
  fs.chmodSync(dataDir, 0o755);
  const server = await startEmbeddedPostgres({ dataDir, port: await freePort(), durability: 'none', log: () => undefined });
  const adminUrl = withDatabase(server.url, 'postgres');
  await noRows(adminUrl, `CREATE DATABASE "${TEMPLATE_DATABASE}"`);
  await migrateDatabase(withDatabase(server.url, TEMPLATE_DATABASE));
  // Test files run in forked processes, which inherit this.
  process.env[ADMIN_URL_VARIABLE] = adminUrl;
  return async () => {
    await server.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
}

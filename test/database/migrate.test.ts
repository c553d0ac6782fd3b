// Migrations applied without Prisma's schema engine (src/database/migrate.ts): Prisma's own
// bookkeeping, exactly once under concurrency, and a clear stop on an edited or failed
// migration — each on a fresh database of the test run's PostgreSQL server.
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { localMigrations, migrateDatabase, migrationChecksum, MIGRATIONS_DIR, MigrationError } from '../../src/database/migrate';
import { ADMIN_URL_VARIABLE, noRows, queryRows as query, withDatabase, type TestDatabase } from '../helpers/database';

const root = path.resolve(__dirname, '..', '..');
const created: TestDatabase[] = [];
const tempDirs: string[] = [];

/** An empty database (no migrations applied). */
async function emptyDatabase(): Promise<string> {
  const adminUrl = process.env[ADMIN_URL_VARIABLE]!;
  const name = `migrate_${Math.random().toString(36).slice(2, 10)}`;
  await noRows(adminUrl, `CREATE DATABASE "${name}"`);
  created.push({ url: withDatabase(adminUrl, name), drop: () => noRows(adminUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) });
  return withDatabase(adminUrl, name);
}

/** A copy of the project's migrations, plus `extra` ones, in a temporary folder. */
function migrationsCopy(extra: Record<string, string> = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crm-journeys-migrations-'));
  tempDirs.push(dir);
  fs.cpSync(MIGRATIONS_DIR, dir, { recursive: true });
  for (const [name, sql] of Object.entries(extra)) {
    fs.mkdirSync(path.join(dir, name));
    fs.writeFileSync(path.join(dir, name, 'migration.sql'), sql);
  }
  return dir;
}

/** A copy of the project's migrations that come before `name` (and `name` itself when `including`). */
function migrationsUpTo(name: string, { including }: { including: boolean }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crm-journeys-migrations-'));
  tempDirs.push(dir);
  for (const migration of localMigrations()) {
    if (migration.name > name || (migration.name === name && !including)) continue;
    fs.cpSync(path.join(MIGRATIONS_DIR, migration.name), path.join(dir, migration.name), { recursive: true });
  }
  return dir;
}

afterAll(async () => {
  for (const database of created) await database.drop();
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

describe('migrateDatabase', () => {
  it("applies every migration once with Prisma's bookkeeping, which `prisma migrate status` accepts", async () => {
    const url = await emptyDatabase();
    const migrations = localMigrations();
    expect(await migrateDatabase(url)).toEqual({ applied: migrations.map((m) => m.name), alreadyApplied: 0 });

    const rows = await query<{ migration_name: string; checksum: string; finished_at: Date | null; applied_steps_count: number; rolled_back_at: Date | null }>(
      url,
      'SELECT migration_name, checksum, finished_at, applied_steps_count, rolled_back_at FROM "_prisma_migrations" ORDER BY migration_name',
    );
    expect(rows).toEqual(
      migrations.map((m) => ({
        migration_name: m.name,
        // Prisma's checksum: SHA-256 of the file's bytes.
        checksum: migrationChecksum(fs.readFileSync(path.join(MIGRATIONS_DIR, m.name, 'migration.sql'))),
        finished_at: expect.any(Date) as Date,
        applied_steps_count: 1,
        rolled_back_at: null,
      })),
    );
    // The tables are there, and the hand-written parts too.
    const objects = await query<{ name: string }>(
      url,
      `SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'
       UNION ALL SELECT viewname FROM pg_views WHERE schemaname = 'public'
       UNION ALL SELECT indexname FROM pg_indexes WHERE indexname IN ('EventDelivery_pending_idx', 'EventDelivery_pending_journey_idx')`,
    );
    expect(objects.map((o) => o.name)).toEqual(
      expect.arrayContaining(['Customer', 'Event', 'Order', 'Message', 'ConsentChange', 'EventDelivery', 'CurrentConsent', 'EventDelivery_pending_idx', 'EventDelivery_pending_journey_idx']),
    );

    // Prisma's own CLI reads our bookkeeping and agrees.
    const { stdout } = await promisify(execFile)(process.execPath, [path.join(root, 'node_modules', 'prisma', 'build', 'index.js'), 'migrate', 'status'], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: url, PRISMA_CLI_QUERY_ENGINE_TYPE: 'client', PRISMA_HIDE_UPDATE_MESSAGE: '1' },
    });
    expect(stdout).toContain(`${migrations.length} migration${migrations.length === 1 ? '' : 's'} found in prisma/migrations`);
    expect(stdout).toContain('Database schema is up to date!');

    expect(await migrateDatabase(url)).toEqual({ applied: [], alreadyApplied: migrations.length });
  });

  it('applies only what is pending, and says which', async () => {
    const url = await emptyDatabase();
    await migrateDatabase(url);
    const dir = migrationsCopy({ '29991231000000_add_nickname': 'ALTER TABLE "Customer" ADD COLUMN "nickname" TEXT;' });
    const lines: string[] = [];
    expect(await migrateDatabase(url, { migrationsDir: dir, log: (line) => lines.push(line) })).toEqual({
      applied: ['29991231000000_add_nickname'],
      alreadyApplied: localMigrations().length,
    });
    expect(lines).toEqual(['  applied migration 29991231000000_add_nickname']);
    expect(await query(url, 'SELECT "nickname" FROM "Customer"')).toEqual([]);
  });

  it('applies each migration exactly once when several processes start at once', async () => {
    const url = await emptyDatabase();
    const runs = await Promise.all(
      Array.from({ length: 4 }, () =>
        new Promise<{ code: number | null; output: string }>((resolve) => {
          // Only what a user's shell would pass (no test runner variables).
          const child = spawn(process.execPath, ['--import', 'tsx', 'src/database/migrate-cli.ts'], {
            cwd: root,
            env: { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: url },
          });
          let output = '';
          child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
          child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
          child.once('exit', (code) => resolve({ code, output }));
        }),
      ),
    );
    expect(runs.map((r) => r.code)).toEqual([0, 0, 0, 0]);
    const count = localMigrations().length;
    expect(runs.filter((r) => r.output.includes(`Applied ${count} migration(s)`))).toHaveLength(1);
    expect(runs.filter((r) => r.output.includes(`No pending migrations: all ${count} are applied.`))).toHaveLength(3);
    expect(runs.every((r) => r.output.includes('Migrating postgresql://crm:****@127.0.0.1:'))).toBe(true);
    const rows = await query<{ migration_name: string }>(url, 'SELECT migration_name FROM "_prisma_migrations"');
    expect(rows).toHaveLength(count);
  }, 60_000);

  it('stops on a migration edited after it was applied, naming it', async () => {
    const url = await emptyDatabase();
    const dir = migrationsCopy({ '29991231000000_add_nickname': 'ALTER TABLE "Customer" ADD COLUMN "nickname" TEXT;\n' });
    await migrateDatabase(url, { migrationsDir: dir });
    fs.writeFileSync(path.join(dir, '29991231000000_add_nickname', 'migration.sql'), 'ALTER TABLE "Customer" ADD COLUMN "nickname" VARCHAR(20);\n');
    const error = await migrateDatabase(url, { migrationsDir: dir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as Error).message).toMatch(/^migration 29991231000000_add_nickname was edited after it was applied to this database \(applied checksum [0-9a-f]{64}, file now [0-9a-f]{64}\)/);
  });

  it('rolls back a failing migration entirely and records nothing of it', async () => {
    const url = await emptyDatabase();
    await migrateDatabase(url);
    const dir = migrationsCopy({ '29991231000000_broken': 'ALTER TABLE "Customer" ADD COLUMN "nickname" TEXT;\nALTER TABLE "NoSuchTable" ADD COLUMN "x" TEXT;\n' });
    await expect(migrateDatabase(url, { migrationsDir: dir })).rejects.toThrow(
      'migration 29991231000000_broken failed and was rolled back (nothing of it was applied): relation "NoSuchTable" does not exist',
    );
    expect(await query(url, `SELECT 1 FROM information_schema.columns WHERE table_name = 'Customer' AND column_name = 'nickname'`)).toEqual([]);
    expect(await query(url, `SELECT 1 FROM "_prisma_migrations" WHERE migration_name = '29991231000000_broken'`)).toEqual([]);
  });

  it('refuses to go on past a migration Prisma recorded as failed', async () => {
    const url = await emptyDatabase();
    await migrateDatabase(url);
    await query(
      url,
      `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, logs, started_at) VALUES ('x', 'abc', '29991231000000_half_done', 'ERROR: boom', now())`,
    );
    await expect(migrateDatabase(url)).rejects.toThrow(/^migration 29991231000000_half_done failed earlier and is not marked resolved:\nERROR: boom\n.*prisma migrate resolve/);
  });
});

describe('the attribution migration (*_journeys_that_are_right)', () => {
  it('keeps, of an order several journeys credited under the earlier schema, the conversion whose message was sent last; un-links goal conversions from their orders; makes orderId unique', async () => {
    const target = localMigrations().find((m) => m.name.endsWith('_journeys_that_are_right'))!.name;
    const url = await emptyDatabase();
    const before = await migrateDatabase(url, { migrationsDir: migrationsUpTo(target, { including: false }) });
    expect(before.applied).toEqual(localMigrations().filter((m) => m.name < target).map((m) => m.name));

    // What earlier versions could store: one conversion per journey and order.
    await query(url, `INSERT INTO "Customer" (id, "updatedAt") VALUES ('c-1', now())`);
    await query(
      url,
      `INSERT INTO "Order" (id, "customerId", total, currency, "occurredAt") VALUES
         ('o-1', 'c-1', 100.5, 'KRW', '2026-11-01T12:00:00Z'),
         ('o-2', 'c-1', 7.25, 'USD', '2026-11-02T12:00:00Z'),
         ('o-3', 'c-1', 3, 'KRW', '2026-11-03T12:00:00Z')`,
    );
    await query(
      url,
      `INSERT INTO "Message" (id, "idempotencyKey", "customerId", journey, "workflowId", step, purpose, content, status, "costCurrency", "sentAt", "updatedAt") VALUES
         ('m-review', 'k-review', 'c-1', 'review-request', 'wf-review', 'request', 'informational', '', 'sent', 'KRW', '2026-11-01T09:00:00Z', now()),
         ('m-cart', 'k-cart', 'c-1', 'cart-reminder', 'wf-cart', 'reminder', 'marketing', '', 'sent', 'KRW', '2026-11-01T10:00:00Z', now()),
         ('m-browse', 'k-browse', 'c-1', 'browse-abandonment', 'wf-browse', 'reminder', 'marketing', '', 'sent', 'KRW', '2026-11-01T11:00:00Z', now()),
         ('m-upsell', 'k-upsell', 'c-1', 'upsell', 'wf-upsell', 'recommendation', 'marketing', '', 'sent', 'KRW', '2026-11-01T10:30:00Z', now())`,
    );
    await query(
      url,
      `INSERT INTO "Conversion" (id, "idempotencyKey", "customerId", journey, "workflowId", "orderId", "messageId", revenue, currency, "occurredAt", "createdAt") VALUES
         ('cv-cart', 'k1', 'c-1', 'cart-reminder', 'wf-cart', 'o-1', 'm-cart', 100.5, 'KRW', '2026-11-01T12:00:00Z', '2026-11-01T12:01:00Z'),
         ('cv-browse', 'k2', 'c-1', 'browse-abandonment', 'wf-browse', 'o-1', 'm-browse', 100.5, 'KRW', '2026-11-01T12:00:00Z', '2026-11-01T12:02:00Z'),
         ('cv-upsell', 'k3', 'c-1', 'upsell', 'wf-upsell', 'o-1', 'm-upsell', 100.5, 'KRW', '2026-11-01T12:00:00Z', '2026-11-01T12:03:00Z'),
         ('cv-review', 'k4', 'c-1', 'review-request', 'wf-review', 'o-1', 'm-review', NULL, NULL, '2026-11-05T12:00:00Z', '2026-11-05T12:00:00Z'),
         ('cv-signup', 'k5', 'c-1', 'signup-nudge', 'wf-signup', NULL, NULL, NULL, NULL, '2026-10-30T12:00:00Z', '2026-10-30T12:00:00Z'),
         ('cv-o2', 'k6', 'c-1', 'cart-reminder', 'wf-cart-2', 'o-2', 'm-cart', 7.25, 'USD', '2026-11-02T12:00:00Z', '2026-11-02T12:01:00Z'),
         ('cv-o3-none', 'k7', 'c-1', 'upsell', 'wf-upsell-3', 'o-3', NULL, 3, 'KRW', '2026-11-03T12:00:00Z', '2026-11-03T12:01:00Z'),
         ('cv-o3-cart', 'k8', 'c-1', 'cart-reminder', 'wf-cart-3', 'o-3', 'm-cart', 3, 'KRW', '2026-11-03T12:00:00Z', '2026-11-03T12:02:00Z')`,
    );

    expect(await migrateDatabase(url, { migrationsDir: migrationsUpTo(target, { including: true }) })).toEqual({ applied: [target], alreadyApplied: before.applied.length });

    const rows = await query<{ id: string; orderId: string | null; messageId: string | null; revenue: string | null; currency: string | null }>(
      url,
      `SELECT id, "orderId", "messageId", revenue::text AS revenue, currency FROM "Conversion" ORDER BY id`,
    );
    expect(rows).toEqual([
      // o-1: of three journeys' conversions, the browse abandonment's (its message was sent last).
      { id: 'cv-browse', orderId: 'o-1', messageId: 'm-browse', revenue: '100.5000', currency: 'KRW' },
      { id: 'cv-o2', orderId: 'o-2', messageId: 'm-cart', revenue: '7.2500', currency: 'USD' },
      // o-3: a conversion with a message beats one without, though created later.
      { id: 'cv-o3-cart', orderId: 'o-3', messageId: 'm-cart', revenue: '3.0000', currency: 'KRW' },
      // Goal conversions: kept, naming no order.
      { id: 'cv-review', orderId: null, messageId: 'm-review', revenue: null, currency: null },
      { id: 'cv-signup', orderId: null, messageId: null, revenue: null, currency: null },
    ]);
    await expect(
      query(url, `INSERT INTO "Conversion" (id, "idempotencyKey", "customerId", journey, "workflowId", "orderId", "occurredAt") VALUES ('cv-again', 'k9', 'c-1', 'upsell', 'wf', 'o-1', now())`),
    ).rejects.toThrow('duplicate key value violates unique constraint "Conversion_orderId_key"');
  });
});

describe('the order products migration (*_order_product_ids)', () => {
  it("backfills each order's distinct products, and from then on its items keep them, whoever inserts them", async () => {
    const target = localMigrations().find((m) => m.name.endsWith('_order_product_ids'))!.name;
    const url = await emptyDatabase();
    await migrateDatabase(url, { migrationsDir: migrationsUpTo(target, { including: false }) });
    await query(url, `INSERT INTO "Customer" (id, "updatedAt") VALUES ('c-1', now())`);
    await query(url, `INSERT INTO "Order" (id, "customerId", total, currency, "occurredAt") VALUES ('o-1', 'c-1', 3, 'KRW', now()), ('o-empty', 'c-1', 1, 'KRW', now())`);
    await query(
      url,
      `INSERT INTO "OrderItem" (id, "orderId", "productId", currency) VALUES ('i-1', 'o-1', 'p-b', 'KRW'), ('i-2', 'o-1', 'p-a', 'KRW'), ('i-3', 'o-1', 'p-b', 'KRW')`,
    );
    expect(await migrateDatabase(url, { migrationsDir: migrationsUpTo(target, { including: true }) })).toMatchObject({ applied: [target] });
    const products = () => query<{ id: string; productIds: string[] }>(url, `SELECT id, "productIds" FROM "Order" ORDER BY id`);
    expect(await products()).toEqual([
      { id: 'o-1', productIds: ['p-a', 'p-b'] },
      { id: 'o-empty', productIds: [] },
    ]);

    // Items inserted later, one statement or several, by a writer that does not know the column.
    await query(url, `INSERT INTO "Order" (id, "customerId", total, currency, "occurredAt") VALUES ('o-2', 'c-1', 2, 'KRW', now())`);
    await query(url, `INSERT INTO "OrderItem" (id, "orderId", "productId", currency) VALUES ('i-4', 'o-2', 'p-c', 'KRW'), ('i-5', 'o-1', 'p-c', 'KRW')`);
    await query(url, `INSERT INTO "OrderItem" (id, "orderId", "productId", currency) VALUES ('i-6', 'o-2', 'p-a', 'KRW')`);
    expect(await products()).toEqual([
      { id: 'o-1', productIds: ['p-a', 'p-b', 'p-c'] },
      { id: 'o-2', productIds: ['p-a', 'p-c'] },
      { id: 'o-empty', productIds: [] },
    ]);
    // A writer that set the array already (ingest does) has it left alone, in its own order.
    await query(url, `INSERT INTO "Order" (id, "customerId", total, currency, "occurredAt", "productIds") VALUES ('o-3', 'c-1', 2, 'KRW', now(), ARRAY['p-z', 'p-y'])`);
    const [{ xmin }] = await query<{ xmin: string }>(url, `SELECT xmin::text FROM "Order" WHERE id = 'o-3'`);
    await query(url, `INSERT INTO "OrderItem" (id, "orderId", "productId", currency) VALUES ('i-7', 'o-3', 'p-y', 'KRW'), ('i-8', 'o-3', 'p-z', 'KRW')`);
    expect(await query(url, `SELECT xmin::text, "productIds" FROM "Order" WHERE id = 'o-3'`)).toEqual([{ xmin, productIds: ['p-z', 'p-y'] }]);
  });
});

// Applies prisma/migrations/*/migration.sql to PostgreSQL without Prisma's schema engine.
//
// Why: `prisma migrate deploy` through @prisma/adapter-pg fails on machines that cannot
// download the native schema engine ("Column type 'name' could not be deserialized from the
// database", https://github.com/prisma/orm/issues/27403, open). Applying the SQL with `pg`
// works. We keep Prisma's own bookkeeping — the `_prisma_migrations` table with the same
// columns, names, SHA-256 checksums and timestamps — so `prisma migrate status` / `deploy` on
// a machine with the native engine agrees with what ran here, and we take the advisory lock
// Prisma Migrate takes, so this, another process of ours and `prisma migrate deploy` never
// apply a migration at the same time.
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';

/** The key of Prisma Migrate's PostgreSQL advisory lock (prisma-engines, sql-schema-connector). */
export const PRISMA_MIGRATE_LOCK_KEY = 72707369;

export const MIGRATIONS_DIR = path.resolve(__dirname, '..', '..', 'prisma', 'migrations');

export class MigrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MigrationError';
  }
}

export interface LocalMigration {
  name: string;
  sql: string;
  checksum: string;
}

export interface MigrationResult {
  /** Names of the migrations this call applied, in order. */
  applied: string[];
  /** Migrations that were applied before this call. */
  alreadyApplied: number;
}

/** Prisma's checksum: the SHA-256 of migration.sql's bytes, in hex. */
export function migrationChecksum(sql: string | Buffer): string {
  return createHash('sha256').update(sql).digest('hex');
}

export function localMigrations(dir = MIGRATIONS_DIR): LocalMigration[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && fs.existsSync(path.join(dir, entry.name, 'migration.sql')))
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const bytes = fs.readFileSync(path.join(dir, name, 'migration.sql'));
      return { name, sql: bytes.toString('utf8'), checksum: migrationChecksum(bytes) };
    });
}

// Exactly the table Prisma Migrate creates on PostgreSQL.
const BOOKKEEPING_TABLE = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
  logs: string | null;
}

/**
 * Applies every pending migration, each in its own transaction together with its
 * bookkeeping row: a migration that fails leaves neither its changes nor a row behind.
 * Safe to call from several processes at once: each migration is applied exactly once.
 * Throws MigrationError on an edited applied migration or a failed one.
 */
export async function migrateDatabase(
  databaseUrl: string,
  options: { migrationsDir?: string; log?: (line: string) => void } = {},
): Promise<MigrationResult> {
  const log = options.log ?? (() => undefined);
  const migrations = localMigrations(options.migrationsDir);
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    // Waits while another process migrates; released when this session ends, whatever happens.
    await client.query('SELECT pg_advisory_lock($1)', [PRISMA_MIGRATE_LOCK_KEY]);
    await client.query(BOOKKEEPING_TABLE);
    const { rows } = await client.query<AppliedRow>(
      'SELECT migration_name, checksum, finished_at, rolled_back_at, logs FROM "_prisma_migrations" ORDER BY started_at',
    );

    const failed = rows.find((row) => row.finished_at === null && row.rolled_back_at === null);
    if (failed) {
      throw new MigrationError(
        `migration ${failed.migration_name} failed earlier and is not marked resolved${failed.logs ? `:\n${failed.logs}` : ''}\n` +
          `Fix the database, then record it with \`prisma migrate resolve --applied ${failed.migration_name}\` (or --rolled-back) and start again.`,
      );
    }
    const applied = new Map(rows.filter((row) => row.finished_at !== null && row.rolled_back_at === null).map((row) => [row.migration_name, row]));
    for (const migration of migrations) {
      const row = applied.get(migration.name);
      if (row && row.checksum !== migration.checksum) {
        throw new MigrationError(
          `migration ${migration.name} was edited after it was applied to this database ` +
            `(applied checksum ${row.checksum}, file now ${migration.checksum}). ` +
            'Applied migrations must not change: restore the file and put the change in a new migration.',
        );
      }
    }
    const known = new Set(migrations.map((m) => m.name));
    for (const name of applied.keys()) {
      if (!known.has(name)) log(`  warning: migration ${name} is applied to the database but missing from ${options.migrationsDir ?? MIGRATIONS_DIR}`);
    }

    const pending = migrations.filter((migration) => !applied.has(migration.name));
    for (const migration of pending) {
      await client.query('BEGIN');
      try {
        const id = randomUUID();
        await client.query('INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at) VALUES ($1, $2, $3, now())', [
          id,
          migration.checksum,
          migration.name,
        ]);
        await client.query(migration.sql);
        await client.query('UPDATE "_prisma_migrations" SET finished_at = clock_timestamp(), applied_steps_count = 1 WHERE id = $1', [id]);
        await client.query('COMMIT');
        log(`  applied migration ${migration.name}`);
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw new MigrationError(`migration ${migration.name} failed and was rolled back (nothing of it was applied): ${(error as Error).message}`);
      }
    }
    return { applied: pending.map((m) => m.name), alreadyApplied: applied.size };
  } finally {
    await client.end().catch(() => undefined);
  }
}

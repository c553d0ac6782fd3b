// The database client: Prisma on PostgreSQL through the pg driver adapter (no native engine
// download). Migrations: src/database/migrate.ts. The embedded server: src/database/embedded-postgres.ts.
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { Prisma, PrismaClient } from './generated/prisma/client';

export type Db = PrismaClient;
/** A client or an interactive transaction's client. */
export type DbTx = Prisma.TransactionClient | PrismaClient;

export function createDb(databaseUrl: string, options: { poolSize?: number } = {}): Db {
  // A database that does not answer fails fast (the API answers 503 within 2 s) rather than
  // queueing requests; the pool reconnects by itself when it is back.
  return new PrismaClient({
    adapter: new PrismaPg({ connectionString: databaseUrl, max: options.poolSize ?? 10, connectionTimeoutMillis: 1500 }),
    transactionOptions: { maxWait: 1500, timeout: 30_000 },
  });
}

/**
 * A plain `pg` pool for the hot paths that speak SQL directly (ingest). Fails fast like
 * the Prisma client; an idle connection the server dropped is replaced on next use.
 */
export function createPool(databaseUrl: string, options: { size?: number; connectTimeoutMs?: number } = {}): pg.Pool {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: options.size ?? 10, connectionTimeoutMillis: options.connectTimeoutMs ?? 1500 });
  // A connection lost while idle in the pool is reported on the pool; one lost while checked
  // out (the dispatcher holds one while it signals Temporal) on the client itself, where an
  // unheard 'error' would crash the process. Either way the pending query fails on its own,
  // and the pool discards the dead client when it is released.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}

/**
 * The URL with PostgreSQL settings for every session opened through it (the `options` startup
 * parameter, which node-postgres reads from the URL): `{ synchronous_commit: 'off' }`.
 */
export function withSessionSettings(databaseUrl: string, settings: Record<string, string>): string {
  const url = new URL(databaseUrl);
  const given = url.searchParams.get('options');
  const added = Object.entries(settings).map(([name, value]) => `-c ${name}=${value}`);
  url.searchParams.set('options', [given, ...added].filter(Boolean).join(' '));
  return url.toString();
}

/**
 * Runs `work` in one transaction on a connection of the pool: committed when it returns,
 * rolled back when it throws. `begin` may set the isolation level or READ ONLY.
 */
export async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>, begin = 'BEGIN'): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query(begin);
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/**
 * A connection inside a transaction, as code that speaks SQL directly needs it (`storeEvents`):
 * a `pg` client satisfies it, and so does a Prisma interactive transaction through `sqlOverPrisma`.
 */
export interface SqlClient {
  query<R extends object>(text: string, values?: unknown[]): Promise<{ rows: R[] }>;
}

/**
 * A `Prisma.sql` statement run through pg (a pool, or a client in `inTransaction`): the SQL and
 * values `$queryRaw` would send, without the Prisma client's cost per call (about 230 µs of CPU
 * against pg's 70, measured 2026-12-03), which the guarded send pays ten times a message.
 */
export async function sqlRows<T extends object>(db: SqlClient, statement: Prisma.Sql): Promise<T[]> {
  return (await db.query<T>(statement.text, statement.values)).rows;
}

/**
 * SQL with `$1`… parameters on a Prisma interactive transaction, so that writes in SQL join
 * what the transaction does through Prisma (one connection, one commit). Dates are passed as
 * ISO-8601 strings (with their zone); a statement must not answer a `void` column.
 */
export function sqlOverPrisma(tx: Prisma.TransactionClient): SqlClient {
  const param = (value: unknown): unknown => (value instanceof Date ? value.toISOString() : Array.isArray(value) ? value.map(param) : value);
  return {
    async query<R extends object>(text: string, values: unknown[] = []) {
      return { rows: await tx.$queryRawUnsafe<R[]>(text, ...values.map(param)) };
    },
  };
}

/** A jsonb column read as a plain object (anything else reads as empty). */
export function jsonObject(value: Prisma.JsonValue | null | undefined): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value) ? value : {};
}


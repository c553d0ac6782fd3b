// The database client: Prisma on PostgreSQL through the pg driver adapter (no native engine
// download). Migrations: src/database/migrate.ts. The embedded server: src/database/embedded-postgres.ts.
import { PrismaPg } from '@prisma/adapter-pg';
import { Prisma, PrismaClient } from './generated/prisma/client';

export type Db = PrismaClient;
/** A client or an interactive transaction's client. */
export type DbTx = Prisma.TransactionClient | PrismaClient;

export function createDb(databaseUrl: string, options: { poolSize?: number } = {}): Db {
  return new PrismaClient({ adapter: new PrismaPg({ connectionString: databaseUrl, max: options.poolSize ?? 10 }) });
}

/** A jsonb column read as a plain object (anything else reads as empty). */
export function jsonObject(value: Prisma.JsonValue | null | undefined): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value) : {};
}

export { migrateDatabase } from './database/migrate';

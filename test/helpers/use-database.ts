// The vitest side of test databases (database.ts stays usable outside vitest: benchmarks).
import { afterAll, beforeAll } from 'vitest';
import type pg from 'pg';
import { createDb, createPool, type Db } from '../../src/db';
import { createTestDatabase, type TestDatabase } from './database';

/**
 * A fresh migrated database, a Prisma client and a pg pool on it for the test file (vitest
 * hooks). Read `.db`, `.pool` and `.url` inside tests, after `beforeAll` ran.
 */
export function useTestDatabase(label: string): { readonly db: Db; readonly pool: pg.Pool; readonly url: string } {
  const context = {} as { db: Db; pool: pg.Pool; url: string; database: TestDatabase };
  beforeAll(async () => {
    context.database = await createTestDatabase(label);
    context.url = context.database.url;
    context.db = createDb(context.url);
    context.pool = createPool(context.url);
  });
  afterAll(async () => {
    await context.db?.$disconnect();
    await context.pool?.end();
    await context.database?.drop();
  });
  return context;
}

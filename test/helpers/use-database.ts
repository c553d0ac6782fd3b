// The vitest side of test databases (database.ts stays usable outside vitest: benchmarks).
import { afterAll, beforeAll } from 'vitest';
import { createDb, type Db } from '../../src/db';
import { createTestDatabase, type TestDatabase } from './database';

/**
 * A fresh migrated database and a Prisma client on it for the test file (vitest hooks).
 * Read `.db` and `.url` inside tests, after `beforeAll` ran.
 */
export function useTestDatabase(label: string): { readonly db: Db; readonly url: string } {
  const context = {} as { db: Db; url: string; database: TestDatabase };
  beforeAll(async () => {
    context.database = await createTestDatabase(label);
    context.url = context.database.url;
    context.db = createDb(context.url);
  });
  afterAll(async () => {
    await context.db?.$disconnect();
    await context.database?.drop();
  });
  return context;
}

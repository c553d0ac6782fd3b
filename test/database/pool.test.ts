// The plain pg pool survives PostgreSQL dropping a connection that is checked out between
// queries (as the dispatcher's is while it signals Temporal): no uncaught 'error', and the
// pool serves the next caller on a fresh connection. Session settings in the URL reach both
// clients (the seed commits without waiting for the WAL flush through them).
import { afterAll, describe, expect, it } from 'vitest';
import { createDb, createPool, withSessionSettings } from '../../src/db';
import { useTestDatabase } from '../helpers/use-database';

const database = useTestDatabase('pool');
const uncaught: Error[] = [];
const onUncaught = (error: Error) => uncaught.push(error);
process.on('uncaughtException', onUncaught);
afterAll(() => {
  process.off('uncaughtException', onUncaught);
});

describe('createPool', () => {
  it('keeps running when the server terminates a checked-out connection, and serves the next query on a new one', async () => {
    const pool = createPool(database.url, { size: 2 });
    const admin = createPool(database.url, { size: 1 });
    try {
      const held = await pool.connect();
      const { rows } = await held.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      const pid = rows[0].pid;
      await admin.query('SELECT pg_terminate_backend($1)', [pid]);
      // Give the client time to notice the closed socket while nobody queries it.
      await new Promise((resolve) => setTimeout(resolve, 300));
      await expect(held.query('SELECT 1')).rejects.toThrow();
      held.release();
      const again = await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      expect(again.rows[0].pid).not.toBe(pid);
      expect(uncaught).toEqual([]);
    } finally {
      await pool.end();
      await admin.end();
    }
  });
});

describe('withSessionSettings', () => {
  it('sets PostgreSQL settings for every session of a pg pool and of the Prisma client, keeping options already in the URL', async () => {
    const given = new URL(database.url);
    given.searchParams.set('options', '-c statement_timeout=4321');
    // The test server runs with synchronous_commit=off: 'local' is a value it would not have.
    const url = withSessionSettings(given.toString(), { synchronous_commit: 'local' });
    const pool = createPool(url, { size: 1 });
    const db = createDb(url, { poolSize: 1 });
    const plain = createPool(database.url, { size: 1 });
    try {
      const { rows } = await pool.query<{ synchronous_commit: string; statement_timeout: string }>(
        `SELECT current_setting('synchronous_commit') AS synchronous_commit, current_setting('statement_timeout') AS statement_timeout`,
      );
      expect(rows[0]).toEqual({ synchronous_commit: 'local', statement_timeout: '4321ms' });
      const viaPrisma = await db.$queryRaw<{ synchronous_commit: string }[]>`SELECT current_setting('synchronous_commit') AS synchronous_commit`;
      expect(viaPrisma[0].synchronous_commit).toBe('local');
      const { rows: defaults } = await plain.query<{ synchronous_commit: string }>(`SELECT current_setting('synchronous_commit') AS synchronous_commit`);
      expect(defaults[0].synchronous_commit).toBe('off');
    } finally {
      await pool.end();
      await plain.end();
      await db.$disconnect();
    }
  });
});

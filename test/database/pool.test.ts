// The plain pg pool survives PostgreSQL dropping a connection that is checked out between
// queries (as the dispatcher's is while it signals Temporal): no uncaught 'error', and the
// pool serves the next caller on a fresh connection.
import { afterAll, describe, expect, it } from 'vitest';
import { createPool } from '../../src/db';
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

// `npm run keys` on a real PostgreSQL (DATABASE_URL): create prints the key once and it works;
// list shows it without the key; revoke turns it away; bad usage exits 2 naming the problem.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyStore } from '../../src/keys/store';
import { useTestDatabase } from '../helpers/use-database';

const root = path.resolve(__dirname, '..', '..');
const database = useTestDatabase('keys-cli');
let pool: pg.Pool;

beforeAll(() => {
  pool = database.pool;
});
afterAll(async () => {
});

async function keys(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/keys/cli.ts', ...args], {
      cwd: root,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: database.url },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('npm run keys', () => {
  it('creates an admin key shown once, lists it without the key, and revokes it', async () => {
    const created = await keys('create', '--scope', 'admin', '--name', 'ops');
    expect(created.code, created.stderr).toBe(0);
    const key = /^\s+(crm_admin_\S+)$/m.exec(created.stdout)?.[1];
    const id = /Created admin key (key_\S+) \(ops\)/.exec(created.stdout)?.[1];
    expect(key).toBeDefined();
    expect(id).toBeDefined();
    // A fresh store each time: no cache between the CLI's writes and these reads.
    expect(await new KeyStore(pool).identify(key!)).toEqual({ id, name: 'ops', scope: 'admin' });

    const listed = await keys('list');
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`^${id}\\s+admin\\s+crm_admin_\\S{6}…\\s+\\S+\\s+active\\s+ops$`, 'm'));
    expect(listed.stdout).not.toContain(key);

    const revoked = await keys('revoke', id!);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toContain(`Revoked ${id} (ops)`);
    expect(await new KeyStore(pool).identify(key!)).toBeNull();
    expect((await keys('list')).stdout).toMatch(new RegExp(`^${id}\\s+admin\\s+\\S+\\s+\\S+\\s+revoked \\S+\\s+ops$`, 'm'));
  });

  it('exits 2 with the usage for a bad scope, a missing name, an unknown command or an unknown key id, writing nothing', async () => {
    const before = (await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM "ApiKey"')).rows[0].n;
    const badScope = await keys('create', '--scope', 'root', '--name', 'x');
    expect(badScope.code).toBe(2);
    expect(badScope.stderr).toContain('--scope: expected "ingest"');
    expect(badScope.stderr).toContain('Usage:');
    const noName = await keys('create', '--scope', 'ingest');
    expect(noName.code).toBe(2);
    expect(noName.stderr).toContain('--name:');
    const unknown = await keys('rotate');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "rotate"');
    const noSuchKey = await keys('revoke', 'key_missing');
    expect(noSuchKey.code).toBe(2);
    expect(noSuchKey.stderr).toContain('no key key_missing');
    expect((await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM "ApiKey"')).rows[0].n).toBe(before);
  });
});

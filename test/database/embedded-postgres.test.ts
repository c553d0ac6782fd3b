// The embedded PostgreSQL `npm start` runs (src/database/embedded-postgres.ts): first start
// and restart, and the clear errors and recoveries a user meets on a real machine.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config';
import { maskDatabaseUrl, sharedBuffersMiB, socketDirectoryFor, startEmbeddedPostgres } from '../../src/database/embedded-postgres';
import { queryRows as sql } from '../helpers/database';
import { eventually } from '../helpers/eventually';
import { freePort } from '../helpers/ports';
import { alive } from '../../src/processes';

const root = path.resolve(__dirname, '..', '..');
const cleanups: (() => void)[] = [];
afterAll(() => {
  for (const cleanup of cleanups.reverse()) cleanup();
});

function tempDir(parent = os.tmpdir()): string {
  const dir = fs.mkdtempSync(path.join(parent, 'crm-journeys-embedded-'));
  fs.chmodSync(dir, 0o755); // mkdtemp makes it 0700; the server may run as `postgres`
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const isRoot = process.getuid?.() === 0;

describe('the embedded PostgreSQL', () => {
  it('initialises DATA_DIR/postgres on the first start (one progress line), keeps the data across restarts, and stops its process', async () => {
    const dataDir = tempDir();
    const port = await freePort();
    const lines: string[] = [];
    const first = await startEmbeddedPostgres({ dataDir, port, log: (line) => lines.push(line) });
    expect(lines).toEqual([`Initialising PostgreSQL in ${path.join(dataDir, 'postgres')} (first start)…`]);
    expect(first.clusterDir).toBe(path.join(dataDir, 'postgres'));
    expect(first.socketDirectory).toBe(first.clusterDir);
    expect(maskDatabaseUrl(first.url)).toBe(`postgresql://crm:****@127.0.0.1:${port}/crm?host=${encodeURIComponent(first.clusterDir)}`);
    expect((await sql<{ version: string }>(first.url, 'SELECT version()'))[0].version).toMatch(/^PostgreSQL 17\./);
    await sql(first.url, 'CREATE TABLE kept (value text); INSERT INTO kept VALUES ($$still here$$)');
    await first.stop();
    expect(alive(first.pid)).toBe(false);

    lines.length = 0;
    const second = await startEmbeddedPostgres({ dataDir, port, log: (line) => lines.push(line) });
    try {
      expect(lines).toEqual([]);
      expect(second.url).toBe(first.url);
      expect(await sql(second.url, 'SELECT value FROM kept')).toEqual([{ value: 'still here' }]);
    } finally {
      await second.stop();
    }
  });

  it('listens on 127.0.0.1 and a Unix socket in its own directory, asks for the password on both, and sizes shared_buffers to the machine', async () => {
    const server = await startEmbeddedPostgres({ dataDir: tempDir(), port: await freePort(), log: () => undefined });
    try {
      const wrong = new URL(server.url);
      wrong.password = 'not-the-password';
      await expect(sql(wrong.toString(), 'SELECT 1')).rejects.toThrow(/password authentication failed/);
      expect(await sql(server.url, 'SHOW listen_addresses')).toEqual([{ listen_addresses: '127.0.0.1' }]);
      // Its URL takes the Unix socket in the cluster's directory (no client address); TCP on
      // 127.0.0.1 answers too, and asks for the password on either.
      expect(await sql(server.url, 'SELECT inet_client_addr() AS addr, current_setting($$unix_socket_directories$$) AS dir')).toEqual([{ addr: null, dir: `"${server.clusterDir}"` }]);
      const tcp = new URL(server.url);
      tcp.search = '';
      expect(await sql(tcp.toString(), 'SELECT inet_client_addr() AS addr')).toEqual([{ addr: '127.0.0.1' }]);
      const wrongOnSocket = new URL(server.url);
      wrongOnSocket.password = 'not-the-password';
      await expect(sql(wrongOnSocket.toString(), 'SELECT 1')).rejects.toThrow(/password authentication failed/);
      expect(fs.statSync(server.clusterDir).mode & 0o777).toBe(0o700);
      const mib = sharedBuffersMiB();
      expect(await sql(server.url, 'SHOW shared_buffers')).toEqual([{ shared_buffers: mib % 1024 === 0 ? `${mib / 1024}GB` : `${mib}MB` }]);
    } finally {
      await server.stop();
    }
  });

  it('puts no socket where its path would be too long for a socket address, or could not be quoted', () => {
    expect(socketDirectoryFor('/home/me/.data/postgres', 5433)).toBe('/home/me/.data/postgres');
    expect(socketDirectoryFor(`/${'d'.repeat(95)}`, 5433)).toBeNull();
    expect(socketDirectoryFor('/home/me/a,b/postgres', 5433)).toBeNull();
  });

  it('takes an eighth of memory for shared_buffers, at least 128 MB and at most 1 GB', () => {
    const GiB = 2 ** 30;
    expect([0.5, 2, 4, 8, 24].map((gib) => sharedBuffersMiB(gib * GiB))).toEqual([128, 256, 512, 1024, 1024]);
  });

  it('refuses a port in use, naming PG_PORT, before touching the data directory', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => blocker.close());
    const port = (blocker.address() as net.AddressInfo).port;
    const dataDir = tempDir();
    const error = await startEmbeddedPostgres({ dataDir, port, log: () => undefined }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      `PG_PORT: port ${port} on 127.0.0.1 is already in use (another PostgreSQL, or another crm-journeys). Choose a free port with PG_PORT, or use that server with DATABASE_URL.`,
    ]);
    expect(fs.existsSync(path.join(dataDir, 'postgres'))).toBe(false);
  });

  it.runIf(isRoot)('refuses a data directory owned by someone else, naming the path', async () => {
    const dataDir = tempDir();
    const cluster = path.join(dataDir, 'postgres');
    fs.mkdirSync(cluster);
    fs.writeFileSync(path.join(cluster, 'PG_VERSION'), '17\n');
    fs.chownSync(cluster, 65534, 65534); // nobody
    const error = await startEmbeddedPostgres({ dataDir, port: await freePort(), log: () => undefined }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems[0]).toMatch(
      new RegExp(`^DATA_DIR: ${cluster} is owned by (nobody, )?uid 65534, but the embedded PostgreSQL runs as the "postgres" user \\(uid \\d+\\)\\. Give it to that user`),
    );
  });

  it.runIf(isRoot)('keeps the cluster where the server user can reach it when DATA_DIR is private to root (a checkout under /root)', async () => {
    const privateParent = tempDir();
    fs.chmodSync(privateParent, 0o700); // like /root
    const dataDir = path.join(privateParent, 'checkout', '.data');
    const fallbackRoot = tempDir();
    fs.chmodSync(fallbackRoot, 0o755);
    const lines: string[] = [];
    const port = await freePort();
    const first = await startEmbeddedPostgres({ dataDir, port, fallbackRoot, log: (line) => lines.push(line) });
    cleanups.unshift(() => fs.rmSync(first.clusterDir, { recursive: true, force: true }));
    try {
      expect(path.dirname(first.clusterDir)).toBe(fallbackRoot);
      expect(fs.readlinkSync(path.join(dataDir, 'postgres'))).toBe(first.clusterDir);
      expect(lines[0]).toContain(`${dataDir} is private to root, so the "postgres" server user cannot use it: the cluster is kept in ${first.clusterDir}`);
      await sql(first.url, 'CREATE TABLE kept (value int); INSERT INTO kept VALUES (7)');
    } finally {
      await first.stop();
    }
    const second = await startEmbeddedPostgres({ dataDir, port, fallbackRoot, log: () => undefined });
    try {
      expect(second.clusterDir).toBe(first.clusterDir);
      expect(await sql(second.url, 'SELECT value FROM kept')).toEqual([{ value: 7 }]);
    } finally {
      await second.stop();
    }
  });

  it('stops a server left running by a start that was killed (SIGKILL), then starts', async () => {
    const dataDir = tempDir();
    const port = await freePort();
    // A process that starts the server and is then killed without a chance to stop it.
    const script = `require('./src/database/embedded-postgres').startEmbeddedPostgres({ dataDir: ${JSON.stringify(dataDir)}, port: ${port}, log: () => {} })
      .then((s) => console.log('pid ' + s.pid))`;
    const child = spawn(process.execPath, ['--import', 'tsx', '-e', `${script}; setInterval(() => {}, 1000)`], { cwd: root });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const orphanPid = await eventually(() => Number(/pid (\d+)/.exec(output)![1]), { timeoutMs: 30_000 });
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    expect(alive(orphanPid)).toBe(true);

    const lines: string[] = [];
    const server = await startEmbeddedPostgres({ dataDir, port, log: (line) => lines.push(line) });
    try {
      expect(lines).toEqual([`  Stopping a PostgreSQL server (pid ${orphanPid}) left running on ${path.join(dataDir, 'postgres')} by an earlier start…`]);
      expect(alive(orphanPid)).toBe(false);
      expect(server.pid).not.toBe(orphanPid);
      expect(await sql(server.url, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
    } finally {
      await server.stop();
    }
  });
});

// The embedded Temporal dev server `npm start` runs when TEMPORAL_ADDRESS is unset:
// persistent (SQLite file in DATA_DIR), with the Web UI and our search attributes.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { SEARCH_ATTRIBUTES } from '../../workflows/definitions';
import { Connection } from '@temporalio/client';
import { isListening, stopChild, tail } from '../processes';
import { ensureTemporalCli } from '../toolchain/temporal-cli';

export interface DevServerOptions {
  dataDir: string;
  port: number;
  uiPort: number;
  namespace: string;
  cliPath?: string;
  ip?: string;
  log?: (line: string) => void;
}

export interface DevServer {
  address: string;
  uiUrl: string;
  stop(): Promise<void>;
}

const searchAttributeArgs = SEARCH_ATTRIBUTES.flatMap((key) => ['--search-attribute', `${key.name}=Keyword`]);

export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const log = options.log ?? console.log;
  const ip = options.ip ?? '127.0.0.1';
  const address = `${ip}:${options.port}`;
  const uiUrl = `http://${ip === '0.0.0.0' ? 'localhost' : ip}:${options.uiPort}`;
  fs.mkdirSync(options.dataDir, { recursive: true });
  const dbFilename = path.join(options.dataDir, 'temporal.db');

  for (const port of [options.port, options.uiPort]) {
    if (await isListening(ip, port)) {
      throw new Error(
        `port ${port} on ${ip} is already in use: another Temporal dev server is probably running. ` +
          'Stop it, choose other ports with TEMPORAL_DEV_PORT / TEMPORAL_UI_PORT, or use it with TEMPORAL_ADDRESS.',
      );
    }
  }

  const cli = await ensureTemporalCli({ cliPath: options.cliPath, log });
  if (!cli) return startSdkDownloadedServer({ ...options, ip, dbFilename, uiUrl });

  const logFile = path.join(options.dataDir, 'temporal.log');
  const logFd = fs.openSync(logFile, 'a');
  const child = spawn(
    cli.path,
    [
      'server', 'start-dev',
      '--db-filename', dbFilename,
      '--ip', ip,
      '--port', String(options.port),
      '--ui-port', String(options.uiPort),
      '--namespace', options.namespace,
      '--log-level', 'warn',
      // WAL with synchronous=normal: about 3x the throughput of SQLite's defaults here
      // (TOOLCHAIN.md §1). Every commit survives a crash of the process; the last few may be
      // lost if the machine loses power — fine for the embedded, single-machine server.
      '--sqlite-pragma', 'journal_mode=wal',
      '--sqlite-pragma', 'synchronous=normal',
      ...searchAttributeArgs,
    ],
    { stdio: ['ignore', logFd, logFd] },
  );
  fs.closeSync(logFd);
  // However this process ends (an error, process.exit, a test runner tearing down), the dev
  // server must not outlive it.
  const killOnExit = () => child.kill('SIGTERM');
  process.once('exit', killOnExit);
  child.once('exit', () => process.removeListener('exit', killOnExit));

  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = await Promise.race([waitForPort(ip, options.port, 60_000).then(() => true), exited.then(() => false)]);
  if (!ready) {
    throw new Error(`the Temporal dev server exited during start-up; see ${logFile}:\n${tail(logFile)}`);
  }
  // Listening is not serving: on a busy machine the frontend answers "not healthy yet" for a while.
  const serving = await Promise.race([waitForFrontend(address, 60_000).then(() => true), exited.then(() => false)]);
  if (!serving) throw new Error(`the Temporal dev server exited during start-up; see ${logFile}:\n${tail(logFile)}`);
  return { address, uiUrl, stop: () => stopChild(child, exited, { signal: 'SIGTERM', force: 'SIGKILL', timeoutMs: 15_000 }) };
}

async function startSdkDownloadedServer(options: DevServerOptions & { ip: string; dbFilename: string; uiUrl: string }): Promise<DevServer> {
  // Last resort from TOOLCHAIN order: the SDK's own download of the dev server.
  const { TestWorkflowEnvironment } = await import('@temporalio/testing');
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      ip: options.ip,
      port: options.port,
      uiPort: options.uiPort,
      ui: true,
      dbFilename: options.dbFilename,
      namespace: options.namespace,
      searchAttributes: [...SEARCH_ATTRIBUTES],
    },
  });
  return { address: `${options.ip}:${options.port}`, uiUrl: options.uiUrl, stop: () => env.teardown() };
}

async function waitForPort(host: string, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await isListening(host, port)) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`the Temporal dev server did not listen on ${host}:${port} within ${timeoutMs / 1000}s`);
}

/** Waits until the frontend answers GetSystemInfo (what every client and worker asks first). */
async function waitForFrontend(address: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: 2000 });
      try {
        await connection.workflowService.getSystemInfo({});
        return;
      } finally {
        await connection.close();
      }
    } catch (error) {
      last = error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  throw new Error(`the Temporal dev server on ${address} did not become healthy within ${timeoutMs / 1000}s: ${String(last)}`);
}

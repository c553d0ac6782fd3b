// A worker (or dispatcher) in its own process (`npm run start:worker` / `start:dispatcher`),
// against a test stack's Temporal server and database: for tests about several processes,
// and about killing one.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { expect } from 'vitest';
import { eventually } from './eventually';
import type { Stack } from './stack';

const root = path.resolve(__dirname, '..', '..');

export interface WorkerProcess {
  child: ChildProcessWithoutNullStreams;
  output(): string;
  exited: Promise<number | null>;
  /** Resolves once the role is running (the worker polls its task queue). */
  ready(): Promise<void>;
}

export function spawnWorker(stack: Stack, env: Record<string, string> = {}, role: 'worker' | 'dispatcher' = 'worker'): WorkerProcess {
  // One process, no tsx wrapper (so SIGKILL really kills the worker), and only what a
  // user's shell would pass.
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', `--only=${role}`], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      TEMPORAL_ADDRESS: stack.temporalAddress,
      DATA_DIR: stack.dataDir,
      DATABASE_URL: stack.config.database.url!,
      LOG_LEVEL: 'warn',
      ...env,
    },
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => output,
    exited,
    ready: async () => {
      await eventually(() => expect(output).toContain(role === 'worker' ? 'Worker running' : 'Dispatcher running'), { timeoutMs: 90_000 });
    },
  };
}

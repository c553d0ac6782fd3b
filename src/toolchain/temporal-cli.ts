// Finds the `temporal` CLI that runs the embedded dev server. Order: TEMPORAL_CLI_PATH,
// `temporal` on PATH, the per-user cached build, a build from the Go module proxy (when Go
// is installed); otherwise null, and the caller lets the SDK download the server.
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { cacheDir, withProgress } from './cache';

/** The newest CLI tag `go install pkg@version` accepts (later ones carry a go.mod `replace`). */
export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';

export type CliSource = 'TEMPORAL_CLI_PATH' | 'PATH' | 'cache' | 'built';

export function cachedCliPath(): string {
  return path.join(cacheDir(), 'bin', 'temporal');
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function onPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && isExecutable(path.join(dir, command))) return path.join(dir, command);
  }
  return undefined;
}

/** The CLI that is already here, without building anything. */
export function findTemporalCli(cliPath?: string): { path: string; source: CliSource } | null {
  if (cliPath) {
    if (!isExecutable(cliPath)) throw new Error(`TEMPORAL_CLI_PATH: ${cliPath} is not an executable file`);
    return { path: cliPath, source: 'TEMPORAL_CLI_PATH' };
  }
  const fromPath = onPath('temporal');
  if (fromPath) return { path: fromPath, source: 'PATH' };
  if (isExecutable(cachedCliPath())) return { path: cachedCliPath(), source: 'cache' };
  return null;
}

/** Finds the CLI, building it into the cache when Go is available. Null: nothing worked. */
export async function ensureTemporalCli(options: { cliPath?: string; log?: (line: string) => void } = {}) {
  const log = options.log ?? console.log;
  const found = findTemporalCli(options.cliPath);
  if (found) return found;
  if (!onPath('go')) {
    log('No `temporal` CLI found and Go is not installed: falling back to the SDK download.');
    return null;
  }
  const target = cachedCliPath();
  await withProgress(
    `Building the Temporal CLI (${TEMPORAL_CLI_MODULE}) into ${path.dirname(target)} — first run only, takes a few minutes`,
    () => goInstall(path.dirname(target)),
    log,
  );
  const { stdout } = await promisify(execFile)(target, ['--version']);
  log(`Temporal CLI ready: ${stdout.trim()}`);
  return { path: target, source: 'built' as const };
}

async function goInstall(gobin: string): Promise<void> {
  fs.mkdirSync(gobin, { recursive: true });
  await new Promise<void>((resolve, reject) => {
    const child = spawn('go', ['install', TEMPORAL_CLI_MODULE], {
      env: { ...process.env, GOBIN: gobin },
      stdio: ['ignore', 'inherit', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      // `go: downloading …` lines are the useful progress; keep them visible.
      process.stderr.write(chunk);
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0
        ? resolve()
        : reject(
            new Error(
              `go install ${TEMPORAL_CLI_MODULE} failed (exit ${code}).\n${stderr.slice(-2000)}\n` +
                'If your Go is too old or too new for this module, retry with GOTOOLCHAIN=go1.25.0 (Go fetches that toolchain through the module proxy).',
            ),
          ),
    );
  });
}

// Temporal's time-skipping test server for workflow tests. The SDK downloads it from
// Temporal's CDN; the same server is on Maven Central, so we resolve its jars with Maven
// into the per-user cache and wrap them in a small executable the SDK can start.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { cacheDir, withProgress } from './cache';

export const TEST_SERVER_VERSION = '1.38.0';

const pom = path.resolve(__dirname, '..', '..', 'scripts', 'temporal-test-server.pom.xml');

function serverDir(): string {
  return path.join(cacheDir(), 'test-server', TEST_SERVER_VERSION);
}

export function testServerWrapperPath(): string {
  return path.join(serverDir(), 'temporal-test-server');
}

/** The wrapper, if already resolved (or TEMPORAL_TEST_SERVER_PATH), else null. */
export function findTestServer(): string | null {
  const override = process.env.TEMPORAL_TEST_SERVER_PATH;
  if (override) return override;
  return fs.existsSync(path.join(serverDir(), '.complete')) ? testServerWrapperPath() : null;
}

/** Resolves the jars with Maven once per machine. Null when Maven is missing (SDK download then). */
export async function ensureTestServer(log: (line: string) => void = console.log): Promise<string | null> {
  const found = findTestServer();
  if (found) return found;
  const dir = serverDir();
  const lib = path.join(dir, 'lib');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(lib, { recursive: true });
  try {
    await withProgress(
      `Resolving io.temporal:temporal-test-server:${TEST_SERVER_VERSION} from Maven Central into ${dir}`,
      () => run('mvn', ['-B', '-q', '-f', pom, `-DtestServerVersion=${TEST_SERVER_VERSION}`, 'dependency:copy-dependencies', `-DoutputDirectory=${lib}`]),
      log,
    );
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      log('Maven is not installed: workflow tests will let the SDK download the test server.');
      return null;
    }
    throw error;
  }
  // The SDK starts the executable with the port as its first argument.
  fs.writeFileSync(testServerWrapperPath(), `#!/bin/sh\nexec java -cp '${lib}/*' io.temporal.testserver.TestServer "$@"\n`, { mode: 0o755 });
  fs.writeFileSync(path.join(dir, '.complete'), `${new Date().toISOString()}\n`);
  return testServerWrapperPath();
}

function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} exited ${code}:\n${output.slice(-3000)}`))));
  });
}

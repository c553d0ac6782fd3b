// The seed's preload (src/seed/lean-workflow-thread.cjs, `npm run seed` loads it with
// `node --require`): in worker threads a vm call with a timeout starts no watchdog thread, and
// Temporal's stack-trace promise hook is skipped while AsyncLocalStorage keeps working; the
// main thread is left as it is. Threads are counted in /proc (Linux, as CI is).
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';

const LEAN = path.resolve(__dirname, '..', '..', 'src', 'seed', 'lean-workflow-thread.cjs');

// How many more threads the process has during a vm call with a 5 s timeout than just before
// it; the least of five tries, so a thread started by something else cannot count.
const WATCHDOG_THREADS = `
  const fs = require('node:fs');
  const vm = require('node:vm');
  const threads = () => Number(/Threads:\\s+(\\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]);
  const context = vm.createContext({ threads });
  const script = new vm.Script('threads()');
  let least = Infinity;
  for (let i = 0; i < 5; i++) {
    const before = threads();
    least = Math.min(least, script.runInContext(context, { timeout: 5000 }) - before);
    least = Math.min(least, vm.runInContext('threads()', context, { timeout: 5000 }) - threads());
  }
  return least;`;

/** Runs `body` (a function body) in a worker thread, with or without the preload; answers what it returns. */
function inWorker<T>(body: string, { preload }: { preload: boolean }): Promise<T> {
  const code = `const { parentPort } = require('node:worker_threads'); Promise.resolve((async () => { ${body} })()).then((r) => parentPort.postMessage(r));`;
  const worker = new Worker(code, { eval: true, execArgv: preload ? ['--require', LEAN] : [] });
  return new Promise<T>((resolve, reject) => {
    worker.once('message', (result: T) => void worker.terminate().then(() => resolve(result)));
    worker.once('error', reject);
  });
}

describe('the seed\'s lean workflow thread', () => {
  it('starts no watchdog thread for a vm call with a timeout in a worker thread (one without the preload)', async () => {
    expect(await inWorker<number>(WATCHDOG_THREADS, { preload: false })).toBe(1);
    expect(await inWorker<number>(WATCHDOG_THREADS, { preload: true })).toBe(0);
  });

  it('leaves the main thread\'s vm timeouts alone', () => {
    const out = execFileSync(process.execPath, ['--require', LEAN, '-e', `console.log((() => { ${WATCHDOG_THREADS} })())`], { encoding: 'utf8' });
    expect(Number(out.trim())).toBe(1);
  });

  it('skips the hook Temporal\'s worker registers for stack traces, and keeps AsyncLocalStorage\'s', async () => {
    const result = await inWorker<{ temporalHookKeys: string[][]; temporalInitCalls: number; otherInitCalls: number; store: unknown }>(
      `
      const v8 = require('node:v8');
      const { AsyncLocalStorage } = require('node:async_hooks');
      // The shape of the hook @temporalio/worker installs (recorded through the preload's function).
      const temporalHookKeys = [];
      const createHook = v8.promiseHooks.createHook;
      v8.promiseHooks.createHook = function (hooks) { temporalHookKeys.push(Object.keys(hooks)); return createHook.call(this, hooks); };
      require(${JSON.stringify(require.resolve('@temporalio/worker/lib/workflow/vm-shared'))}).globalHandlers.install();
      v8.promiseHooks.createHook = createHook;
      // A hook of that shape is skipped; one with more callbacks is installed.
      let temporalInitCalls = 0;
      let otherInitCalls = 0;
      const stopTemporal = v8.promiseHooks.createHook({ init: () => { temporalInitCalls++; }, settled: () => undefined });
      const stopOther = v8.promiseHooks.createHook({ init: () => { otherInitCalls++; }, before: undefined, after: undefined, settled: undefined });
      await Promise.resolve(1).then((x) => x);
      stopTemporal();
      stopOther();
      // Workflows' cancellation scopes live in AsyncLocalStorage: it must still follow an await.
      const storage = new AsyncLocalStorage();
      const store = await storage.run('scope', async () => { await new Promise((r) => setTimeout(r, 1)); return storage.getStore(); });
      return { temporalHookKeys, temporalInitCalls, otherInitCalls, store };`,
      { preload: true },
    );
    expect(result.temporalHookKeys).toEqual([['init', 'settled']]);
    expect(result.temporalInitCalls).toBe(0);
    expect(result.otherInitCalls).toBeGreaterThan(0);
    expect(result.store).toBe('scope');
  });
});

// `npm run seed` loads this with `node --require` (so it runs in every thread of the seed's
// process) to make the Temporal worker's workflow thread cheaper for the month the seed plays.
// It changes nothing in the main thread, and nothing in the product's own worker (`npm start`).
//
// Two per-activation costs of @temporalio/worker 1.24 are dropped. Both are safety and
// debugging aids that matter on a production worker and are never used on the seed's throwaway
// time-skipping server:
//
// 1. The deadlock timeout (`isolateExecutionTimeout`, 5 s): Node enforces a vm `timeout` by
//    starting and joining a watchdog thread on every call into the sandbox (nodejs/node#10453;
//    a fix, nodejs/node#47739, is still open). That is about 45 µs of CPU per call here against
//    2 µs without, several calls per activation: 35 s of the seed's workflow thread (CPU
//    profile, 2026-12-03). Without the timeout a journey stuck in a loop would hang the seed;
//    with it the seed hung as well (the task is retried forever), so nothing is lost.
// 2. The promise hook behind the `__stack_trace` query (the Web UI's "Stack Trace" tab): it
//    builds and source-maps an Error for every promise a workflow creates, about 25 s of the
//    same thread. Only the SDK's own hook is skipped (it is the one registered with exactly
//    `init` and `settled`); Node's async_hooks, which AsyncLocalStorage and so the workflows'
//    cancellation scopes rely on, register theirs through the same function and keep them.
'use strict';
const { isMainThread } = require('node:worker_threads');

if (!isMainThread) {
  const vm = require('node:vm');
  const v8 = require('node:v8');

  /** The options without `timeout`: no watchdog thread. */
  const withoutTimeout = (options) => {
    if (options === null || typeof options !== 'object' || options.timeout === undefined) return options;
    const { timeout: _timeout, ...rest } = options;
    return rest;
  };
  const runInContext = vm.Script.prototype.runInContext;
  vm.Script.prototype.runInContext = function (context, options) {
    return runInContext.call(this, context, withoutTimeout(options));
  };
  const runCodeInContext = vm.runInContext;
  vm.runInContext = (code, context, options) => runCodeInContext(code, context, withoutTimeout(options));

  const createHook = v8.promiseHooks.createHook;
  v8.promiseHooks.createHook = function (hooks) {
    const isTemporalStackTraceHook = Object.keys(hooks).sort().join(',') === 'init,settled';
    return isTemporalStackTraceHook ? () => undefined : createHook.call(this, hooks);
  };
}

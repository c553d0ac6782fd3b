// A TCP port free on 127.0.0.1 right now: the product's own helper (src/processes.ts).
export { freeLocalPort as freePort } from '../../src/processes';

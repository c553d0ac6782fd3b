// The per-user cache for toolchain pieces built or fetched once per machine
// (outside the repo, so fresh clones and CI reuse them).
import os from 'node:os';
import path from 'node:path';

export function cacheDir(): string {
  const base = process.env.CRM_JOURNEYS_CACHE_DIR ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'crm-journeys');
  return path.resolve(base);
}

/** Prints a heartbeat while slow work runs, so a first run never looks hung. */
export async function withProgress<T>(label: string, work: () => Promise<T>, log: (line: string) => void = console.log): Promise<T> {
  const started = Date.now();
  log(`${label}…`);
  const timer = setInterval(() => log(`  …still working (${Math.round((Date.now() - started) / 1000)}s)`), 15_000);
  try {
    const result = await work();
    log(`${label}: done in ${Math.round((Date.now() - started) / 1000)}s`);
    return result;
  } finally {
    clearInterval(timer);
  }
}

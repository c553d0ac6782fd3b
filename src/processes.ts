// Small helpers for the servers this product starts as child processes (the Temporal dev
// server, the embedded PostgreSQL): one way to probe a port, stop a child, read its log.
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';

/** Whether something accepts TCP connections on host:port. */
export function isListening(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Whether a process with this id is running (one we may not signal counts as running). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Asks a child to stop with `signal`; if it has not exited after `timeoutMs`, sends `force`. */
export async function stopChild(
  child: ChildProcess,
  exited: Promise<unknown>,
  { signal, force, timeoutMs }: { signal: NodeJS.Signals; force: NodeJS.Signals; timeoutMs: number },
): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill(signal);
  const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), timeoutMs).unref());
  if ((await Promise.race([exited, timeout])) === 'timeout') {
    child.kill(force);
    await exited;
  }
}

/** The last lines of a log file, for an error message. */
export function tail(file: string, lines = 20): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** The lowest port the kernel hands out to outgoing connections (Linux; elsewhere a safe guess). */
export function ephemeralPortsStart(): number {
  try {
    const [low] = fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    return Number.isInteger(low) && low > 1024 ? low : 32_768;
  } catch {
    return 32_768;
  }
}

const tryListen = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });

/**
 * A TCP port free on 127.0.0.1 right now (for a server this process starts next), chosen below
 * the kernel's ephemeral range: a port from that range (what `listen(0)` answers) can be given
 * to any outgoing connection before the server binds it — CI saw the Temporal dev server fail
 * with "bind: address already in use" that way while tests held many database connections.
 */
export async function freeLocalPort(): Promise<number> {
  const high = ephemeralPortsStart() - 1;
  const low = Math.min(10_000, high - 1_000);
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const port = low + Math.floor(Math.random() * (high - low + 1));
    if (await tryListen(port)) return port;
  }
  throw new Error(`no free TCP port on 127.0.0.1 between ${low} and ${high} after 100 tries`);
}

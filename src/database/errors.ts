// Telling "the database is not there" apart from a bug: the API answers the first with 503
// (the client retries; nothing was written, as every write is one transaction).

const UNAVAILABLE_CODES = new Set([
  'P1001', // can't reach database server
  'P1002', // timed out reaching it
  'P1017', // server closed the connection
  'P2024', // timed out waiting for a connection from the pool
  'P2028', // could not start a transaction in time
]);
const UNAVAILABLE_KINDS = new Set(['DatabaseNotReachable', 'DatabaseUnavailable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections']);
// `connect ENOENT …/.s.PGSQL.<port>`: the embedded server's Unix socket is gone with the server.
const UNAVAILABLE_TEXT =
  /Can't reach database server|Connection terminated|terminating connection|ECONNREFUSED|ECONNRESET|connect ENOENT \S*\.s\.PGSQL\.\d+|timeout exceeded when trying to connect|the database system is (shutting down|starting up)/i;

export function isDatabaseUnavailable(error: unknown): boolean {
  const e = error as { code?: string; message?: string; meta?: { driverAdapterError?: { cause?: { kind?: string } } } } | null;
  if (!e) return false;
  if (e.code && UNAVAILABLE_CODES.has(e.code)) return true;
  const kind = e.meta?.driverAdapterError?.cause?.kind;
  if (kind && UNAVAILABLE_KINDS.has(kind)) return true;
  return UNAVAILABLE_TEXT.test(e.message ?? '');
}

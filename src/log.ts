// The product's log: one JSON object per line on stdout (pino), at LOG_LEVEL. Lines carry ids
// (request, event, customer, journey, message), never personal data: no emails, phone numbers,
// names or message text — a test greps an integration run's log for its fixtures' (test/integration/logs.test.ts).
// The paths below are redacted as a second line of defence, should an object with them be logged.
import pino, { type Logger } from 'pino';

export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.email',
  '*.phone',
  '*.name',
  '*.body',
  '*.text',
  '*.subject',
  '*.to',
];

export type { Logger };

/** A logger writing JSON lines to `destination` (stdout by default). */
export function createLogger(level: string = process.env.LOG_LEVEL ?? 'info', destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { pid: process.pid },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    // Names of levels ("info") rather than numbers, as log stores expect.
    formatters: { level: (label) => ({ level: label }) },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return destination ? pino(options, destination) : pino(options);
}

/** The process's logger; src/main.ts sets its level from LOG_LEVEL at start. */
export const log: Logger = createLogger(process.env.LOG_LEVEL ?? 'info');

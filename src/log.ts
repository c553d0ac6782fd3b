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

// A provider's refusal or a database error may quote an address ("550 no such user a@b.kr"):
// emails and phone numbers in any string of a log line become placeholders.
const EMAIL = /[\w.+-]+@[\w-]+(\.[\w-]+)+/g;
const PHONE = /(\+?82[-\s]?|\b0)1[016789][-\s]?\d{3,4}[-\s]?\d{4}\b/g;

export function scrub(text: string): string {
  return text.replace(EMAIL, '[email]').replace(PHONE, '[phone]');
}

function scrubValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return scrub(value);
  if (depth > 4 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) {
    // The same kind of error (pino reports its class as `type`), its text scrubbed.
    const copy = Object.create(Object.getPrototypeOf(value) as object) as Error & Record<string, unknown>;
    for (const [key, item] of Object.entries(value)) copy[key] = scrubValue(item, depth + 1);
    copy.message = scrub(value.message);
    copy.stack = value.stack && scrub(value.stack);
    if (value.cause !== undefined) copy.cause = scrubValue(value.cause, depth + 1);
    return copy;
  }
  if (Array.isArray(value)) return value.map((item) => scrubValue(item, depth + 1));
  // Plain objects only: requests, responses and other instances go to their serializers as they are.
  const prototype = Object.getPrototypeOf(value) as unknown;
  if (prototype !== Object.prototype && prototype !== null) return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, scrubValue(item, depth + 1)]));
}

/** A logger writing JSON lines to `destination` (stdout by default). */
export function createLogger(level: string = process.env.LOG_LEVEL ?? 'info', destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { pid: process.pid },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    // Names of levels ("info") rather than numbers, as log stores expect.
    formatters: { level: (label) => ({ level: label }) },
    timestamp: pino.stdTimeFunctions.isoTime,
    hooks: {
      logMethod(args, method) {
        method.apply(this, args.map((arg) => scrubValue(arg)) as Parameters<typeof method>);
      },
    },
  };
  return destination ? pino(options, destination) : pino(options);
}

/** The process's logger; src/main.ts sets its level from LOG_LEVEL at start. */
export const log: Logger = createLogger(process.env.LOG_LEVEL ?? 'info');

// The one error shape of the API: { error: { code, message, details? } }.
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { z } from 'zod';
import { isDatabaseUnavailable } from '../database/errors';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/** `events[2].properties.total` from zod's ['events', 2, 'properties', 'total']. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (out, part) => (typeof part === 'number' ? `${out}[${part}]` : out ? `${out}.${String(part)}` : String(part)),
    '',
  );
}

export function validationError(error: z.ZodError, prefix: PropertyKey[] = []): ApiError {
  const details = error.issues.map((issue) => ({
    field: formatPath([...prefix, ...issue.path]) || '(body)',
    message: issue.message,
  }));
  const message = details.map((detail) => `${detail.field}: ${detail.message}`).join('; ');
  return new ApiError(400, 'invalid_request', message, details);
}

/** Parses with the schema or throws a 400 naming each bad field. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, prefix: PropertyKey[] = []): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw validationError(result.error, prefix);
  return result.data;
}

export const notFound: RequestHandler = (req) => {
  throw new ApiError(404, 'not_found', `no route for ${req.method} ${req.path}`);
};

export const errorHandler: ErrorRequestHandler = (error: unknown, req, res, _next) => {
  void _next;
  if (error instanceof ApiError) {
    res.status(error.status).json({ error: { code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) } });
    return;
  }
  // body-parser's errors carry a status and a type.
  const parserError = error as { status?: number; type?: string; message?: string };
  if (parserError.type === 'entity.parse.failed') {
    res.status(400).json({ error: { code: 'invalid_json', message: `request body is not valid JSON: ${parserError.message}` } });
    return;
  }
  if (parserError.type === 'entity.too.large') {
    const { limit } = error as { limit?: number };
    res.status(413).json({ error: { code: 'payload_too_large', message: `request body is larger than the ${limit ?? 'configured'} bytes allowed (BODY_LIMIT); send fewer events per request` } });
    return;
  }
  if (parserError.status && parserError.status >= 400 && parserError.status < 500) {
    res.status(parserError.status).json({ error: { code: 'bad_request', message: parserError.message ?? 'bad request' } });
    return;
  }
  if (isDatabaseUnavailable(error)) {
    res.status(503).set('Retry-After', '2').json({ error: { code: 'database_unavailable', message: 'the database is not reachable right now; nothing was written — retry shortly' } });
    return;
  }
  // pino-http's request logger: the line carries the request id. The error's message and stack
  // only (pino's err serializer), never the request body.
  req.log.error({ err: error }, 'unhandled API error');
  res.status(500).json({ error: { code: 'internal', message: 'internal error' } });
};

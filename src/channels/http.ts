// JSON over HTTP for the API providers and the webhook: one place that decides which
// failures are worth retrying (the send activity retries with backoff) and which are not.
import { PermanentProviderError } from './provider';

export interface HttpResult {
  status: number;
  body: unknown;
}

/** Retrying cannot fix a 4xx other than 408 (timeout) and 429 (rate limited). */
export function isPermanent(status: number): boolean {
  return status >= 400 && status < 500 && status !== 408 && status !== 429;
}

export async function postJson(
  provider: string,
  url: string,
  body: unknown,
  headers: Record<string, string>,
  timeoutMs = 15_000,
): Promise<HttpResult> {
  const text = JSON.stringify(body);
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: text,
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    throw new Error(`${provider}: ${url} unreachable: ${(error as Error).message}`);
  }
  const answer = await response.text();
  let parsed: unknown = answer;
  try {
    parsed = answer ? JSON.parse(answer) : null;
  } catch {
    // not JSON: keep the text for the error message
  }
  if (response.ok) return { status: response.status, body: parsed };
  const detail = `${response.status} ${typeof parsed === 'string' ? parsed.slice(0, 200) : JSON.stringify(parsed).slice(0, 200)}`;
  if (isPermanent(response.status)) throw new PermanentProviderError(`rejected: ${detail}`);
  throw new Error(`${provider}: temporary failure: ${detail}`);
}

/** The provider's message id from a JSON answer `{ "messageId": … }` or `{ "id": … }`, else the fallback. */
export function messageIdFrom(body: unknown, fallback: string): string {
  if (body && typeof body === 'object') {
    const { messageId, id } = body as { messageId?: unknown; id?: unknown };
    if (typeof messageId === 'string' || typeof messageId === 'number') return String(messageId);
    if (typeof id === 'string' || typeof id === 'number') return String(id);
  }
  return fallback;
}

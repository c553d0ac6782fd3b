// Tracked links in messages: `<PUBLIC_URL>/r/<token>`, where the token names the message (by
// its idempotency key, known before its row is written) and the destination, signed so that
// the redirect cannot be pointed anywhere else (no open redirect) nor credited to another
// message. Token: base64url(JSON payload) "." base64url(HMAC-SHA256).
//
// The secret is the one that signs opt-out links (UNSUBSCRIBE_SECRET); the purpose is part of
// what is signed, so a token made for one kind of link never verifies as the other.
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface ClickTarget {
  /** The Message row's idempotencyKey. */
  messageKey: string;
  /** Where the click goes: an http or https URL. */
  url: string;
}

const PURPOSE = 'message-click';

const sign = (secret: string, payload: string) => createHmac('sha256', secret).update(`${PURPOSE}.${payload}`).digest('base64url');

function isWebUrl(url: string): boolean {
  try {
    const { protocol } = new URL(url);
    return protocol === 'http:' || protocol === 'https:';
  } catch {
    return false;
  }
}

/** Signs a link to `url` for the message; throws if `url` is not an http(s) URL. */
export function clickToken(secret: string, { messageKey, url }: ClickTarget): string {
  if (!isWebUrl(url)) throw new Error(`only http and https links can be tracked, got "${url}"`);
  if (!messageKey) throw new Error('a tracked link needs the message key');
  const payload = Buffer.from(JSON.stringify({ m: messageKey, u: url })).toString('base64url');
  return `${payload}.${sign(secret, payload)}`;
}

/** The message and destination of a token signed with `secret`, or null if it is not one. */
export function verifyClickToken(secret: string, token: string): ClickTarget | null {
  const [payload, signature, extra] = token.split('.');
  if (!payload || !signature || extra !== undefined) return null;
  const expected = Buffer.from(sign(secret, payload));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
  try {
    const { m, u } = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { m?: unknown; u?: unknown };
    if (typeof m !== 'string' || !m || typeof u !== 'string' || !isWebUrl(u)) return null;
    return { messageKey: m, url: u };
  } catch {
    return null;
  }
}

export function clickUrl(publicUrl: string, token: string): string {
  return `${publicUrl.replace(/\/$/, '')}/r/${token}`;
}

// Tracked links in messages: `<PUBLIC_URL>/r/<token>`, where the token names the message (by
// its idempotency key, known before its row is written) and the destination, signed so that
// the redirect cannot be pointed anywhere else (no open redirect) nor credited to another
// message. Token: base64url(JSON payload) "." base64url(HMAC-SHA256).
//
// The secret is the one that signs opt-out links (UNSUBSCRIBE_SECRET); the purpose is part of
// what is signed, so a token made for one kind of link never verifies as the other.
import { readSignedToken, signToken } from './signed-token';

export interface ClickTarget {
  /** The Message row's idempotencyKey. */
  messageKey: string;
  /** Where the click goes: an http or https URL. */
  url: string;
}

const PURPOSE = 'message-click';

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
  return signToken(secret, { m: messageKey, u: url }, PURPOSE);
}

/** The message and destination of a token signed with `secret`, or null if it is not one. */
export function verifyClickToken(secret: string, token: string): ClickTarget | null {
  const data = readSignedToken(secret, token, PURPOSE);
  if (typeof data?.m !== 'string' || !data.m || typeof data.u !== 'string' || !isWebUrl(data.u)) return null;
  return { messageKey: data.m, url: data.u };
}

export function clickUrl(publicUrl: string, token: string): string {
  return `${publicUrl.replace(/\/$/, '')}/r/${token}`;
}

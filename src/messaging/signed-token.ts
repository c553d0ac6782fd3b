// Signed tokens for public links (opt-out, tracked clicks): base64url(JSON payload) "."
// base64url(HMAC-SHA256). A purpose, when given, is part of what is signed, so a token made
// for one kind of link never verifies as another.
import { createHmac, timingSafeEqual } from 'node:crypto';

const sign = (secret: string, payload: string, purpose?: string) =>
  createHmac('sha256', secret)
    .update(purpose ? `${purpose}.${payload}` : payload)
    .digest('base64url');

export function signToken(secret: string, data: object, purpose?: string): string {
  const payload = Buffer.from(JSON.stringify(data)).toString('base64url');
  return `${payload}.${sign(secret, payload, purpose)}`;
}

/** The signed payload's fields, or null if the token is malformed or not signed with `secret` (and `purpose`). */
export function readSignedToken(secret: string, token: string, purpose?: string): Record<string, unknown> | null {
  const [payload, signature, extra] = token.split('.');
  if (!payload || !signature || extra !== undefined) return null;
  const expected = Buffer.from(sign(secret, payload, purpose));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
  try {
    const data: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    return data !== null && typeof data === 'object' ? (data as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

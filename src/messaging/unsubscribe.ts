// Opt-out links in marketing messages: a signed token naming the customer and the channel,
// so the link works without a login and cannot be forged for someone else.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Channel } from '../config';

const sign = (secret: string, payload: string) => createHmac('sha256', secret).update(payload).digest('base64url');

export function unsubscribeToken(secret: string, customerId: string, channel: Channel): string {
  const payload = Buffer.from(JSON.stringify({ c: customerId, ch: channel })).toString('base64url');
  return `${payload}.${sign(secret, payload)}`;
}

export function verifyUnsubscribeToken(secret: string, token: string): { customerId: string; channel: Channel } | null {
  const [payload, signature, extra] = token.split('.');
  if (!payload || !signature || extra !== undefined) return null;
  const expected = Buffer.from(sign(secret, payload));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
  try {
    const { c, ch } = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { c?: unknown; ch?: unknown };
    if (typeof c !== 'string' || typeof ch !== 'string') return null;
    return { customerId: c, channel: ch as Channel };
  } catch {
    return null;
  }
}

export function unsubscribeUrl(publicUrl: string, token: string): string {
  return `${publicUrl.replace(/\/$/, '')}/unsubscribe/${token}`;
}

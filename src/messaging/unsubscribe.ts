// Opt-out links in marketing messages: a signed token naming the customer and the channel,
// so the link works without a login and cannot be forged for someone else.
import type { Channel } from '../config';
import { readSignedToken, signToken } from './signed-token';

export function unsubscribeToken(secret: string, customerId: string, channel: Channel): string {
  return signToken(secret, { c: customerId, ch: channel });
}

export function verifyUnsubscribeToken(secret: string, token: string): { customerId: string; channel: Channel } | null {
  const data = readSignedToken(secret, token);
  if (typeof data?.c !== 'string' || typeof data.ch !== 'string') return null;
  return { customerId: data.c, channel: data.ch as Channel };
}

export function unsubscribeUrl(publicUrl: string, token: string): string {
  return `${publicUrl.replace(/\/$/, '')}/unsubscribe/${token}`;
}

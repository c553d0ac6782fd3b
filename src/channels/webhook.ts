// Delivers a message to your own system as an HTTP POST, signed so the receiver can trust it:
//   X-CRM-Timestamp: <unix seconds>
//   X-CRM-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>" with WEBHOOK_SECRET>
//   Idempotency-Key: <the message's idempotency key> (the same on every retry)
import { createHmac } from 'node:crypto';
import { messageIdFrom, postJson } from './http';
import type { ChannelProvider, OutgoingMessage, ProviderReceipt } from './provider';

export function webhookSignature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export class WebhookProvider implements ChannelProvider {
  readonly name = 'webhook';

  constructor(private readonly options: { url: string; secret: string; clock?: () => Date }) {}

  async send(message: OutgoingMessage): Promise<ProviderReceipt> {
    const payload = {
      idempotencyKey: message.idempotencyKey,
      channel: message.channel,
      variant: message.variant ?? null,
      purpose: message.purpose,
      template: message.template,
      recipient: message.recipient,
      content: message.content,
    };
    const body = JSON.stringify(payload);
    const timestamp = String(Math.floor((this.options.clock?.() ?? new Date()).getTime() / 1000));
    const result = await postJson(this.name, this.options.url, payload, {
      'idempotency-key': message.idempotencyKey,
      'x-crm-timestamp': timestamp,
      'x-crm-signature': webhookSignature(this.options.secret, timestamp, body),
    });
    return { provider: this.name, providerMessageId: messageIdFrom(result.body, message.idempotencyKey) };
  }
}

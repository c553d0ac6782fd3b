// The default provider for every channel: records the message in the database instead of
// delivering it, so the whole product runs on one machine with no accounts.
import type { Db } from '../db';
import type { ChannelProvider, OutgoingMessage, ProviderReceipt } from './provider';

export class OutboxProvider implements ChannelProvider {
  readonly name = 'outbox';

  constructor(private readonly db: Db) {}

  async send(message: OutgoingMessage): Promise<ProviderReceipt> {
    // Upsert on the idempotency key: a repeated call returns the first entry.
    const entry = await this.db.outboxEntry.upsert({
      where: { idempotencyKey: message.idempotencyKey },
      create: {
        idempotencyKey: message.idempotencyKey,
        channel: message.channel,
        recipient: message.recipient,
        content: message.content,
      },
      update: {},
    });
    return { provider: this.name, providerMessageId: entry.id };
  }
}

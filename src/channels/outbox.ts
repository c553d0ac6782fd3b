// The default provider for every channel: records the message in the database instead of
// delivering it, so the whole product runs on one machine with no accounts.
import type { Db } from '../db';
import type { ChannelProvider, OutgoingMessage, ProviderReceipt } from './provider';

export class OutboxProvider implements ChannelProvider {
  readonly name = 'outbox';

  constructor(private readonly db: Db) {}

  async send(message: OutgoingMessage): Promise<ProviderReceipt> {
    // One entry per idempotency key: a repeated call returns the first entry. In SQL rather than
    // `upsert` with an empty update, which Prisma runs as a transaction of three statements and
    // compiles on every call (CPU the guarded send cannot spare: see activities/messages.ts).
    const [created] = await this.db.$queryRaw<{ id: string }[]>`
      INSERT INTO "OutboxEntry" (id, "idempotencyKey", channel, recipient, content, "createdAt")
      VALUES (gen_random_uuid()::text, ${message.idempotencyKey}, ${message.channel}::"Channel", ${message.recipient}, ${message.content}, ${new Date().toISOString()}::timestamptz)
      ON CONFLICT ("idempotencyKey") DO NOTHING
      RETURNING id`;
    // A repeat: the entry is there (if a concurrent call inserted it, this statement waited for
    // its commit, and the next statement sees it).
    const entry = created ?? (await this.db.$queryRaw<{ id: string }[]>`SELECT id FROM "OutboxEntry" WHERE "idempotencyKey" = ${message.idempotencyKey}`)[0];
    if (!entry) throw new Error(`outbox entry ${message.idempotencyKey} was neither created nor found`);
    return { provider: this.name, providerMessageId: entry.id };
  }
}

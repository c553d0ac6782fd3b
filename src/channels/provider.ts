// One interface for every channel's provider. A provider must be idempotent by
// `idempotencyKey`: the send activity may call it again after a crash or a retry.
import type { Channel } from '../config';

export interface OutgoingMessage {
  idempotencyKey: string;
  channel: Channel;
  purpose: 'marketing' | 'informational';
  /** The template it was rendered from: AlimTalk sends it as the registered template code. */
  template: string | null;
  /** sms | lms, alimtalk | friendtalk, or null: how the channel carries it. */
  variant?: string | null;
  /** Email address, phone number, device token or visitor id, depending on the channel. */
  recipient: string;
  content: string;
}

export interface ProviderReceipt {
  provider: string;
  providerMessageId: string;
}

export interface ChannelProvider {
  readonly name: string;
  send(message: OutgoingMessage): Promise<ProviderReceipt>;
}

/** A failure retrying cannot fix (bad address, rejected content): recorded as `failed` at once. */
export class PermanentProviderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentProviderError';
  }
}

export type ChannelProviders = Partial<Record<Channel, ChannelProvider>> & { default: ChannelProvider };

export function providerFor(providers: ChannelProviders, channel: Channel): ChannelProvider {
  return providers[channel] ?? providers.default;
}

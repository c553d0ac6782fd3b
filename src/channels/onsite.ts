// On-site banners and popups: the message row itself is the queue that
// GET /v1/onsite/:visitorId serves (once, until it expires), so "sending" only confirms it.
import type { ChannelProvider, OutgoingMessage, ProviderReceipt } from './provider';

export class OnsiteQueueProvider implements ChannelProvider {
  readonly name = 'onsite';

  send(message: OutgoingMessage): Promise<ProviderReceipt> {
    return Promise.resolve({ provider: this.name, providerMessageId: message.idempotencyKey });
  }
}

// Browse abandonment — the README's "write your own journey" example (off unless
// BROWSE_ABANDONMENT_DELAY is set): a customer who viewed a product and neither added to
// cart nor ordered within the delay gets one "still interested?" message; an order within
// the window converts.
import type { Channel } from '../src/config';
import { completedOrder, runJourney, type CompletedOrder } from './kit';

export interface BrowseAbandonmentInput {
  customerId: string;
  settings: { delayMs: number; windowMs: number; channels: Channel[] };
}

export async function browseAbandonment({ customerId, settings }: BrowseAbandonmentInput): Promise<string> {
  let product: { productId: string; name?: string } | undefined;
  let carted = false;
  let order: CompletedOrder | undefined;

  return runJourney(
    {
      journey: 'browse-abandonment',
      customerId,
      onEvent(event) {
        if (event.type === 'product_viewed') product = { productId: String(event.properties.productId), name: event.properties.name as string | undefined };
        if (event.type === 'cart_updated') carted = true;
        if (event.type === 'order_completed') order ??= completedOrder(event);
      },
    },
    async (journey) => {
      const deadline = journey.waitsFrom() + settings.delayMs;
      journey.stage('waiting', deadline);
      if (await journey.waitUntil(() => carted || order !== undefined, deadline)) return journey.finish('kept shopping', 'exited');

      const sent = await journey.send('nudge', { template: 'browse-abandonment', purpose: 'marketing', channels: settings.channels, data: { product } });
      if (sent.status !== 'sent') return journey.finish(`${sent.status}: ${sent.reason ?? 'no reason given'}`, sent.status);

      await journey.waitForConversion(() => order !== undefined, settings.windowMs);
      if (!order) return journey.finish('not converted');
      await journey.recordOrderConversion(order, sent.messageId);
      return journey.finish('converted', 'converted');
    },
  );
}

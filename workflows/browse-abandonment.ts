// Browse abandonment — the README's "write your own journey" example (off unless
// BROWSE_ABANDONMENT_DELAY is set): a customer who viewed a product and neither added to
// cart nor ordered within the delay gets one "still interested?" message; an order within
// the window converts.
import { patched } from '@temporalio/workflow';
import type { SendOutcome } from '../activities/messages';
import type { Channel } from '../src/config';
import { completedOrder, CONVERSIONS_FOLLOW_SENDS, happenedAfter, runJourney, type CarriedByKit, type CompletedOrder } from './kit';

type Product = { productId: string; name?: string };

export interface BrowseAbandonmentInput {
  customerId: string;
  settings: { delayMs: number; windowMs: number; channels: Channel[]; historyLimit?: number };
  /** Where the previous run left off (continue-as-new). */
  carried?: CarriedByKit & { product?: Product; waitFrom: number; sent?: SendOutcome; windowEnd?: number };
}

export async function browseAbandonment({ customerId, settings, carried }: BrowseAbandonmentInput): Promise<string> {
  let product: Product | undefined = carried?.product;
  let carted = false;
  let order: CompletedOrder | undefined;
  let sent: SendOutcome | undefined = carried?.sent;
  let windowEnd = carried?.windowEnd;
  let waitFrom = carried?.waitFrom;
  const followsSends = patched(CONVERSIONS_FOLLOW_SENDS);

  return runJourney(
    {
      journey: 'browse-abandonment',
      customerId,
      carriedState: carried,
      historyLimit: settings.historyLimit,
      onEvent(event) {
        if (event.type === 'product_viewed') product = { productId: String(event.properties.productId), name: event.properties.name as string | undefined };
        if (event.type === 'cart_updated') carted = true;
        if (event.type === 'order_completed') {
          // Only an order placed after the message was sent can be its conversion.
          if (followsSends && sent && !happenedAfter(sent, event.occurredAt)) return;
          order ??= completedOrder(event);
        }
      },
      continueAsNew: (kit, fresh): BrowseAbandonmentInput => ({
        customerId,
        settings: (fresh as BrowseAbandonmentInput['settings'] | null) ?? settings,
        carried: { ...kit, product, waitFrom: waitFrom ?? Date.now(), sent, windowEnd },
      }),
    },
    async (journey) => {
      if (!sent) {
        waitFrom ??= journey.waitsFrom();
        const deadline = waitFrom + settings.delayMs;
        journey.stage('waiting', deadline);
        if (await journey.waitUntil(() => carted || order !== undefined, deadline)) return journey.finish('kept shopping', 'exited');

        const nudge = await journey.send(
          'nudge',
          { template: 'browse-abandonment', purpose: 'marketing', channels: settings.channels, data: { product }, conversionWindowMs: settings.windowMs },
          { exitWhen: () => (order ? 'ordered' : carted ? 'added to cart' : undefined) },
        );
        if (nudge.status !== 'sent') return journey.notSent(nudge);
        sent = nudge;
        windowEnd = Date.now() + settings.windowMs;
      }

      journey.stage('waiting-for-conversion', windowEnd);
      await journey.waitUntil(() => order !== undefined, windowEnd ?? Date.now() + settings.windowMs);
      if (!order) return journey.finish('not converted');
      if (!followsSends) {
        await journey.recordOrderConversion(order, sent.messageId);
        return journey.finish('converted', 'converted');
      }
      if (!(await journey.creditOrder(order, sent))) return journey.finish(`not converted: order ${order.orderId} credited to a later touch`);
      return journey.finish('converted', 'converted');
    },
  );
}

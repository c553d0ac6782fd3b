// Upsell / cross-sell (purchase stage): UPSELL_DELAY after an order, recommend what other
// customers bought together with it; an order within UPSELL_WINDOW that the attribution model
// credits to the recommendation is the conversion.
import { patched, sleep } from '@temporalio/workflow';
import type { Channel } from '../src/config';
import { CONVERSIONS_FOLLOW_SENDS, journeyActivities, runJourney } from './kit';

export interface UpsellInput {
  customerId: string;
  orderId: string;
  settings: {
    delayMs: number;
    windowMs: number;
    maxProducts: number;
    channels: Channel[];
  };
}

export async function upsell({ customerId, orderId, settings }: UpsellInput): Promise<string> {
  const followsSends = patched(CONVERSIONS_FOLLOW_SENDS);
  // Later orders are looked up in the database at the end of the window (they belong to other
  // journeys' subjects), so this journey needs no events after its start.
  return runJourney({ journey: 'upsell', customerId, onEvent: () => undefined }, async (journey) => {
    const wakeAt = journey.waitsFrom() + settings.delayMs;
    journey.stage('waiting', wakeAt);
    await sleep(settings.delayMs);

    journey.stage('recommending');
    const products = await journeyActivities.recommendProducts({ customerId, orderId, limit: settings.maxProducts });
    if (products.length === 0) {
      await journey.skip('recommendation', 'no products bought together with this order by other customers');
      return journey.finish('no recommendation', 'no-recommendation');
    }

    journey.stage('sending');
    const sent = await journey.send('recommendation', {
      template: 'upsell',
      purpose: 'marketing',
      channels: settings.channels,
      data: { products },
      conversionWindowMs: settings.windowMs,
    });
    if (sent.status !== 'sent') return journey.notSent(sent);

    const windowStart = sent.sentAt ?? new Date(Date.now()).toISOString();
    await journey.waitForConversion(() => false, settings.windowMs);
    journey.stage('checking-conversion');
    const windowEnd = new Date(Date.now()).toISOString();
    if (followsSends) {
      // Every order in the window is attributed (last touch, once across journeys); converted if one went to this message.
      const credited = await journeyActivities.attributeOrdersBetween({ customerId, after: windowStart, before: windowEnd, messageId: sent.messageId });
      return credited.length ? journey.finish('converted', 'converted') : journey.finish('not converted');
    }
    const order = await journeyActivities.findOrderWithProducts({
      customerId,
      productIds: products.map((p) => p.productId),
      after: windowStart,
      before: windowEnd,
    });
    if (!order) return journey.finish('not converted');
    await journey.recordOrderConversion(order, sent.messageId);
    return journey.finish('converted', 'converted');
  });
}

// Cart reminder (exploration stage): a cart that is not paid within CART_REMINDER_DELAY
// gets one reminder, only for customers with earlier orders; an order within
// CART_REMINDER_WINDOW after the reminder is its conversion.
import type { Channel } from '../src/config';
import type { JourneyEvent } from './definitions';
import { completedOrder, journeyActivities, runJourney, type CompletedOrder } from './kit';

export interface CartItem {
  productId: string;
  name?: string;
  quantity: number;
  /** Unit price as the event carried it (a decimal string once validated by the API). */
  price: number | string;
}

export interface CartReminderInput {
  customerId: string;
  settings: {
    delayMs: number;
    minOrders: number;
    windowMs: number;
    channels: Channel[];
  };
}

export async function cartReminder({ customerId, settings }: CartReminderInput): Promise<string> {
  // The cart's value is for the message only (money is recorded from stored orders): kept as sent.
  let cart: { items: CartItem[]; value: number | string } = { items: [], value: 0 };
  let cartEvent: JourneyEvent | undefined;
  let cartVersion = 0;
  let order: CompletedOrder | undefined;

  const onEvent = (event: JourneyEvent) => {
    if (event.type === 'cart_updated') {
      cart = { items: (event.properties.items as CartItem[]) ?? [], value: (event.properties.value as number | string | undefined) ?? 0 };
      cartEvent = event;
      cartVersion += 1;
    } else if (event.type === 'order_completed' && !order) {
      order = completedOrder(event);
    }
  };

  return runJourney({ journey: 'cart-reminder', customerId, onEvent }, async (journey) => {
    // Wait for the delay; a cart update restarts it, an order ends the journey.
    let deadline = journey.waitsFrom(cartEvent) + settings.delayMs;
    for (;;) {
      journey.stage('waiting', deadline);
      const versionWaitedOn = cartVersion;
      const interrupted = await journey.waitUntil(() => order !== undefined || cartVersion !== versionWaitedOn, deadline);
      if (!interrupted) break;
      if (order) return journey.finish('ordered before reminder', 'exited');
      deadline = journey.waitsFrom(cartEvent) + settings.delayMs;
    }

    journey.stage('checking-eligibility');
    const earlierOrders = await journeyActivities.countOrders({ customerId, before: new Date(Date.now()).toISOString() });
    if (earlierOrders < settings.minOrders) {
      return journey.finish(`ineligible: ${earlierOrders} earlier orders, needs ${settings.minOrders}`, 'ineligible');
    }

    journey.stage('sending');
    const sent = await journey.send('reminder', { template: 'cart-reminder', purpose: 'marketing', channels: settings.channels, data: { cart } });
    if (sent.status !== 'sent') return journey.finish(`${sent.status}: ${sent.reason ?? 'no reason given'}`, sent.status);

    if (!(await journey.waitForConversion(() => order !== undefined, settings.windowMs)) || !order) {
      return journey.finish('not converted');
    }
    await journey.recordOrderConversion(order, sent.messageId);
    return journey.finish('converted', 'converted');
  });
}

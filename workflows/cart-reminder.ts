// Cart reminder (exploration stage): a cart that is not paid within CART_REMINDER_DELAY
// gets one reminder, only for customers with earlier orders; an order within
// CART_REMINDER_WINDOW after the reminder is its conversion. An order or an emptied cart
// ends it, also while the reminder is held for quiet hours.
import { patched } from '@temporalio/workflow';
import type { SendOutcome } from '../activities/messages';
import type { Channel } from '../src/config';
import type { JourneyEvent } from './definitions';
import { completedOrder, CONVERSIONS_FOLLOW_SENDS, happenedAfter, journeyActivities, journeyLookups, LOOKUPS_ARE_LOCAL, runJourney, type CarriedByKit, type CompletedOrder } from './kit';

export interface CartItem {
  productId: string;
  name?: string;
  quantity: number;
  /** Unit price as the event carried it (a decimal string once validated by the API). */
  price: number | string;
}

type Cart = { items: CartItem[]; value: number | string };

/** patched() id: an emptied cart (no items) ends the journey instead of restarting the wait. */
export const CART_EMPTIED_EXITS = 'cart-emptied-exits';

export interface CartReminderInput {
  customerId: string;
  settings: {
    delayMs: number;
    minOrders: number;
    windowMs: number;
    channels: Channel[];
    /** Continue as new past this many history events (tests lower it). */
    historyLimit?: number;
  };
  /** Where the previous run left off (continue-as-new). */
  carried?: CarriedByKit & { cart: Cart; cartEvent?: JourneyEvent; sent?: SendOutcome; windowEnd?: number };
}

export async function cartReminder({ customerId, settings, carried }: CartReminderInput): Promise<string> {
  // The cart's value is for the message only (money is recorded from stored orders): kept as sent.
  let cart: Cart = carried?.cart ?? { items: [], value: 0 };
  let cartEvent: JourneyEvent | undefined = carried?.cartEvent;
  let cartVersion = 0;
  let order: CompletedOrder | undefined;
  let sent: SendOutcome | undefined = carried?.sent;
  let windowEnd = carried?.windowEnd;
  const followsSends = patched(CONVERSIONS_FOLLOW_SENDS);
  const emptiedExits = patched(CART_EMPTIED_EXITS);

  const onEvent = (event: JourneyEvent) => {
    if (event.type === 'cart_updated') {
      // After the reminder went out, the cart no longer changes anything.
      if (followsSends && sent) return;
      cart = { items: (event.properties.items as CartItem[]) ?? [], value: (event.properties.value as number | string | undefined) ?? 0 };
      cartEvent = event;
      cartVersion += 1;
    } else if (event.type === 'order_completed' && !order) {
      // Only an order placed after the reminder was sent can be its conversion.
      if (followsSends && sent && !happenedAfter(sent, event.occurredAt)) return;
      order = completedOrder(event);
    }
  };
  const emptied = () => emptiedExits && cart.items.length === 0;
  const exit = () => (order ? 'ordered' : cartEvent && emptied() ? 'cart emptied' : undefined);

  return runJourney(
    {
      journey: 'cart-reminder',
      customerId,
      onEvent,
      carriedState: carried,
      historyLimit: settings.historyLimit,
      continueAsNew: (kit, fresh): CartReminderInput => ({
        customerId,
        settings: (fresh as CartReminderInput['settings'] | null) ?? settings,
        carried: { ...kit, cart, cartEvent, sent, windowEnd },
      }),
    },
    async (journey) => {
      if (!sent) {
        // Wait for the delay; a cart update restarts it, an order or an emptied cart ends the journey.
        let deadline = journey.waitsFrom(cartEvent) + settings.delayMs;
        for (;;) {
          if (cartEvent && emptied()) return journey.finish('exited: cart emptied', 'exited');
          journey.stage('waiting', deadline);
          const versionWaitedOn = cartVersion;
          const interrupted = await journey.waitUntil(() => order !== undefined || cartVersion !== versionWaitedOn, deadline);
          if (!interrupted) break;
          if (order) return journey.finish('ordered before reminder', 'exited');
          deadline = journey.waitsFrom(cartEvent) + settings.delayMs;
        }

        journey.stage('checking-eligibility');
        const lookups = patched(LOOKUPS_ARE_LOCAL) ? journeyLookups : journeyActivities;
        const earlierOrders = await lookups.countOrders({ customerId, before: new Date(Date.now()).toISOString() });
        if (earlierOrders < settings.minOrders) {
          return journey.finish(`ineligible: ${earlierOrders} earlier orders, needs ${settings.minOrders}`, 'ineligible');
        }

        journey.stage('sending');
        const reminder = await journey.send(
          'reminder',
          { template: 'cart-reminder', purpose: 'marketing', channels: settings.channels, data: { cart }, conversionWindowMs: settings.windowMs },
          { exitWhen: exit },
        );
        if (reminder.status !== 'sent') return journey.notSent(reminder);
        sent = reminder;
        windowEnd = Date.now() + settings.windowMs;
      }

      journey.stage('waiting-for-conversion', windowEnd);
      if (!(await journey.waitUntil(() => order !== undefined, windowEnd ?? Date.now() + settings.windowMs)) || !order) {
        return journey.finish('not converted');
      }
      if (!followsSends) {
        await journey.recordOrderConversion(order, sent.messageId);
        return journey.finish('converted', 'converted');
      }
      // One attribution model: the order may have a later (or clicked) message from another journey.
      if (!(await journey.creditOrder(order, sent))) return journey.finish(`not converted: order ${order.orderId} credited to a later touch`);
      return journey.finish('converted', 'converted');
    },
  );
}

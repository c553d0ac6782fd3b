// The kit holds a send during quiet hours with a workflow timer (not a sleeping activity)
// and sends when the activity says the time has come.
import { describe, expect, it } from 'vitest';
import type { SendOutcome } from '../../activities/messages';
import type { cartReminder, CartReminderInput } from '../../workflows/cart-reminder';
import { journeyStageKey, stateQuery, type JourneyEvent } from '../../workflows/definitions';
import { DAY, fakeActivities, HOUR } from '../helpers/fake-activities';
import { runJourneyTest } from '../helpers/workflow-env';
import { useTimeSkipping } from '../helpers/use-time-skipping';

const ts = useTimeSkipping();

describe('quiet hours in a journey', () => {
  it('holds the reminder until 08:00, then sends it, recorded as held then sent', async () => {
    const { activities, calls } = fakeActivities(ts.env);
    let heldUntil = 0;
    // The real activity decides from the customer's time zone; here the first answer is "held for 9 hours".
    activities.sendMessage = async (request) => {
      const now = await ts.env.currentTimeMs();
      calls.sends.push({ request, atMs: now });
      if (heldUntil === 0) heldUntil = now + 9 * HOUR;
      const held = now < heldUntil;
      const outcome: SendOutcome = held
        ? { messageId: 'm-1', status: 'held', channel: 'kakao', reason: 'quiet hours in Asia/Seoul', heldUntil: new Date(heldUntil).toISOString() }
        : { messageId: 'm-1', status: 'sent', channel: 'kakao', reason: null, heldUntil: new Date(heldUntil).toISOString() };
      return outcome;
    };
    const settings: CartReminderInput['settings'] = { delayMs: DAY, minOrders: 1, windowMs: 3 * DAY, channels: ['kakao'] };
    const cart: JourneyEvent = { id: 'qh-cart', type: 'cart_updated', customerId: 'c-qh', occurredAt: '2026-11-23T13:00:00Z', properties: { items: [{ productId: 'p-1', quantity: 1, price: '25000' }], value: '25000' } };
    await runJourneyTest<typeof cartReminder>(
      ts.env,
      ts.workflowBundle,
      { workflowType: 'cartReminder', workflowId: 'cart-reminder:c-qh', taskQueue: 'quiet-hours-test', args: [{ customerId: 'c-qh', settings }], firstEvent: cart, activities },
      async (handle) => {
        await ts.env.sleep(DAY + HOUR);
        expect(calls.sends).toHaveLength(1);
        const held = await handle.query(stateQuery);
        expect(held).toMatchObject({ stage: 'held', messagesSent: 0, nextWakeAt: new Date(heldUntil).toISOString() });
        expect((await handle.describe()).typedSearchAttributes.get(journeyStageKey)).toBe('held');

        await ts.env.sleep(9 * HOUR);
        expect(calls.sends).toHaveLength(2);
        expect(calls.sends[1].atMs).toBeGreaterThanOrEqual(heldUntil);
        expect(calls.sends[1].request.idempotencyKey).toBe(calls.sends[0].request.idempotencyKey);
        expect(await handle.query(stateQuery)).toMatchObject({ stage: 'waiting-for-conversion', messagesSent: 1 });
        await handle.terminate('test done');
      },
    );
  });
});

// The journey runs whose histories are kept for replay tests. Each covers a journey's main
// path; add one per journey (and per important branch).
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { CartReminderInput } from '../../workflows/cart-reminder';
import { journeyEventSignal } from '../../workflows/definitions';

const HOUR = 3_600_000;
const cartSettings: CartReminderInput['settings'] = { delayMs: 24 * HOUR, minOrders: 1, windowMs: 72 * HOUR, channels: ['kakao', 'sms', 'email'] };

export interface HistoryScenario {
  name: string;
  activities: object;
  run(env: TestWorkflowEnvironment, taskQueue: string): Promise<WorkflowHandle>;
}

const cartEvent = (id: string, customerId: string) => ({
  id,
  type: 'cart_updated',
  customerId,
  occurredAt: '2026-11-01T09:00:00.000Z',
  properties: { items: [{ productId: 'p-1', name: 'Linen shirt', quantity: 2, price: 25_000 }], value: 50_000 },
});

const sentActivities = {
  countOrders: () => Promise.resolve(2),
  sendMessage: () => Promise.resolve({ messageId: 'm-1', status: 'sent', channel: 'kakao', reason: null }),
  recordConversion: () => Promise.resolve({ conversionId: 'conv-1' }),
};

export const historyScenarios: HistoryScenario[] = [
  {
    // cart update restarts the wait, reminder sent, order inside the window converts
    name: 'cart-reminder-converted',
    activities: sentActivities,
    async run(env, taskQueue) {
      const handle = await env.client.workflow.signalWithStart('cartReminder', {
        workflowId: 'cart-reminder:c-replay-1',
        taskQueue,
        args: [{ customerId: 'c-replay-1', settings: cartSettings } satisfies CartReminderInput],
        signal: journeyEventSignal,
        signalArgs: [cartEvent('e-1', 'c-replay-1')],
      });
      await env.sleep(10 * HOUR);
      await handle.signal(journeyEventSignal, cartEvent('e-2', 'c-replay-1'));
      await env.sleep(36 * HOUR);
      await handle.signal(journeyEventSignal, {
        id: 'e-3',
        type: 'order_completed',
        customerId: 'c-replay-1',
        occurredAt: '2026-11-03T09:00:00.000Z',
        properties: { orderId: 'o-9', total: 50_000, currency: 'KRW', items: [] },
      });
      return handle;
    },
  },
  {
    // order arrives before the reminder: the journey exits without sending
    name: 'cart-reminder-exited',
    activities: sentActivities,
    async run(env, taskQueue) {
      const handle = await env.client.workflow.signalWithStart('cartReminder', {
        workflowId: 'cart-reminder:c-replay-2',
        taskQueue,
        args: [{ customerId: 'c-replay-2', settings: cartSettings } satisfies CartReminderInput],
        signal: journeyEventSignal,
        signalArgs: [cartEvent('e-4', 'c-replay-2')],
      });
      await env.sleep(5 * HOUR);
      await handle.signal(journeyEventSignal, {
        id: 'e-5',
        type: 'order_completed',
        customerId: 'c-replay-2',
        occurredAt: '2026-11-01T14:00:00.000Z',
        properties: { orderId: 'o-10', total: 50_000, currency: 'KRW', items: [] },
      });
      return handle;
    },
  },
  {
    // no consent anywhere: a suppressed send ends the journey
    name: 'cart-reminder-suppressed',
    activities: {
      ...sentActivities,
      sendMessage: () => Promise.resolve({ messageId: 'm-2', status: 'suppressed', channel: null, reason: 'kakao: no marketing consent' }),
    },
    async run(env, taskQueue) {
      return env.client.workflow.signalWithStart('cartReminder', {
        workflowId: 'cart-reminder:c-replay-3',
        taskQueue,
        args: [{ customerId: 'c-replay-3', settings: cartSettings } satisfies CartReminderInput],
        signal: journeyEventSignal,
        signalArgs: [cartEvent('e-6', 'c-replay-3')],
      });
    },
  },
];

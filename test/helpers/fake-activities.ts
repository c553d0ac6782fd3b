// Recording fakes for journey activities in time-skipping workflow tests.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { createActivities } from '../../activities';
import type { ConversionRequest } from '../../activities/conversions';
import type { SendOutcome, SendRequest, SkipRequest } from '../../activities/messages';
import type { RecommendedProduct } from '../../activities/recommendations';

type Activities = ReturnType<typeof createActivities>;

export interface FakeOptions {
  earlierOrders?: number;
  /** Outcome status per step (default `sent`). */
  sendStatus?: (request: SendRequest) => SendOutcome['status'];
  recommendations?: RecommendedProduct[];
  orderWithProducts?: Awaited<ReturnType<Activities['findOrderWithProducts']>>;
  /** The customer's last-seen time as ingest keeps it (the dormancy watcher reads it); default: never seen. */
  lastSeen?: () => string | null;
  /** The first order in a window (the dormancy win-back). */
  orderBetween?: (input: { after: string; before: string }) => Awaited<ReturnType<Activities['firstOrderBetween']>>;
}

export function fakeActivities(env: TestWorkflowEnvironment, options: FakeOptions = {}) {
  const calls = {
    countOrders: [] as { customerId: string; before: string }[],
    sends: [] as { request: SendRequest; atMs: number }[],
    skips: [] as SkipRequest[],
    conversions: [] as ConversionRequest[],
    recommendProducts: [] as { customerId: string; orderId: string; limit: number }[],
    findOrderWithProducts: [] as { customerId: string; productIds: string[]; after: string; before: string }[],
    setDormant: [] as { customerId: string; dormant: boolean; at: string; atMs: number }[],
    lastSeen: [] as { customerId: string; atMs: number }[],
    firstOrderBetween: [] as { customerId: string; after: string; before: string }[],
  };
  const activities: Activities = {
    countOrders(input) {
      calls.countOrders.push(input);
      return Promise.resolve(options.earlierOrders ?? 1);
    },
    async sendMessage(request) {
      calls.sends.push({ request, atMs: await env.currentTimeMs() });
      const status = options.sendStatus?.(request) ?? 'sent';
      return {
        messageId: `m-${calls.sends.length}`,
        status,
        channel: status === 'sent' ? request.channels[0] : null,
        reason: status === 'sent' ? null : `${request.channels.join(', ')}: no ${request.purpose} consent`,
      };
    },
    recordSkippedMessage(request) {
      calls.skips.push(request);
      return Promise.resolve({ messageId: `skip-${calls.skips.length}`, status: 'suppressed', channel: null, reason: request.reason });
    },
    recordConversion(request) {
      calls.conversions.push(request);
      return Promise.resolve({ conversionId: `conv-${calls.conversions.length}`, attributedTo: request.workflowId });
    },
    recommendProducts(input) {
      calls.recommendProducts.push(input);
      return Promise.resolve(options.recommendations ?? []);
    },
    findOrderWithProducts(input) {
      calls.findOrderWithProducts.push(input);
      return Promise.resolve(options.orderWithProducts ?? null);
    },
    async setDormant(input) {
      calls.setDormant.push({ ...input, atMs: await env.currentTimeMs() });
    },
    async lastSeen(input) {
      calls.lastSeen.push({ ...input, atMs: await env.currentTimeMs() });
      return options.lastSeen?.() ?? null;
    },
    firstOrderBetween(input) {
      calls.firstOrderBetween.push(input);
      return Promise.resolve(options.orderBetween?.(input) ?? null);
    },
  };
  return { activities, calls };
}

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

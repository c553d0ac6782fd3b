// Recording fakes for journey activities in time-skipping workflow tests.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { createActivities } from '../../activities';
import type { MarketingConsent } from '../../activities/consents';
import type { ConversionRequest } from '../../activities/conversions';
import type { SendOutcome, SendRequest, SkipRequest } from '../../activities/messages';
import type { RecommendedProduct } from '../../activities/recommendations';

// RFM scoring and campaigns are not journeys: their activities are tested on their own.
type Activities = Omit<
  ReturnType<typeof createActivities>,
  'scoreRfm' | 'applyRfmBatch' | 'finishRfm' | 'setCampaignStatus' | 'snapshotCampaign' | 'sendCampaignPage' | 'resendHeldCampaignMessages' | 'cancelHeldCampaignMessages' | 'attributeCampaignOrders'
>;

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
  /** The customer's marketing consents that stand (consent re-confirmation); default none. */
  marketingConsents?: () => MarketingConsent[];
  /** Who an order is credited to (default: the message of the journey's last send). */
  attribution?: (orderId: string) => { messageId: string; journey: string } | null;
  /** Orders in a window credited to the message (upsell, win-back); default none. */
  creditedBetween?: (input: { after: string; before: string; messageId: string }) => string[];
  /** Makes a send's activity fail (as if attempts were exhausted) for these steps. */
  failSend?: (request: SendRequest) => string | undefined;
  /** What `journeySettings` answers at continue-as-new (default null: keep the run's own). */
  settings?: () => unknown;
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
    marketingConsents: [] as { customerId: string; atMs: number }[],
    attributeOrder: [] as { orderId: string }[],
    attributeOrdersBetween: [] as { customerId: string; after: string; before: string; messageId: string }[],
    cancelHeldMessage: [] as { idempotencyKey: string; reason: string }[],
    recordFailedMessage: [] as SkipRequest[],
    journeySettings: [] as { journey: string }[],
    /** The workflow run that read the settings, per `journeySettings` call. */
    settingsReadBy: [] as string[],
  };
  let lastSentMessageId: string | undefined;
  const activities: Activities = {
    countOrders(input) {
      calls.countOrders.push(input);
      return Promise.resolve(options.earlierOrders ?? 1);
    },
    async sendMessage(request) {
      const atMs = await env.currentTimeMs();
      calls.sends.push({ request, atMs });
      const failure = options.failSend?.(request);
      if (failure) throw ApplicationFailure.nonRetryable(failure);
      const status = options.sendStatus?.(request) ?? 'sent';
      const messageId = `m-${calls.sends.length}`;
      if (status === 'sent') lastSentMessageId = messageId;
      return {
        messageId,
        status,
        channel: status === 'sent' ? request.channels[0] : null,
        reason: status === 'sent' ? null : `${request.channels.join(', ')}: no ${request.purpose} consent`,
        heldUntil: status === 'held' ? new Date(atMs + 8 * HOUR).toISOString() : null,
        sentAt: status === 'sent' ? new Date(atMs).toISOString() : null,
      };
    },
    attributeOrder(input) {
      calls.attributeOrder.push(input);
      const credited = options.attribution ? options.attribution(input.orderId) : lastSentMessageId ? { messageId: lastSentMessageId, journey: 'journey' } : null;
      return Promise.resolve(credited ? { conversionId: `conv-${input.orderId}`, workflowId: 'wf', ...credited } : null);
    },
    attributeOrdersBetween(input) {
      calls.attributeOrdersBetween.push(input);
      const orderIds = options.creditedBetween?.(input) ?? [];
      return Promise.resolve(orderIds.map((orderId) => ({ orderId, conversionId: `conv-${orderId}`, messageId: input.messageId, journey: 'journey', workflowId: 'wf' })));
    },
    cancelHeldMessage(input) {
      calls.cancelHeldMessage.push(input);
      return Promise.resolve({ messageId: `m-${calls.sends.length}`, status: 'cancelled', channel: null, reason: input.reason, heldUntil: null, sentAt: null });
    },
    recordFailedMessage(request) {
      calls.recordFailedMessage.push(request);
      return Promise.resolve({ messageId: `m-${calls.sends.length}`, status: 'failed', channel: null, reason: request.reason, heldUntil: null, sentAt: null });
    },
    journeySettings(input) {
      calls.journeySettings.push(input);
      calls.settingsReadBy.push(Context.current().info.workflowExecution?.runId ?? '');
      return Promise.resolve(options.settings?.() ?? null);
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
    async marketingConsents(input) {
      calls.marketingConsents.push({ ...input, atMs: await env.currentTimeMs() });
      return { sender: 'crm-journeys', consents: options.marketingConsents?.() ?? [] };
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

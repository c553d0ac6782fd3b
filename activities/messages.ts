// The guarded send: consent, channel choice, rendering, delivery and a recorded outcome,
// exactly once per idempotency key however often the activity is retried.
import { activityInfo } from '@temporalio/activity';
import type { ActivityDeps } from '.';
import { PermanentProviderError, providerFor } from '../src/channels/provider';
import type { Channel } from '../src/config';
import type { Customer, Consent, Message } from '../src/generated/prisma/client';
import { parseJsonObject } from '../src/db';
import { renderTemplate } from '../src/messaging/templates';

export type MessagePurpose = 'marketing' | 'informational';
export type MessageStatus = 'pending' | 'sent' | 'held' | 'suppressed' | 'failed';

/** Which journey step a message belongs to and whom it is for. */
export interface MessageAddress {
  /** `<workflowId>/<firstRunId>/<step>`: a retry finds the first attempt's message. */
  idempotencyKey: string;
  /** The customer to message; or, for on-site messages only, an anonymous `visitorId`. */
  customerId?: string;
  visitorId?: string;
  journey: string;
  workflowId: string;
  step: string;
  purpose: MessagePurpose;
}

export interface SendRequest extends MessageAddress {
  template: string;
  /** In order of preference: the first one the customer can be reached on is used. */
  channels: Channel[];
  data: Record<string, unknown>;
  /** On-site messages: how long the banner or popup may still be shown. */
  expiresInMs?: number;
}

export interface SkipRequest extends MessageAddress {
  reason: string;
}

export interface SendOutcome {
  messageId: string;
  status: MessageStatus;
  channel: Channel | null;
  reason: string | null;
}

type CustomerWithConsents = Customer & { consents: Consent[] };

/** The customer's address on a channel, or why there is none. */
export function recipientOn(customer: CustomerWithConsents, channel: Channel): { recipient?: string; missing?: string } {
  switch (channel) {
    case 'email':
      return customer.email ? { recipient: customer.email } : { missing: 'no email address' };
    case 'sms':
    case 'kakao':
      return customer.phone ? { recipient: customer.phone } : { missing: 'no phone number' };
    case 'push': {
      const token = parseJsonObject(customer.attributes).pushToken;
      return typeof token === 'string' && token ? { recipient: token } : { missing: 'no push token' };
    }
    case 'onsite':
      return { recipient: customer.id };
  }
}

/** The first channel with consent for the purpose and an address; otherwise every reason. */
export function chooseChannel(
  customer: CustomerWithConsents,
  channels: Channel[],
  purpose: MessagePurpose,
): { channel: Channel; recipient: string } | { reasons: string[] } {
  const reasons: string[] = [];
  for (const channel of channels) {
    const consent = customer.consents.find((c) => c.channel === channel && c.purpose === purpose);
    if (!consent?.granted) {
      reasons.push(`${channel}: no ${purpose} consent`);
      continue;
    }
    const { recipient, missing } = recipientOn(customer, channel);
    if (!recipient) {
      reasons.push(`${channel}: ${missing}`);
      continue;
    }
    return { channel, recipient };
  }
  return { reasons };
}

export function createMessageActivities({ db, providers }: ActivityDeps) {
  const outcomeOf = (message: Message): SendOutcome => ({
    messageId: message.id,
    status: message.status as MessageStatus,
    channel: (message.channel as Channel | null) ?? null,
    reason: message.reason,
  });

  /** Writes a final outcome for the key. */
  const record = async (
    request: MessageAddress,
    fields: { status: MessageStatus; reason: string; channel?: Channel; content?: string },
  ) =>
    outcomeOf(
      await db.message.upsert({
        where: { idempotencyKey: request.idempotencyKey },
        create: {
          idempotencyKey: request.idempotencyKey,
          customerId: request.customerId ?? null,
          visitorId: request.visitorId ?? null,
          journey: request.journey,
          workflowId: request.workflowId,
          step: request.step,
          purpose: request.purpose,
          channel: fields.channel ?? null,
          content: fields.content ?? '',
          status: fields.status,
          reason: fields.reason,
        },
        update: { status: fields.status, reason: fields.reason },
      }),
    );

  /** Who receives the message, on which channel, with which template variables; or why nobody. */
  const resolveTarget = async (
    request: SendRequest,
  ): Promise<{ channel: Channel; recipient: string; locale: string | null; variables: object } | { reason: string }> => {
    if (request.customerId) {
      const customer = await db.customer.findUnique({ where: { id: request.customerId }, include: { consents: true } });
      if (!customer) return { reason: 'unknown customer' };
      const choice = chooseChannel(customer, request.channels, request.purpose);
      if ('reasons' in choice) return { reason: choice.reasons.join('; ') };
      return {
        ...choice,
        locale: customer.locale,
        variables: { customer: { id: customer.id, name: customer.name, email: customer.email, locale: customer.locale } },
      };
    }
    // An anonymous visitor has no profile, so no consents: only on-site messages, shown on
    // our own pages while they browse, can reach them.
    if (request.visitorId && request.channels.includes('onsite')) {
      return { channel: 'onsite', recipient: request.visitorId, locale: null, variables: { customer: { id: null, name: null, email: null, locale: null } } };
    }
    return { reason: request.visitorId ? 'anonymous visitors can only get on-site messages' : 'no customer or visitor to message' };
  };

  return {
    /** Records that a journey step sends nothing, and why. */
    async recordSkippedMessage(request: SkipRequest): Promise<SendOutcome> {
      const existing = await db.message.findUnique({ where: { idempotencyKey: request.idempotencyKey } });
      if (existing) return outcomeOf(existing);
      return record(request, { status: 'suppressed', reason: request.reason });
    },

    async sendMessage(request: SendRequest): Promise<SendOutcome> {
      let message = await db.message.findUnique({ where: { idempotencyKey: request.idempotencyKey } });
      if (message && message.status !== 'pending') return outcomeOf(message);

      if (!message) {
        const target = await resolveTarget(request);
        if ('reason' in target) return record(request, { status: 'suppressed', reason: target.reason });
        const content = await renderTemplate(request.template, target.locale, { ...target.variables, ...request.data });
        // Written before the provider is called: a retry after a crash resumes this message
        // (same channel, same content) instead of choosing again.
        message = await db.message.create({
          data: {
            idempotencyKey: request.idempotencyKey,
            customerId: request.customerId ?? null,
            visitorId: request.visitorId ?? null,
            journey: request.journey,
            workflowId: request.workflowId,
            step: request.step,
            purpose: request.purpose,
            channel: target.channel,
            recipient: target.recipient,
            content,
            status: 'pending',
            expiresAt: request.expiresInMs ? new Date(Date.now() + request.expiresInMs) : null,
          },
        });
      }

      const channel = message.channel as Channel;
      const provider = providerFor(providers, channel);
      let receipt;
      try {
        receipt = await provider.send({
          idempotencyKey: request.idempotencyKey,
          channel,
          recipient: message.recipient ?? '',
          content: message.content,
        });
      } catch (error) {
        const info = activityInfo();
        const lastAttempt = info.retryPolicy?.maximumAttempts !== undefined && info.attempt >= info.retryPolicy.maximumAttempts;
        if (error instanceof PermanentProviderError || lastAttempt) {
          return record(request, { status: 'failed', reason: `${provider.name}: ${(error as Error).message}` });
        }
        throw error;
      }
      return outcomeOf(
        await db.message.update({
          where: { id: message.id },
          data: {
            status: 'sent',
            reason: null,
            provider: receipt.provider,
            providerMessageId: receipt.providerMessageId,
            sentAt: new Date(),
          },
        }),
      );
    },
  };
}

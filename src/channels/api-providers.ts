// HTTP-API providers for SMS/LMS, KakaoTalk (AlimTalk / FriendTalk) and app push. Each posts
// JSON with `Authorization: Bearer <key>` and the message's `Idempotency-Key`; the request
// shapes below are what the stub servers in test/providers check.
import { messageIdFrom, postJson } from './http';
import type { ChannelProvider, OutgoingMessage, ProviderReceipt } from './provider';

interface ApiOptions {
  url: string;
  apiKey: string;
}

const headers = (apiKey: string, message: OutgoingMessage) => ({ authorization: `Bearer ${apiKey}`, 'idempotency-key': message.idempotencyKey });
const endpoint = (base: string, path: string) => `${base.replace(/\/$/, '')}${path}`;

/** POST /messages { type: "SMS" | "LMS", from, to, text, subject? } */
export class SmsApiProvider implements ChannelProvider {
  readonly name = 'sms-api';
  constructor(private readonly options: ApiOptions & { sender: string }) {}

  async send(message: OutgoingMessage): Promise<ProviderReceipt> {
    const lms = message.variant === 'lms';
    const body = {
      type: lms ? 'LMS' : 'SMS',
      from: this.options.sender,
      to: message.recipient,
      text: message.content,
      ...(lms ? { subject: message.content.split('\n')[0].slice(0, 40) } : {}),
    };
    const result = await postJson(this.name, endpoint(this.options.url, '/messages'), body, headers(this.options.apiKey, message));
    return { provider: this.name, providerMessageId: messageIdFrom(result.body, message.idempotencyKey) };
  }
}

/**
 * AlimTalk (informational, a pre-approved template): POST /alimtalk { senderKey, templateCode, to, text }.
 * FriendTalk (marketing, friends of the channel only): POST /friendtalk { senderKey, to, text, adFlag: "Y" }.
 */
export class KakaoApiProvider implements ChannelProvider {
  readonly name = 'kakao-api';
  constructor(private readonly options: ApiOptions & { senderKey: string }) {}

  async send(message: OutgoingMessage): Promise<ProviderReceipt> {
    const friendTalk = message.variant === 'friendtalk';
    const body = friendTalk
      ? { senderKey: this.options.senderKey, to: message.recipient, text: message.content, adFlag: 'Y' }
      : { senderKey: this.options.senderKey, templateCode: message.template, to: message.recipient, text: message.content };
    const result = await postJson(this.name, endpoint(this.options.url, friendTalk ? '/friendtalk' : '/alimtalk'), body, headers(this.options.apiKey, message));
    return { provider: this.name, providerMessageId: messageIdFrom(result.body, message.idempotencyKey) };
  }
}

/** POST /push { token, title, body } — the title is the first line. */
export class PushApiProvider implements ChannelProvider {
  readonly name = 'push-api';
  constructor(private readonly options: ApiOptions) {}

  async send(message: OutgoingMessage): Promise<ProviderReceipt> {
    const [title, ...rest] = message.content.split('\n');
    const body = { token: message.recipient, title, body: rest.join('\n').trim() || title };
    const result = await postJson(this.name, endpoint(this.options.url, '/push'), body, headers(this.options.apiKey, message));
    return { provider: this.name, providerMessageId: messageIdFrom(result.body, message.idempotencyKey) };
  }
}

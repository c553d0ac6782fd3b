// Each provider against a local server that speaks its protocol: an HTTP stub that records
// and checks requests, and a real SMTP server (smtp-server) that parses the mail.
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { KakaoApiProvider, PushApiProvider, SmsApiProvider } from '../../src/channels/api-providers';
import { providersFromConfig } from '../../src/channels';
import { PermanentProviderError, type OutgoingMessage } from '../../src/channels/provider';
import { SmtpProvider } from '../../src/channels/smtp';
import { WebhookProvider, webhookSignature } from '../../src/channels/webhook';
import { ConfigError, loadConfig } from '../../src/config';
import type { Db } from '../../src/db';

interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  raw: string;
  body: Record<string, unknown>;
}

const received: Received[] = [];
let reply: { status: number; body: unknown } = { status: 200, body: { messageId: 'prov-1' } };
let base: string;
const stub = http.createServer((req, res) => {
  let raw = '';
  req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
  req.on('end', () => {
    received.push({ path: req.url ?? '', headers: req.headers, raw, body: JSON.parse(raw) as Record<string, unknown> });
    res.writeHead(reply.status, { 'content-type': 'application/json' }).end(JSON.stringify(reply.body));
  });
});

const mails: ParsedMail[] = [];
let rejectRecipients = false;
const smtp = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  logger: false,
  onRcptTo(_address, _session, callback) {
    callback(rejectRecipients ? Object.assign(new Error('mailbox unavailable'), { responseCode: 550 }) : undefined);
  },
  onData(stream, _session, callback) {
    simpleParser(stream)
      .then((mail) => {
        mails.push(mail);
        callback();
      })
      .catch(callback);
  },
});
let smtpPort: number;

beforeAll(async () => {
  await new Promise<void>((resolve) => stub.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(stub.address() as AddressInfo).port}`;
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  smtpPort = (smtp.server.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise((resolve) => stub.close(resolve));
  await new Promise((resolve) => smtp.close(() => resolve(undefined)));
});
beforeEach(() => {
  received.length = 0;
  mails.length = 0;
  reply = { status: 200, body: { messageId: 'prov-1' } };
  rejectRecipients = false;
});

const message = (fields: Partial<OutgoingMessage> = {}): OutgoingMessage => ({
  idempotencyKey: 'cart-reminder:c-1/run-1/reminder',
  channel: 'sms',
  purpose: 'marketing',
  template: 'cart-reminder',
  variant: 'sms',
  recipient: '+821012345678',
  content: '(광고) 장바구니를 확인해 보세요\n\n보낸 곳: Seoul Shop\n무료 수신거부: https://crm.example.com/unsubscribe/t',
  ...fields,
});

describe('webhook provider', () => {
  const secret = 'whsec-0123456789abcdef';
  const unreachableHook = new WebhookProvider({ url: 'http://127.0.0.1:1/never', secret });

  it('posts the message signed with HMAC-SHA256 over timestamp and body, with the idempotency key', async () => {
    const webhook = new WebhookProvider({ url: `${base}/hooks/crm`, secret, clock: () => new Date('2026-11-23T00:00:00Z') });
    expect(await webhook.send(message())).toEqual({ provider: 'webhook', providerMessageId: 'prov-1' });
    const [request] = received;
    expect(request.path).toBe('/hooks/crm');
    expect(request.headers['idempotency-key']).toBe('cart-reminder:c-1/run-1/reminder');
    expect(request.headers['x-crm-timestamp']).toBe(String(Date.parse('2026-11-23T00:00:00Z') / 1000));
    expect(request.headers['x-crm-signature']).toBe(webhookSignature(secret, request.headers['x-crm-timestamp'] as string, request.raw));
    expect(request.headers['x-crm-signature']).not.toBe(webhookSignature('another-secret-123456', request.headers['x-crm-timestamp'] as string, request.raw));
    expect(request.body).toMatchObject({ channel: 'sms', variant: 'sms', recipient: '+821012345678', purpose: 'marketing' });
  });

  it('treats 4xx as permanent and 5xx, 429 or no answer as worth retrying', async () => {
    const webhook = new WebhookProvider({ url: `${base}/hooks/crm`, secret });
    reply = { status: 422, body: { error: 'unknown recipient' } };
    await expect(webhook.send(message())).rejects.toBeInstanceOf(PermanentProviderError);
    for (const status of [429, 503]) {
      reply = { status, body: 'busy' };
      const error = await webhook.send(message()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      expect(error).not.toBeInstanceOf(PermanentProviderError);
    }
    const unreachable = await unreachableHook.send(message()).catch((e: unknown) => e);
    expect(unreachable).not.toBeInstanceOf(PermanentProviderError);
  });
});

describe('HTTP API providers', () => {
  it('sends SMS and, past 90 EUC-KR bytes, LMS with a subject', async () => {
    const sms = new SmsApiProvider({ url: base, apiKey: 'sms-key', sender: '021234567' });
    await sms.send(message({ content: '주문이 발송되었습니다', variant: 'sms' }));
    await sms.send(message({ variant: 'lms' }));
    expect(received.map((r) => [r.path, r.headers.authorization, r.body.type])).toEqual([
      ['/messages', 'Bearer sms-key', 'SMS'],
      ['/messages', 'Bearer sms-key', 'LMS'],
    ]);
    expect(received[0].body).toEqual({ type: 'SMS', from: '021234567', to: '+821012345678', text: '주문이 발송되었습니다' });
    expect(received[1].body.subject).toBe('(광고) 장바구니를 확인해 보세요');
  });

  it('sends AlimTalk with the template code and FriendTalk as an advertisement', async () => {
    const kakao = new KakaoApiProvider({ url: `${base}/kakao/`, apiKey: 'kakao-key', senderKey: 'sender-key-1' });
    await kakao.send(message({ channel: 'kakao', purpose: 'informational', template: 'dormancy-notice', variant: 'alimtalk', content: '휴면 안내' }));
    await kakao.send(message({ channel: 'kakao', variant: 'friendtalk' }));
    expect(received.map((r) => r.path)).toEqual(['/kakao/alimtalk', '/kakao/friendtalk']);
    expect(received[0].body).toEqual({ senderKey: 'sender-key-1', templateCode: 'dormancy-notice', to: '+821012345678', text: '휴면 안내' });
    expect(received[1].body).toMatchObject({ senderKey: 'sender-key-1', adFlag: 'Y' });
    expect(received[1].headers['idempotency-key']).toBe('cart-reminder:c-1/run-1/reminder');
  });

  it('sends push with a title and a body', async () => {
    const push = new PushApiProvider({ url: base, apiKey: 'push-key' });
    await push.send(message({ channel: 'push', variant: null, recipient: 'device-token-1', content: '리뷰를 남겨 주세요\n주문 o-1' }));
    expect(received[0]).toMatchObject({ path: '/push', body: { token: 'device-token-1', title: '리뷰를 남겨 주세요', body: '주문 o-1' } });
  });
});

describe('SMTP provider', () => {
  it('sends the first line as the subject, with a stable Message-ID', async () => {
    const email = new SmtpProvider({ url: `smtp://127.0.0.1:${smtpPort}`, from: 'Seoul Shop <shop@example.com>' });
    const receipt = await email.send(message({ channel: 'email', variant: null, recipient: 'minji@example.com' }));
    expect(mails).toHaveLength(1);
    const [mail] = mails;
    expect(mail.subject).toBe('(광고) 장바구니를 확인해 보세요');
    expect(mail.from?.value).toEqual([{ name: 'Seoul Shop', address: 'shop@example.com' }]);
    expect(mail.text).toContain('무료 수신거부: https://crm.example.com/unsubscribe/t');
    expect(mail.messageId).toBe('<cart-reminder_c-1_run-1_reminder@crm-journeys>');
    expect(receipt).toEqual({ provider: 'smtp', providerMessageId: '<cart-reminder_c-1_run-1_reminder@crm-journeys>' });
  });

  it('treats a 5xx refusal as permanent', async () => {
    rejectRecipients = true;
    const email = new SmtpProvider({ url: `smtp://127.0.0.1:${smtpPort}`, from: 'shop@example.com' });
    await expect(email.send(message({ channel: 'email', recipient: 'gone@example.com' }))).rejects.toBeInstanceOf(PermanentProviderError);
  });

  it('gives up on a server that accepts the connection but never greets, within greetingTimeout, with a retryable error', async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const email = new SmtpProvider({ url: `smtp://127.0.0.1:${(silent.address() as AddressInfo).port}`, from: 'shop@example.com', greetingTimeout: 300 });
      const started = performance.now();
      const error: unknown = await email.send(message({ channel: 'email', recipient: 'minji@example.com' })).then(
        () => expect.fail('sent to a server that never greeted'),
        (failure: unknown) => failure,
      );
      const elapsed = performance.now() - started;
      expect(sockets).toHaveLength(1); // it did connect: the greeting is what timed out
      expect(elapsed).toBeGreaterThanOrEqual(250);
      expect(elapsed).toBeLessThan(2000);
      expect(error).toBeInstanceOf(Error);
      expect(error).not.toBeInstanceOf(PermanentProviderError);
      expect(error).toMatchObject({ code: 'ETIMEDOUT' });
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});

describe('provider configuration', () => {
  const db = {} as Db;

  it('uses the outbox unless told otherwise, and the chosen providers when configured', () => {
    const defaults = providersFromConfig(loadConfig({}), db);
    expect([defaults.email, defaults.sms, defaults.kakao, defaults.push].map((p) => p?.name)).toEqual(['outbox', 'outbox', 'outbox', 'outbox']);
    const configured = providersFromConfig(
      loadConfig({
        EMAIL_PROVIDER: 'smtp',
        SMTP_URL: 'smtp://127.0.0.1:2525',
        EMAIL_FROM: 'shop@example.com',
        SMS_PROVIDER: 'api',
        SMS_API_URL: 'http://127.0.0.1:1/sms',
        SMS_API_KEY: 'k',
        SMS_SENDER: '021234567',
        KAKAO_PROVIDER: 'webhook',
        WEBHOOK_URL: 'http://127.0.0.1:1/hook',
        WEBHOOK_SECRET: 'whsec-0123456789abcdef',
      }),
      db,
    );
    expect([configured.email, configured.sms, configured.kakao, configured.push, configured.onsite].map((p) => p?.name)).toEqual(['smtp', 'sms-api', 'webhook', 'outbox', 'onsite']);
  });

  it('names the settings a chosen provider is missing', () => {
    try {
      loadConfig({ EMAIL_PROVIDER: 'smtp', KAKAO_PROVIDER: 'api' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems).toEqual([
        'SMTP_URL: required when EMAIL_PROVIDER=smtp',
        'EMAIL_FROM: required when EMAIL_PROVIDER=smtp',
        'KAKAO_API_URL: required when KAKAO_PROVIDER=api',
        'KAKAO_API_KEY: required when KAKAO_PROVIDER=api',
        'KAKAO_SENDER_KEY: required when KAKAO_PROVIDER=api',
      ]);
    }
  });
});

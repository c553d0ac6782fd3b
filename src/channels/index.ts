// The provider behind each channel, as configured (EMAIL_PROVIDER, SMS_PROVIDER, …).
import type { Config } from '../config';
import type { Db } from '../db';
import { KakaoApiProvider, PushApiProvider, SmsApiProvider } from './api-providers';
import { OnsiteQueueProvider } from './onsite';
import { OutboxProvider } from './outbox';
import type { ChannelProvider, ChannelProviders } from './provider';
import { SmtpProvider } from './smtp';
import { WebhookProvider } from './webhook';

export function providersFromConfig(config: Config, db: Db): ChannelProviders {
  const outbox = new OutboxProvider(db);
  const { providers } = config;
  // loadConfig has already refused a chosen provider without its settings.
  const webhook = providers.webhook ? new WebhookProvider(providers.webhook) : null;
  const pick = (choice: string, api: () => ChannelProvider): ChannelProvider =>
    choice === 'webhook' ? webhook! : choice === 'outbox' ? outbox : api();
  return {
    default: outbox,
    onsite: new OnsiteQueueProvider(),
    email: pick(providers.email, () => new SmtpProvider(providers.smtp!)),
    sms: pick(providers.sms, () => new SmsApiProvider(providers.smsApi!)),
    kakao: pick(providers.kakao, () => new KakaoApiProvider(providers.kakaoApi!)),
    push: pick(providers.push, () => new PushApiProvider(providers.pushApi!)),
  };
}

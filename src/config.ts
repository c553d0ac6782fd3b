// All configuration is read once from the environment and validated here; a bad value
// stops start-up with a message naming the variable.
import path from 'node:path';
import ms from 'ms';
import { z } from 'zod';
import { timeZoneSchema } from './time-zone';

/** A duration such as `30m`, `24h`, `3d`, `10s` or `500ms`, parsed to milliseconds. */
export const durationSchema = z
  .string()
  .trim()
  .transform((value, ctx) => {
    const parsed = /^\d+(\.\d+)?\s*(ms|s|m|h|d|w)$/i.test(value) ? ms(value as ms.StringValue) : undefined;
    if (parsed === undefined || !Number.isFinite(parsed) || parsed <= 0) {
      ctx.addIssue({ code: 'custom', message: `expected a positive duration like 30m, 24h or 3d, got "${value}"` });
      return z.NEVER;
    }
    return parsed;
  });

const port = z.coerce.number().int().min(1).max(65535);
export const currencyCode = z.string().regex(/^[A-Z]{3}$/, 'expected an ISO 4217 currency code such as KRW or USD');
const count = z.coerce.number().int().min(0);
/** A share of customers in whole percent; at most 90, so a treatment group is always left. */
const percent = z.coerce.number().int().min(0).max(90, 'expected a percent from 0 to 90');

const channel = z.enum(['email', 'sms', 'push', 'kakao', 'onsite']);
const channelList = z
  .string()
  .transform((value) => value.split(',').map((part) => part.trim()).filter(Boolean))
  .pipe(z.array(channel).min(1, 'name at least one channel'));

/** `21:00-08:00`: the local hours in which marketing messages wait. */
const hoursWindow = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/, 'expected local hours like 21:00-08:00')
  .transform((value) => {
    const [start, end] = value.split('-');
    return { start, end };
  });

/** `3/7d`: at most 3 marketing messages per customer in any 7 days. */
const frequencyCap = z
  .string()
  .regex(/^\d+\/\d+(ms|s|m|h|d|w)$/, 'expected a count and a duration like 3/7d')
  .transform((value) => {
    const [count, window] = value.split('/');
    return { count: Number(count), windowMs: ms(window as ms.StringValue) };
  });

/**
 * `sms=8.4,lms=25.9,kakao=3.07`: cost per message by channel or variant, in
 * CHANNEL_COSTS_CURRENCY. Kept as decimal strings: money is never a float.
 */
const costTable = z
  .string()
  .transform((value, ctx) => {
    const table: Record<string, string> = {};
    for (const part of value.split(',').map((p) => p.trim()).filter(Boolean)) {
      const match = /^([a-z]+)=(\d{1,15}(\.\d{1,4})?)$/.exec(part);
      if (!match) {
        ctx.addIssue({ code: 'custom', message: `expected channel=cost pairs like sms=8.4 (at most 4 decimals), got "${part}"` });
        return z.NEVER;
      }
      table[match[1]] = match[2];
    }
    return table;
  });


/** `600/1m`: points per window; `off`: no limit. */
const rateLimit = z
  .string()
  .trim()
  .transform((value, ctx) => {
    if (value === 'off') return null;
    const match = /^(\d{1,9})\/(\d{0,6})(s|m|h)$/.exec(value);
    const points = Number(match?.[1]);
    if (!match || points < 1) {
      ctx.addIssue({ code: 'custom', message: `expected requests per window like 600/1m, 20/1s or 10000/1h, or off; got "${value}"` });
      return z.NEVER;
    }
    return { points, seconds: Number(match[2] || 1) * { s: 1, m: 60, h: 3600 }[match[3] as 's' | 'm' | 'h'] };
  });

const origins = z
  .string()
  .transform((value) => value.split(',').map((origin) => origin.trim().replace(/\/+$/, '')).filter(Boolean))
  .pipe(z.array(z.url({ protocol: /^https?$/, message: 'expected origins like https://shop.example.com, comma-separated' })));

/** SHOP_URL when unset (and what templates link to when no shop URL is given to them). */
export const DEFAULT_SHOP_URL = 'https://shop.example.com';

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: port.default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATA_DIR: z.string().min(1).default('.data'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\/.+/, 'expected a PostgreSQL URL like postgresql://user:password@host:5432/crm')
    .optional(),
  PG_PORT: port.default(5433),
  API_KEYS: z
    .string()
    .transform((value) => value.split(',').map((key) => key.trim()).filter(Boolean))
    .pipe(z.array(z.string().min(16, 'each API key needs at least 16 characters')))
    .optional(),
  TEMPORAL_ADDRESS: z
    .string()
    .regex(/^[^\s:]+:\d+$/, 'expected host:port, for example temporal.internal:7233')
    .optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_DEV_PORT: port.default(7233),
  TEMPORAL_UI_PORT: port.default(8233),
  TEMPORAL_CLI_PATH: z.string().min(1).optional(),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('crm-journeys'),
  /** Temporal Cloud (or any Temporal with mTLS / API keys): unset for a plain connection. */
  TEMPORAL_API_KEY: z.string().min(1).optional(),
  TEMPORAL_TLS_CERT: z.string().min(1).optional(),
  TEMPORAL_TLS_KEY: z.string().min(1).optional(),
  TEMPORAL_TLS: z.enum(['true', 'false']).optional(),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  /** Requests per key per window, e.g. 600/1m; `off` when a gateway in front already limits. */
  RATE_LIMIT_PER_KEY: rateLimit.default({ points: 600, seconds: 60 }),
  /** The largest request body the API reads (413 beyond), e.g. 1mb. A batch of 500 events fits in 5mb. */
  BODY_LIMIT: z.string().trim().regex(/^\d+(kb|mb)$/i, 'expected a size like 512kb or 5mb').default('5mb'),
  /** Websites allowed to call the ingest routes from a browser (CORS), comma-separated origins. */
  ALLOWED_ORIGINS: origins.default([]),
  /** The worker's Prometheus endpoint (Temporal SDK metrics) when it runs as its own process. */
  METRICS_PORT: port.optional(),
  DISPATCH_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(8),
  PUBLIC_URL: z.url('expected the URL customers reach the API at, like https://crm.example.com').optional(),
  // The shop's website, where links in messages lead (through <PUBLIC_URL>/r/<token>, which
  // records the click): <SHOP_URL>/cart, <SHOP_URL>/products/<productId> and
  // <SHOP_URL>/orders/<orderId>/review. The default is a placeholder: set it in production.
  SHOP_URL: z
    .url({ protocol: /^https?$/, message: 'expected the http(s) URL of the shop, like https://shop.example.com' })
    .default(DEFAULT_SHOP_URL),

  SENDER_NAME: z.string().min(1).default('crm-journeys'),
  DEFAULT_TIMEZONE: timeZoneSchema.default('Asia/Seoul'),
  QUIET_HOURS: hoursWindow.default({ start: '21:00', end: '08:00' }),
  KAKAO_FRIENDTALK_QUIET_HOURS: hoursWindow.default({ start: '20:00', end: '08:00' }),
  // Per-channel windows replace QUIET_HOURS for that channel.
  QUIET_HOURS_EMAIL: hoursWindow.optional(),
  QUIET_HOURS_SMS: hoursWindow.optional(),
  QUIET_HOURS_KAKAO: hoursWindow.optional(),
  QUIET_HOURS_PUSH: hoursWindow.optional(),
  FREQUENCY_CAP: frequencyCap.default({ count: 3, windowMs: ms('7d') }),
  /** RFM scoring: the base is customers with an order in this lookback; a cron schedule (daily). */
  RFM_LOOKBACK: durationSchema.default(ms('365d')),
  RFM_SCHEDULE: z.string().trim().regex(/^\S+( \S+){4}$/, 'expected a cron expression with 5 fields, e.g. "0 3 * * *"').default('0 3 * * *'),
  /** Segment previews warn below this many customers (small_audience). */
  MIN_AUDIENCE: count.default(100),
  CHANNEL_COSTS: costTable.default({ sms: '8.4', lms: '25.9', alimtalk: '6.5', friendtalk: '3.07', email: '0.3', push: '0', onsite: '0' }),
  CHANNEL_COSTS_CURRENCY: currencyCode.default('KRW'),
  /** Gross margin on revenue, for LTV (analytics/unit-economics): a decimal from 0 to 1. */
  MARGIN_RATE: z
    .string()
    .trim()
    .regex(/^(0(\.\d{1,4})?|1(\.0{1,4})?)$/, 'expected a decimal from 0 to 1 with at most 4 decimals, such as 0.3')
    .default('0.3'),
  UNSUBSCRIBE_SECRET: z.string().min(16, 'needs at least 16 characters').optional(),

  // Who delivers each channel: the outbox (records only) by default.
  EMAIL_PROVIDER: z.enum(['outbox', 'smtp', 'webhook']).default('outbox'),
  SMS_PROVIDER: z.enum(['outbox', 'api', 'webhook']).default('outbox'),
  KAKAO_PROVIDER: z.enum(['outbox', 'api', 'webhook']).default('outbox'),
  PUSH_PROVIDER: z.enum(['outbox', 'api', 'webhook']).default('outbox'),
  SMTP_URL: z.string().regex(/^smtps?:\/\/.+/, 'expected smtp://user:pass@host:port or smtps://…').optional(),
  EMAIL_FROM: z.string().min(3).optional(),
  SMS_API_URL: z.url().optional(),
  SMS_API_KEY: z.string().min(1).optional(),
  SMS_SENDER: z.string().regex(/^\+?[0-9-]{3,20}$/, 'expected the registered sender number').optional(),
  KAKAO_API_URL: z.url().optional(),
  KAKAO_API_KEY: z.string().min(1).optional(),
  KAKAO_SENDER_KEY: z.string().min(1).optional(),
  PUSH_API_URL: z.url().optional(),
  PUSH_API_KEY: z.string().min(1).optional(),
  WEBHOOK_URL: z.url().optional(),
  WEBHOOK_SECRET: z.string().min(16, 'needs at least 16 characters').optional(),

  CART_REMINDER_DELAY: durationSchema.default(ms('24h')),
  CART_REMINDER_MIN_ORDERS: count.default(1),
  CART_REMINDER_WINDOW: durationSchema.default(ms('3d')),
  CART_REMINDER_CHANNELS: channelList.default(['kakao', 'sms', 'email']),

  SIGNUP_NUDGE_MIN_VIEWS: count.min(1).default(2),
  SIGNUP_NUDGE_DELAY: durationSchema.default(ms('30m')),
  SIGNUP_NUDGE_WINDOW: durationSchema.default(ms('7d')),
  SIGNUP_NUDGE_OFFER: z.string().min(1).default('첫 구매 10% 할인 쿠폰'),

  UPSELL_DELAY: durationSchema.default(ms('7d')),
  UPSELL_WINDOW: durationSchema.default(ms('7d')),
  UPSELL_MAX_PRODUCTS: count.min(1).default(3),
  UPSELL_CHANNELS: channelList.default(['kakao', 'sms', 'email']),

  DORMANCY_WARNING_AFTER: durationSchema.default(ms('335d')),
  DORMANCY_AFTER: durationSchema.default(ms('365d')),
  DORMANCY_WINDOW: durationSchema.default(ms('30d')),
  DORMANCY_CHANNELS: channelList.default(['email', 'kakao', 'sms']),
  DORMANCY_OFFER: z.string().min(1).default('5,000원 재방문 쿠폰'),

  REVIEW_REQUEST_DELAY: durationSchema.default(ms('3d')),
  REVIEW_REMINDER_DELAY: durationSchema.default(ms('4d')),
  REVIEW_CHANNELS: channelList.default(['kakao', 'sms', 'email']),
  REFERRAL_OFFER: z.string().min(1).default('5,000원 적립금'),

  // Journey holdouts (percent of customers, by a stable hash of journey and customer): the held
  // out get a `holdout` record instead of the journey's marketing message, so its lift shows.
  CART_REMINDER_HOLDOUT: percent.default(0),
  SIGNUP_NUDGE_HOLDOUT: percent.default(0),
  UPSELL_HOLDOUT: percent.default(0),
  DORMANCY_HOLDOUT: percent.default(0),
  REVIEW_REQUEST_HOLDOUT: percent.default(0),
  BROWSE_ABANDONMENT_HOLDOUT: percent.default(0),

  // The README's worked example journey: off unless a delay is set.
  BROWSE_ABANDONMENT_DELAY: durationSchema.optional(),
  BROWSE_ABANDONMENT_WINDOW: durationSchema.default(ms('3d')),
  BROWSE_ABANDONMENT_CHANNELS: channelList.default(['kakao', 'sms', 'email']),

  // Korean law: every 2 years a customer is told which marketing consents they gave. The
  // duration format has no years: 730d.
  CONSENT_RECONFIRM_EVERY: durationSchema.default(ms('730d')),
  CONSENT_RECONFIRM_CHANNELS: channelList.default(['email', 'kakao', 'sms']),
});

export type Config = ReturnType<typeof loadConfig>;
export type Channel = z.infer<typeof channel>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Reads and validates the environment. Throws ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env) {
  // An empty variable means "not set", as in most shells' `VAR= npm start`.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => `${issue.path.join('.') || '(environment)'}: ${issue.message}`),
    );
  }
  const raw = parsed.data;
  const problems: string[] = [];
  if (raw.DORMANCY_AFTER <= raw.DORMANCY_WARNING_AFTER) {
    problems.push('DORMANCY_AFTER: must be longer than DORMANCY_WARNING_AFTER (the warning comes before the account goes dormant)');
  }
  // A chosen provider needs its settings.
  const needs = (when: boolean, why: string, names: (keyof typeof raw)[]) => {
    for (const name of names) if (when && !raw[name]) problems.push(`${name}: required when ${why}`);
  };
  needs(raw.EMAIL_PROVIDER === 'smtp', 'EMAIL_PROVIDER=smtp', ['SMTP_URL', 'EMAIL_FROM']);
  needs(raw.SMS_PROVIDER === 'api', 'SMS_PROVIDER=api', ['SMS_API_URL', 'SMS_API_KEY', 'SMS_SENDER']);
  needs(raw.KAKAO_PROVIDER === 'api', 'KAKAO_PROVIDER=api', ['KAKAO_API_URL', 'KAKAO_API_KEY', 'KAKAO_SENDER_KEY']);
  needs(raw.PUSH_PROVIDER === 'api', 'PUSH_PROVIDER=api', ['PUSH_API_URL', 'PUSH_API_KEY']);
  const webhookUsed = [raw.EMAIL_PROVIDER, raw.SMS_PROVIDER, raw.KAKAO_PROVIDER, raw.PUSH_PROVIDER].includes('webhook');
  needs(webhookUsed, 'a channel uses the webhook provider', ['WEBHOOK_URL', 'WEBHOOK_SECRET']);
  if (Boolean(raw.TEMPORAL_TLS_CERT) !== Boolean(raw.TEMPORAL_TLS_KEY)) {
    problems.push(`${raw.TEMPORAL_TLS_CERT ? 'TEMPORAL_TLS_KEY' : 'TEMPORAL_TLS_CERT'}: required with ${raw.TEMPORAL_TLS_CERT ? 'TEMPORAL_TLS_CERT' : 'TEMPORAL_TLS_KEY'} (a client certificate and its key, as PEM file paths)`);
  }
  if (problems.length) throw new ConfigError(problems);
  const dataDir = path.resolve(raw.DATA_DIR);
  return {
    env: raw.NODE_ENV,
    port: raw.PORT,
    host: raw.HOST,
    dataDir,
    database: {
      /** Unset: start the embedded PostgreSQL server (data in DATA_DIR/postgres). */
      url: raw.DATABASE_URL,
      /** The embedded server's port (on 127.0.0.1). */
      embeddedPort: raw.PG_PORT,
    },
    apiKeys: raw.API_KEYS,
    logLevel: raw.LOG_LEVEL,
    api: { rateLimit: raw.RATE_LIMIT_PER_KEY, bodyLimit: raw.BODY_LIMIT.toLowerCase(), allowedOrigins: raw.ALLOWED_ORIGINS },
    metricsPort: raw.METRICS_PORT,
    /** Journey runs one dispatcher delivers to at once. */
    dispatchConcurrency: raw.DISPATCH_CONCURRENCY,
    segments: { minAudience: raw.MIN_AUDIENCE, currency: raw.CHANNEL_COSTS_CURRENCY },
    rfm: { lookbackMs: raw.RFM_LOOKBACK, currency: raw.CHANNEL_COSTS_CURRENCY, schedule: raw.RFM_SCHEDULE },
    analytics: { marginRate: raw.MARGIN_RATE },
    publicUrl: raw.PUBLIC_URL ?? `http://localhost:${raw.PORT}`,
    providers: {
      email: raw.EMAIL_PROVIDER,
      sms: raw.SMS_PROVIDER,
      kakao: raw.KAKAO_PROVIDER,
      push: raw.PUSH_PROVIDER,
      smtp: raw.SMTP_URL && raw.EMAIL_FROM ? { url: raw.SMTP_URL, from: raw.EMAIL_FROM } : null,
      smsApi: raw.SMS_API_URL && raw.SMS_API_KEY && raw.SMS_SENDER ? { url: raw.SMS_API_URL, apiKey: raw.SMS_API_KEY, sender: raw.SMS_SENDER } : null,
      kakaoApi:
        raw.KAKAO_API_URL && raw.KAKAO_API_KEY && raw.KAKAO_SENDER_KEY ? { url: raw.KAKAO_API_URL, apiKey: raw.KAKAO_API_KEY, senderKey: raw.KAKAO_SENDER_KEY } : null,
      pushApi: raw.PUSH_API_URL && raw.PUSH_API_KEY ? { url: raw.PUSH_API_URL, apiKey: raw.PUSH_API_KEY } : null,
      webhook: raw.WEBHOOK_URL && raw.WEBHOOK_SECRET ? { url: raw.WEBHOOK_URL, secret: raw.WEBHOOK_SECRET } : null,
    },
    messaging: {
      senderName: raw.SENDER_NAME,
      defaultTimezone: raw.DEFAULT_TIMEZONE,
      quietHours: raw.QUIET_HOURS,
      quietHoursByChannel: Object.fromEntries(
        (
          [
            ['email', raw.QUIET_HOURS_EMAIL],
            ['sms', raw.QUIET_HOURS_SMS],
            ['kakao', raw.QUIET_HOURS_KAKAO],
            ['push', raw.QUIET_HOURS_PUSH],
          ] as const
        ).filter(([, window]) => window !== undefined),
      ) as Partial<Record<Channel, { start: string; end: string }>>,
      friendTalkQuietHours: raw.KAKAO_FRIENDTALK_QUIET_HOURS,
      frequencyCap: raw.FREQUENCY_CAP,
      costs: raw.CHANNEL_COSTS,
      costCurrency: raw.CHANNEL_COSTS_CURRENCY,
      /** Journey → percent held out (only journeys with one). */
      holdouts: Object.fromEntries(
        (
          [
            ['cart-reminder', raw.CART_REMINDER_HOLDOUT],
            ['signup-nudge', raw.SIGNUP_NUDGE_HOLDOUT],
            ['upsell', raw.UPSELL_HOLDOUT],
            ['dormancy', raw.DORMANCY_HOLDOUT],
            ['review-request', raw.REVIEW_REQUEST_HOLDOUT],
            ['browse-abandonment', raw.BROWSE_ABANDONMENT_HOLDOUT],
          ] as const
        ).filter(([, held]) => held > 0),
      ) as Record<string, number>,
      /** Unset outside production: a per-DATA_DIR secret (see src/secrets.ts). Also signs tracked links (src/messaging/links.ts). */
      unsubscribeSecret: raw.UNSUBSCRIBE_SECRET,
      /** SHOP_URL without a trailing slash: the base of the shop links in templates. */
      shopUrl: raw.SHOP_URL.replace(/\/+$/, ''),
    },
    temporal: {
      /** Unset: start the embedded dev server. */
      address: raw.TEMPORAL_ADDRESS,
      namespace: raw.TEMPORAL_NAMESPACE,
      devPort: raw.TEMPORAL_DEV_PORT,
      uiPort: raw.TEMPORAL_UI_PORT,
      cliPath: raw.TEMPORAL_CLI_PATH,
      taskQueue: raw.TEMPORAL_TASK_QUEUE,
      apiKey: raw.TEMPORAL_API_KEY,
      /**
       * TLS to Temporal: with a client certificate (mTLS, PEM file paths), or server-verified
       * only (TEMPORAL_TLS=true, implied by TEMPORAL_API_KEY as Temporal Cloud needs); null: plain.
       */
      tls:
        raw.TEMPORAL_TLS_CERT && raw.TEMPORAL_TLS_KEY
          ? { certPath: raw.TEMPORAL_TLS_CERT, keyPath: raw.TEMPORAL_TLS_KEY }
          : raw.TEMPORAL_TLS === 'true' || (raw.TEMPORAL_API_KEY && raw.TEMPORAL_TLS !== 'false')
            ? {}
            : null,
    },
    journeys: {
      cartReminder: {
        delayMs: raw.CART_REMINDER_DELAY,
        minOrders: raw.CART_REMINDER_MIN_ORDERS,
        windowMs: raw.CART_REMINDER_WINDOW,
        channels: raw.CART_REMINDER_CHANNELS,
      },
      signupNudge: {
        minViews: raw.SIGNUP_NUDGE_MIN_VIEWS,
        delayMs: raw.SIGNUP_NUDGE_DELAY,
        windowMs: raw.SIGNUP_NUDGE_WINDOW,
        offer: raw.SIGNUP_NUDGE_OFFER,
      },
      upsell: {
        delayMs: raw.UPSELL_DELAY,
        windowMs: raw.UPSELL_WINDOW,
        maxProducts: raw.UPSELL_MAX_PRODUCTS,
        channels: raw.UPSELL_CHANNELS,
      },
      dormancy: {
        warningAfterMs: raw.DORMANCY_WARNING_AFTER,
        dormantAfterMs: raw.DORMANCY_AFTER,
        windowMs: raw.DORMANCY_WINDOW,
        channels: raw.DORMANCY_CHANNELS,
        offer: raw.DORMANCY_OFFER,
      },
      reviewRequest: {
        delayMs: raw.REVIEW_REQUEST_DELAY,
        reminderDelayMs: raw.REVIEW_REMINDER_DELAY,
        channels: raw.REVIEW_CHANNELS,
        referralOffer: raw.REFERRAL_OFFER,
      },
      browseAbandonment: raw.BROWSE_ABANDONMENT_DELAY
        ? { delayMs: raw.BROWSE_ABANDONMENT_DELAY, windowMs: raw.BROWSE_ABANDONMENT_WINDOW, channels: raw.BROWSE_ABANDONMENT_CHANNELS }
        : null,
      consentReconfirmation: {
        everyMs: raw.CONSENT_RECONFIRM_EVERY,
        channels: raw.CONSENT_RECONFIRM_CHANNELS,
      },
    },
  };
}

import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config';

const problemsOf = (env: Record<string, string>): string[] => {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
};

describe('loadConfig', () => {
  it('has the documented defaults', () => {
    const config = loadConfig({});
    expect(config.port).toBe(3000);
    expect(config.temporal).toMatchObject({ address: undefined, namespace: 'default', devPort: 7233, uiPort: 8233, taskQueue: 'crm-journeys' });
    expect(config.database).toEqual({ url: undefined, embeddedPort: 5433 });
    expect(config.messaging.costs).toMatchObject({ sms: '8.4', friendtalk: '3.07' });
    expect(config.messaging.costCurrency).toBe('KRW');
    expect(config.dataDir).toMatch(/\/\.data$/);
    expect(config.journeys.cartReminder).toEqual({ delayMs: 86_400_000, minOrders: 1, windowMs: 3 * 86_400_000, channels: ['kakao', 'sms', 'email'] });
    expect(config.journeys.signupNudge).toMatchObject({ minViews: 2, delayMs: 30 * 60_000, windowMs: 7 * 86_400_000 });
    expect(config.journeys.upsell).toMatchObject({ delayMs: 7 * 86_400_000, windowMs: 7 * 86_400_000, maxProducts: 3 });
    expect(config.journeys.dormancy).toMatchObject({ warningAfterMs: 335 * 86_400_000, dormantAfterMs: 365 * 86_400_000, windowMs: 30 * 86_400_000 });
    expect(config.journeys.reviewRequest).toMatchObject({ delayMs: 3 * 86_400_000, reminderDelayMs: 4 * 86_400_000 });
    expect(config.journeys.browseAbandonment).toBeNull();
    expect(config.journeys.consentReconfirmation).toEqual({ everyMs: 730 * 86_400_000, channels: ['email', 'kakao', 'sms'] });
  });

  it('parses durations, channel lists, keys and ports', () => {
    const config = loadConfig({
      CART_REMINDER_DELAY: '10s',
      CART_REMINDER_WINDOW: '500ms',
      UPSELL_DELAY: '2d',
      SIGNUP_NUDGE_DELAY: '1.5h',
      CART_REMINDER_CHANNELS: 'email, sms',
      API_KEYS: 'aaaaaaaaaaaaaaaa,bbbbbbbbbbbbbbbb',
      TEMPORAL_ADDRESS: 'temporal.internal:7233',
      DATABASE_URL: 'postgresql://crm:secret@db.internal:5432/crm',
      PG_PORT: '6543',
      CHANNEL_COSTS: 'sms=9.9,friendtalk=3.0725',
      CHANNEL_COSTS_CURRENCY: 'USD',
      PORT: '8080',
    });
    expect(config.journeys.cartReminder).toMatchObject({ delayMs: 10_000, windowMs: 500, channels: ['email', 'sms'] });
    expect(config.journeys.upsell.delayMs).toBe(2 * 86_400_000);
    expect(config.journeys.signupNudge.delayMs).toBe(90 * 60_000);
    expect(config.apiKeys).toEqual(['aaaaaaaaaaaaaaaa', 'bbbbbbbbbbbbbbbb']);
    expect(config.temporal.address).toBe('temporal.internal:7233');
    expect(config.database).toEqual({ url: 'postgresql://crm:secret@db.internal:5432/crm', embeddedPort: 6543 });
    expect(config.messaging).toMatchObject({ costs: { sms: '9.9', friendtalk: '3.0725' }, costCurrency: 'USD' });
    expect(config.port).toBe(8080);
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ PORT: '', TEMPORAL_ADDRESS: '' })).toMatchObject({ port: 3000, temporal: { address: undefined } });
  });

  it('names every bad variable at once', () => {
    const problems = problemsOf({
      PORT: 'abc',
      CART_REMINDER_DELAY: 'soon',
      UPSELL_WINDOW: '0s',
      TEMPORAL_ADDRESS: 'no-port',
      DATABASE_URL: 'file:/tmp/crm.db',
      PG_PORT: '0',
      CHANNEL_COSTS: 'sms=0.00001',
      CHANNEL_COSTS_CURRENCY: 'won',
      CART_REMINDER_CHANNELS: 'fax',
      API_KEYS: 'short',
    });
    const named = problems.map((p) => p.split(':')[0]).sort();
    expect(named).toEqual([
      'API_KEYS.0',
      'CART_REMINDER_CHANNELS.0',
      'CART_REMINDER_DELAY',
      'CHANNEL_COSTS',
      'CHANNEL_COSTS_CURRENCY',
      'DATABASE_URL',
      'PG_PORT',
      'PORT',
      'TEMPORAL_ADDRESS',
      'UPSELL_WINDOW',
    ]);
    expect(problems.find((p) => p.startsWith('CART_REMINDER_DELAY'))).toBe('CART_REMINDER_DELAY: expected a positive duration like 30m, 24h or 3d, got "soon"');
    expect(problems.find((p) => p.startsWith('DATABASE_URL'))).toBe('DATABASE_URL: expected a PostgreSQL URL like postgresql://user:password@host:5432/crm');
  });

  it('refuses a dormancy threshold before the warning', () => {
    expect(problemsOf({ DORMANCY_WARNING_AFTER: '30d', DORMANCY_AFTER: '10d' })).toEqual([
      'DORMANCY_AFTER: must be longer than DORMANCY_WARNING_AFTER (the warning comes before the account goes dormant)',
    ]);
  });

  it('reads SHOP_URL, the base of links in messages: a placeholder by default, without a trailing slash, http(s) only', () => {
    expect(loadConfig({}).messaging.shopUrl).toBe('https://shop.example.com');
    expect(loadConfig({ SHOP_URL: 'https://myshop.example.org/kr/' }).messaging.shopUrl).toBe('https://myshop.example.org/kr');
    expect(problemsOf({ SHOP_URL: 'ftp://myshop.example.org' })).toEqual(['SHOP_URL: expected the http(s) URL of the shop, like https://shop.example.com']);
  });

  it('explains itself in the error message', () => {
    expect(() => loadConfig({ TEMPORAL_DEV_PORT: '70000' })).toThrow(/Invalid configuration:\n {2}- TEMPORAL_DEV_PORT: /);
  });
});

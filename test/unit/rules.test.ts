import { describe, expect, it } from 'vitest';
import { endOfWindow, eucKrBytes, formatAdvertising, quietHoursHold, SMS_MAX_BYTES, variantFor } from '../../src/messaging/rules';
import { registerTemplate, TemplateError } from '../../src/messaging/templates';
import { unsubscribeToken, verifyUnsubscribeToken } from '../../src/messaging/unsubscribe';

const night = { start: '21:00', end: '08:00' };

describe('quiet hours', () => {
  it('finds the end of a window that crosses midnight, in local time', () => {
    expect(endOfWindow(new Date('2026-11-23T12:30:00Z'), 'Asia/Seoul', night)).toEqual(new Date('2026-11-23T23:00:00Z')); // 21:30 → 08:00 next day
    expect(endOfWindow(new Date('2026-11-23T16:00:00Z'), 'Asia/Seoul', night)).toEqual(new Date('2026-11-23T23:00:00Z')); // 01:00 → 08:00 same day
    expect(endOfWindow(new Date('2026-11-23T11:59:00Z'), 'Asia/Seoul', night)).toBeNull(); // 20:59
    expect(endOfWindow(new Date('2026-11-23T23:00:00Z'), 'Asia/Seoul', night)).toBeNull(); // 08:00 sharp
    expect(endOfWindow(new Date('2026-11-23T03:00:00Z'), 'Asia/Seoul', { start: '09:00', end: '17:00' })).toEqual(new Date('2026-11-23T08:00:00Z'));
    expect(endOfWindow(new Date('2026-11-23T03:00:00Z'), 'Asia/Seoul', { start: '00:00', end: '00:00' })).toBeNull();
  });

  it('follows daylight saving time', () => {
    expect(endOfWindow(new Date('2026-07-01T02:00:00Z'), 'America/New_York', night)).toEqual(new Date('2026-07-01T12:00:00Z')); // EDT
    expect(endOfWindow(new Date('2026-12-01T03:00:00Z'), 'America/New_York', night)).toEqual(new Date('2026-12-01T13:00:00Z')); // EST
  });

  it('lets night-time consent lift the general window but not FriendTalk’s', () => {
    const base = { timezone: 'Asia/Seoul', quietHours: night, friendTalkQuietHours: { start: '20:00', end: '08:00' } };
    const at2030 = new Date('2026-11-23T11:30:00Z');
    expect(quietHoursHold({ ...base, now: at2030, variant: 'lms', nightTimeConsent: false })).toBeNull();
    expect(quietHoursHold({ ...base, now: at2030, variant: 'friendtalk', nightTimeConsent: true })).toEqual(new Date('2026-11-23T23:00:00Z'));
    const at2130 = new Date('2026-11-23T12:30:00Z');
    expect(quietHoursHold({ ...base, now: at2130, variant: 'lms', nightTimeConsent: true })).toBeNull();
    expect(quietHoursHold({ ...base, now: at2130, variant: null, nightTimeConsent: false })).toEqual(new Date('2026-11-23T23:00:00Z'));
  });
});

describe('SMS length and channel variants', () => {
  it('counts Korean as two bytes and ASCII as one (EUC-KR)', () => {
    expect(eucKrBytes('abc')).toBe(3);
    expect(eucKrBytes('가나다')).toBe(6);
    expect(variantFor('sms', 'informational', '가'.repeat(45))).toBe('sms');
    expect(eucKrBytes('가'.repeat(45))).toBe(SMS_MAX_BYTES);
    expect(variantFor('sms', 'informational', `${'가'.repeat(45)}a`)).toBe('lms');
    expect(variantFor('kakao', 'marketing', 'x')).toBe('friendtalk');
    expect(variantFor('kakao', 'informational', 'x')).toBe('alimtalk');
    expect(variantFor('email', 'marketing', 'x')).toBeNull();
  });
});

describe('Korean advertising format', () => {
  it('starts with (광고), names the sender, and ends with the free opt-out', () => {
    expect(formatAdvertising('새 상품이 나왔어요', { senderName: 'Seoul Shop', optOutUrl: 'https://x/unsubscribe/t' })).toBe(
      '(광고) 새 상품이 나왔어요\n\n보낸 곳: Seoul Shop\n무료 수신거부: https://x/unsubscribe/t',
    );
  });

  it('signs opt-out tokens so they cannot be forged or altered', () => {
    const token = unsubscribeToken('secret-0123456789abcdef', 'c-42', 'kakao');
    expect(verifyUnsubscribeToken('secret-0123456789abcdef', token)).toEqual({ customerId: 'c-42', channel: 'kakao' });
    expect(verifyUnsubscribeToken('another-secret-0123456789', token)).toBeNull();
    const [, signature] = token.split('.');
    const other = unsubscribeToken('secret-0123456789abcdef', 'c-43', 'kakao').split('.')[0];
    expect(verifyUnsubscribeToken('secret-0123456789abcdef', `${other}.${signature}`)).toBeNull();
    expect(verifyUnsubscribeToken('secret-0123456789abcdef', 'garbage')).toBeNull();
  });
});

describe('template registration', () => {
  it('refuses a template whose text names a variable its sample does not supply', () => {
    expect(() => registerTemplate({ id: 'broken', sample: { orderId: 'o-1' }, text: { ko: '{{ orderId }} {{ coupon.code }}', en: '{{ orderId }}' } })).toThrow(TemplateError);
    expect(() => registerTemplate({ id: 'broken', sample: {}, text: { ko: 'ok', en: 'ok' }, byChannel: { sms: { ko: '{{ missing }}', en: 'ok' } } })).toThrow(
      /template "broken" \(sms\/ko\): undefined variable: missing/,
    );
  });
});

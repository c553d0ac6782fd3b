import { describe, expect, it } from 'vitest';
import { eligibleChannels, recipientOn, type CustomerWithConsents } from '../../activities/messages';
import type { Channel } from '../../src/config';
import type { Customer } from '../../src/generated/prisma/client';
import { isLegalNotice, renderTemplate, TemplateError, templateIds } from '../../src/messaging/templates';

const now = new Date('2026-11-23T00:00:00Z');

/** The first channel the send would use, or every reason why none. */
const firstChannel = (...args: Parameters<typeof eligibleChannels>) => {
  const { candidates, reasons } = eligibleChannels(...args);
  return candidates.length ? { channel: candidates[0].channel, recipient: candidates[0].recipient } : { reasons };
};
function customer(fields: Partial<Customer> = {}, consents: [Channel, 'marketing' | 'informational', boolean][] = []): CustomerWithConsents {
  return {
    id: 'c-1',
    email: null,
    phone: null,
    name: null,
    locale: null,
    timezone: null,
    attributes: {},
    lastSeenAt: null,
    dormancyWatchedAt: null,
    dormantAt: null,
    createdAt: now,
    updatedAt: now,
    ...fields,
    consents: consents.map(([channel, purpose, granted]) => ({ channel, purpose, granted, nightTime: false })),
  };
}

describe('channel choice', () => {
  it('takes the first channel with consent and an address', () => {
    const c = customer({ phone: '+821012345678', email: 'a@example.com', attributes: { kakaoFriend: true } }, [['kakao', 'marketing', true], ['email', 'marketing', true]]);
    expect(firstChannel(c, ['kakao', 'email'], 'marketing')).toEqual({ channel: 'kakao', recipient: '+821012345678' });
    expect(firstChannel(c, ['email', 'kakao'], 'marketing')).toEqual({ channel: 'email', recipient: 'a@example.com' });
  });

  it('falls through missing addresses and revoked consent, and explains when nothing is left', () => {
    const c = customer({ email: 'a@example.com' }, [['sms', 'marketing', true], ['kakao', 'marketing', false], ['email', 'marketing', true]]);
    expect(firstChannel(c, ['kakao', 'sms', 'email'], 'marketing')).toEqual({ channel: 'email', recipient: 'a@example.com' });
    expect(firstChannel(c, ['kakao', 'sms', 'push'], 'marketing')).toEqual({
      reasons: ['kakao: no marketing consent', 'sms: no phone number', 'push: no marketing consent'],
    });
  });

  it('sends FriendTalk only to friends of the KakaoTalk channel, and AlimTalk to anyone with consent', () => {
    const c = customer({ phone: '+821012345678', email: 'a@example.com' }, [['kakao', 'marketing', true], ['kakao', 'informational', true], ['email', 'marketing', true]]);
    expect(firstChannel(c, ['kakao', 'email'], 'marketing')).toEqual({ channel: 'email', recipient: 'a@example.com' });
    expect(firstChannel(c, ['kakao'], 'marketing')).toEqual({ reasons: ['kakao: not a friend of the KakaoTalk channel (FriendTalk)'] });
    expect(firstChannel(c, ['kakao'], 'informational')).toEqual({ channel: 'kakao', recipient: '+821012345678' });
  });

  it('lists every qualifying channel in order, with night-time consent, for fallback', () => {
    const c = customer({ phone: '+821012345678', email: 'a@example.com', attributes: { kakaoFriend: true } }, [['sms', 'marketing', true], ['email', 'marketing', true], ['kakao', 'marketing', true]]);
    expect(eligibleChannels(c, ['kakao', 'push', 'sms', 'email'], 'marketing')).toEqual({
      candidates: [
        { channel: 'kakao', recipient: '+821012345678', nightTime: false },
        { channel: 'sms', recipient: '+821012345678', nightTime: false },
        { channel: 'email', recipient: 'a@example.com', nightTime: false },
      ],
      reasons: ['push: no marketing consent'],
    });
  });

  it('does not let marketing consent cover an ordinary informational message', () => {
    const c = customer({ email: 'a@example.com' }, [['email', 'marketing', true]]);
    expect(firstChannel(c, ['email'], 'informational')).toEqual({ reasons: ['email: no informational consent'] });
  });

  it('lets marketing consent carry a legally required notice, but no consent at all does not', () => {
    const c = customer({ email: 'a@example.com', phone: '+821012345678' }, [['email', 'marketing', true], ['sms', 'informational', false]]);
    expect(eligibleChannels(c, ['sms', 'email'], 'informational', { legalNotice: true })).toEqual({
      candidates: [{ channel: 'email', recipient: 'a@example.com', nightTime: false }],
      reasons: ['sms: no informational consent'],
    });
    // An informational refusal does not stop the notice where marketing is agreed to.
    const refused = customer({ email: 'a@example.com' }, [['email', 'informational', false], ['email', 'marketing', true]]);
    expect(firstChannel(refused, ['email'], 'informational', { legalNotice: true })).toEqual({ channel: 'email', recipient: 'a@example.com' });
  });

  it('marks the dormancy notice and the consent re-confirmation as legal notices, and nothing else', () => {
    expect(templateIds().filter(isLegalNotice).sort()).toEqual(['consent-reconfirmation', 'dormancy-notice']);
  });

  it('finds the push token in the attributes', () => {
    expect(recipientOn(customer({ attributes: { pushToken: 'tok-1' } }), 'push')).toEqual({ recipient: 'tok-1' });
    expect(recipientOn(customer(), 'push')).toEqual({ missing: 'no push token' });
    expect(recipientOn(customer(), 'onsite')).toEqual({ recipient: 'c-1' });
  });
});

describe('templates', () => {
  const cart = { items: [{ productId: 'p-1', name: 'Linen shirt', quantity: 2 }, { productId: 'p-2', quantity: 1 }], value: 50_000 };

  it('renders Korean by default and English for en locales, falling back to product ids', async () => {
    const ko = await renderTemplate('cart-reminder', null, { customer: { name: '민지' }, cart });
    expect(ko).toContain('민지님');
    expect(ko).toContain('- Linen shirt × 2');
    expect(ko).toContain('- p-2 × 1');
    const en = await renderTemplate('cart-reminder', 'en-US', { customer: { name: null }, cart });
    expect(en).toMatch(/^Hi there, the items in your cart/);
  });

  it('fails on a missing variable instead of sending a blank', async () => {
    await expect(renderTemplate('cart-reminder', 'ko', { customer: { name: null } })).rejects.toThrow(TemplateError);
    await expect(renderTemplate('cart-reminder', 'ko', { customer: { name: null } })).rejects.toThrow(/undefined variable: cart/);
    await expect(renderTemplate('no-such-template', 'ko', {})).rejects.toThrow('unknown template "no-such-template"');
  });

  it('has a template for every journey step', () => {
    expect(templateIds().sort()).toEqual(
      ['browse-abandonment', 'cart-reminder', 'consent-reconfirmation', 'dormancy-notice', 'referral-invite', 'review-reminder', 'review-request', 'signup-nudge', 'upsell', 'win-back'].sort(),
    );
  });
});

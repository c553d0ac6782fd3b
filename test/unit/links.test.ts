// Tracked links: signed tokens naming a message and a destination, and the `track` filter of
// the message templates that makes them.
import { describe, expect, it } from 'vitest';
import { clickToken, clickUrl, verifyClickToken } from '../../src/messaging/links';
import { registerTemplate, renderTemplate, TemplateError } from '../../src/messaging/templates';
import { unsubscribeToken } from '../../src/messaging/unsubscribe';

const secret = 'click-secret-0123456789abcdef';
const target = { messageKey: 'cart-reminder:c-1/run-1/reminder', url: 'https://shop.example.com/cart?utm_source=crm' };

/** The token with one character of its payload or signature part changed. */
function flip(token: string, part: 0 | 1): string {
  const parts = token.split('.');
  const text = parts[part];
  parts[part] = `${text.slice(0, 5)}${text[5] === 'A' ? 'B' : 'A'}${text.slice(6)}`;
  return parts.join('.');
}

describe('click tokens', () => {
  it('verify back to the message key and URL they were signed for', () => {
    const token = clickToken(secret, target);
    expect(token).toMatch(/^[\w-]+\.[\w-]+$/); // base64url: safe in a URL path as it is
    expect(verifyClickToken(secret, token)).toEqual(target);
    expect(clickUrl('https://crm.example.com/', token)).toBe(`https://crm.example.com/r/${token}`);
  });

  it('do not verify with a changed payload, a changed signature, another secret, or a malformed token', () => {
    const token = clickToken(secret, target);
    expect(verifyClickToken(secret, flip(token, 0))).toBeNull();
    expect(verifyClickToken(secret, flip(token, 1))).toBeNull();
    // Another destination, with the first token's signature.
    const forged = `${Buffer.from(JSON.stringify({ m: target.messageKey, u: 'https://evil.example.net/' })).toString('base64url')}.${token.split('.')[1]}`;
    expect(verifyClickToken(secret, forged)).toBeNull();
    expect(verifyClickToken('another-secret-0123456789abcdef', token)).toBeNull();
    for (const malformed of ['', '.', token.split('.')[0], `${token}.x`, 'not a token']) expect(verifyClickToken(secret, malformed)).toBeNull();
  });

  it('are not interchangeable with opt-out tokens signed with the same secret', () => {
    expect(verifyClickToken(secret, unsubscribeToken(secret, 'c-1', 'email'))).toBeNull();
  });

  it('are refused for anything but http and https URLs', () => {
    for (const url of ['javascript:alert(1)', 'data:text/html,hi', 'ftp://files.example.com/a', '//shop.example.com/cart', '/cart', 'not a url']) {
      expect(() => clickToken(secret, { ...target, url })).toThrow(/only http and https links/);
    }
    expect(verifyClickToken(secret, clickToken(secret, { ...target, url: 'http://shop.example.com/' }))?.url).toBe('http://shop.example.com/');
  });
});

describe('the track filter in templates', () => {
  const cart = { items: [{ productId: 'p-1', name: 'Linen shirt', quantity: 2 }], value: 50_000 };
  const tracking = { secret, publicUrl: 'https://crm.example.com', messageKey: 'cart-reminder:c-1/run-1/reminder' };

  it('turns the cart link into an /r/ link whose token verifies back to the cart URL of SHOP_URL', async () => {
    const text = await renderTemplate('cart-reminder', 'en', { customer: { name: 'Jane' }, cart, shopUrl: 'https://myshop.example.org', tracking });
    const token = /https:\/\/crm\.example\.com\/r\/(\S+)/.exec(text)?.[1];
    expect(token).toBeDefined();
    expect(verifyClickToken(secret, token!)).toEqual({ messageKey: tracking.messageKey, url: 'https://myshop.example.org/cart' });
    expect(text).not.toContain('myshop.example.org'); // only the signed link, not the destination in clear
  });

  it('links product and review pages with the id escaped in the path', async () => {
    const upsell = await renderTemplate('upsell', 'ko', { customer: { name: null }, products: [{ productId: 'p 1/a', name: 'Socks' }], shopUrl: 'https://myshop.example.org', tracking });
    const token = /\/r\/(\S+)/.exec(upsell)?.[1];
    expect(verifyClickToken(secret, token!)?.url).toBe('https://myshop.example.org/products/p%201%2Fa');
    const review = await renderTemplate('review-request', 'en', { customer: { name: null }, orderId: 'o-1', shopUrl: 'https://myshop.example.org' });
    expect(review).toContain('https://myshop.example.org/orders/o-1/review');
  });

  it('leaves links as they are without a tracking context, on the default shop URL without shopUrl', async () => {
    const text = await renderTemplate('cart-reminder', 'en', { customer: { name: 'Jane' }, cart });
    expect(text).not.toContain('/r/');
    expect(text.split('\n').at(-1)).toBe('https://shop.example.com/cart');
  });

  it('does not let a template read the tracking secret', () => {
    // `tracking` is not a template variable: naming it is an undefined variable, like any other.
    expect(() => registerTemplate({ id: 'leaky', sample: {}, text: { ko: '{{ tracking.secret }}', en: '{{ tracking.secret }}' } })).toThrow(/undefined variable: tracking/);
  });

  it('refuses a tracking context that lacks the secret, public URL or message key', async () => {
    await expect(renderTemplate('cart-reminder', 'en', { customer: { name: null }, cart, tracking: { ...tracking, secret: '' } })).rejects.toThrow(TemplateError);
    await expect(renderTemplate('cart-reminder', 'en', { customer: { name: null }, cart, tracking: { publicUrl: 'https://crm.example.com' } })).rejects.toThrow(/tracking: expected/);
  });
});

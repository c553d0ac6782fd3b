// Message templates in Liquid, per locale (ko, en) and optionally per channel. Each template
// is registered with sample data and rendered with strict variables at registration, so a
// template naming a variable its journey does not supply fails at start-up, never as a blank
// in a customer's message.
//
// Links: `{{ shopUrl | append: "/cart" | track }}`. `shopUrl` is SHOP_URL (given by the caller;
// the default shop URL when not). `track` turns a link into `<PUBLIC_URL>/r/<token>`, which
// records the click and redirects (src/messaging/links.ts), when the caller gives the
// `tracking` variable — `{ secret, publicUrl, messageKey }` — and leaves it as it is otherwise
// (previews). The tracking context is taken out of the template's variables, so no template can
// print the secret.
import { type Context, Liquid } from 'liquidjs';
import { DEFAULT_SHOP_URL, type Channel } from '../config';
import { clickToken, clickUrl } from './links';

// lenientIf: optional values may still be tested with if/unless or given a `default`.
const engine = new Liquid({ strictVariables: true, strictFilters: true, lenientIf: true });

export type Locale = 'ko' | 'en';

export interface TemplateDefinition {
  id: string;
  /** What the journey supplies (besides `customer` and the trigger `event`), with example values: checked at registration. */
  sample: Record<string, unknown>;
  text: Record<Locale, string>;
  /** Shorter or different text for some channels (e.g. SMS). */
  byChannel?: Partial<Record<Channel, Record<Locale, string>>>;
  /**
   * A notice the law requires (dormancy notice, consent re-confirmation): informational, and it
   * also reaches a channel the customer agreed to marketing on (activities/messages.ts).
   */
  legalNotice?: true;
}

export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

/** What `track` signs links with: the variable `tracking` of renderTemplate. */
export interface TrackingContext {
  /** The secret that signs tracked links (the one of opt-out links, UNSUBSCRIBE_SECRET). */
  secret: string;
  /** Where customers reach the API: PUBLIC_URL. */
  publicUrl: string;
  /** The idempotencyKey of the Message the text is for. */
  messageKey: string;
}

/** Where renderTemplate keeps the tracking context in the render scope: no template expression can name it. */
const TRACKING = Symbol('tracking');
type Scope = Record<string | symbol, unknown>;

engine.registerFilter('track', function (this: { context: Context }, url: unknown) {
  if (typeof url !== 'string') throw new Error(`track: expected a link, got ${JSON.stringify(url)}`);
  const tracking = (this.context.environments as Scope)[TRACKING] as TrackingContext | undefined;
  if (!tracking) return url;
  return clickUrl(tracking.publicUrl, clickToken(tracking.secret, { messageKey: tracking.messageKey, url }));
});

/** An id as one segment of a URL path (url_encode would write a space as `+`, which a path keeps as a plus). */
engine.registerFilter('path_segment', (value: unknown) => encodeURIComponent(String(value)));

function isTrackingContext(value: unknown): value is TrackingContext {
  const { secret, publicUrl, messageKey } = (value ?? {}) as Partial<Record<keyof TrackingContext, unknown>>;
  return typeof secret === 'string' && secret !== '' && typeof publicUrl === 'string' && publicUrl !== '' && typeof messageKey === 'string' && messageKey !== '';
}

/** The render scope: the variables without `tracking` (kept where only `track` reads it), with a shop URL. */
function scopeOf(variables: object): Scope {
  const { tracking, ...visible } = variables as Record<string, unknown>;
  if (tracking !== undefined && !isTrackingContext(tracking)) throw new TemplateError('tracking: expected { secret, publicUrl, messageKey }, each a non-empty string');
  return { ...visible, shopUrl: visible.shopUrl ?? DEFAULT_SHOP_URL, [TRACKING]: tracking };
}

const sampleCustomer = { id: 'c-sample', name: '김민지', email: 'minji@example.com', locale: 'ko' };
/** Registration renders with links tracked too, so a template that tracks something other than a web link fails at start-up. */
const sampleTracking: TrackingContext = { secret: 'sample-secret-not-used-for-sending', publicUrl: 'http://localhost:3000', messageKey: 'sample:c-sample/run/step' };
/** Every send also carries the journey's trigger event as `event`. */
export const sampleEvent = { id: 'e-sample', type: 'cart_updated', customerId: 'c-sample', occurredAt: '2026-11-23T09:00:00.000Z', properties: {} };
const registry = new Map<string, TemplateDefinition>();

function variants(definition: TemplateDefinition): [string, string][] {
  const out: [string, string][] = (Object.keys(definition.text) as Locale[]).map((locale) => [locale, definition.text[locale]]);
  for (const [channel, texts] of Object.entries(definition.byChannel ?? {})) {
    for (const [locale, text] of Object.entries(texts)) out.push([`${channel}/${locale}`, text]);
  }
  return out;
}

/** Adds a template after rendering every variant with its sample data; throws TemplateError naming what is wrong. */
export function registerTemplate(definition: TemplateDefinition): void {
  for (const [variant, text] of variants(definition)) {
    try {
      engine.parseAndRenderSync(text, scopeOf({ customer: sampleCustomer, event: sampleEvent, ...definition.sample, tracking: sampleTracking }));
    } catch (error) {
      throw new TemplateError(`template "${definition.id}" (${variant}): ${(error as Error).message}`);
    }
  }
  registry.set(definition.id, definition);
}

export const templateIds = (): string[] => [...registry.keys()];

/** Whether a registered template is a notice the law requires (false for an unknown one: its render fails later). */
export const isLegalNotice = (id: string): boolean => registry.get(id)?.legalNotice === true;

export function templateDefinition(id: string): TemplateDefinition {
  const definition = registry.get(id);
  if (!definition) throw new TemplateError(`unknown template "${id}"`);
  return definition;
}

/**
 * Renders a template for the customer's locale (Korean when unknown) and channel. Besides the
 * template's own variables, `variables` may hold `shopUrl` (SHOP_URL; the default shop URL
 * when absent) and `tracking` ({@link TrackingContext}: links through `track` become tracked
 * `/r/` links; without it they stay as they are).
 */
export async function renderTemplate(templateId: string, locale: string | null | undefined, variables: object, channel?: Channel): Promise<string> {
  return renderContent(templateDefinition(templateId), `template "${templateId}"`, locale, variables, channel);
}

/** Liquid given with a message (a campaign's own content): text per locale, optionally per channel. */
export type InlineContent = Pick<TemplateDefinition, 'text' | 'byChannel'>;

/** Renders a template's or a campaign's text for a locale (ko unless it starts with en) and channel. */
export async function renderContent(content: InlineContent, label: string, locale: string | null | undefined, variables: object, channel?: Channel): Promise<string> {
  const language: Locale = locale?.toLowerCase().startsWith('en') ? 'en' : 'ko';
  const text = (channel && content.byChannel?.[channel]?.[language]) ?? content.text[language];
  try {
    const rendered: string = (await engine.parseAndRender(text, scopeOf(variables))) as string;
    return rendered.trim();
  } catch (error) {
    throw new TemplateError(`${label} (${language}): ${(error as Error).message}`);
  }
}

const lines = (...parts: string[]) => parts.join('\n');
// Tracked links into the shop (see SHOP_URL in src/config.ts).
const cartLink = '{{ shopUrl | append: "/cart" | track }}';
/** Of the variable `product` (the loop variable where there are several). */
const productLink = '{{ product.productId | path_segment | prepend: "/products/" | prepend: shopUrl | track }}';
const reviewLink = '{{ orderId | path_segment | prepend: "/orders/" | prepend: shopUrl | append: "/review" | track }}';
const sampleCart = { items: [{ productId: 'p-1', name: '린넨 셔츠', quantity: 2, price: 25_000 }], value: 50_000 };

registerTemplate({
  id: 'cart-reminder',
  sample: { cart: sampleCart },
  text: {
    ko: lines(
      '{{ customer.name | default: "고객" }}님, 장바구니에 담아 두신 상품이 기다리고 있어요.',
      '{% for item in cart.items %}- {{ item.name | default: item.productId }} × {{ item.quantity }}\n{% endfor %}',
      '합계 {{ cart.value }}원. 지금 주문을 완료해 보세요.',
      cartLink,
    ),
    en: lines(
      'Hi {{ customer.name | default: "there" }}, the items in your cart are waiting for you.',
      '{% for item in cart.items %}- {{ item.name | default: item.productId }} x {{ item.quantity }}\n{% endfor %}',
      'Total {{ cart.value }}. Complete your order now.',
      cartLink,
    ),
  },
  byChannel: {
    sms: {
      ko: lines('{{ customer.name | default: "고객" }}님, 장바구니 상품 {{ cart.items.size }}개가 기다리고 있어요.', cartLink),
      en: lines('{{ cart.items.size }} items are waiting in your cart.', cartLink),
    },
  },
});

registerTemplate({
  id: 'signup-nudge',
  sample: { offer: '첫 구매 10% 할인 쿠폰' },
  text: {
    ko: lines('지금 가입하면 {{ offer }} 혜택을 드려요.', '가입은 1분이면 끝나요.'),
    en: lines('Sign up now and get {{ offer }}.', 'It takes a minute.'),
  },
});

registerTemplate({
  id: 'upsell',
  sample: { products: [{ productId: 'p-2', name: '울 양말', boughtTogether: 3 }] },
  text: {
    ko: lines(
      '{{ customer.name | default: "고객" }}님, 최근 구매하신 상품과 함께 많이 구매한 상품이에요.',
      `{% for product in products %}- {{ product.name | default: product.productId }}: ${productLink}\n{% endfor %}`,
    ),
    en: lines(
      'Hi {{ customer.name | default: "there" }}, customers who bought what you bought also bought:',
      `{% for product in products %}- {{ product.name | default: product.productId }}: ${productLink}\n{% endfor %}`,
    ),
  },
  byChannel: {
    // One product, one link: an SMS stays short.
    sms: {
      ko: `{{ customer.name | default: "고객" }}님께 추천하는 상품{% for product in products limit: 1 %}: {{ product.name | default: product.productId }}\n${productLink}{% endfor %}`,
      en: `Picked for you{% for product in products limit: 1 %}: {{ product.name | default: product.productId }}\n${productLink}{% endfor %}`,
    },
  },
});

registerTemplate({
  id: 'dormancy-notice',
  legalNotice: true,
  // The legally required notice: informational, so it carries no offer (that is the win-back's).
  sample: { dormantOn: '2027-11-23' },
  text: {
    ko: lines(
      '{{ customer.name | default: "고객" }}님, 오랫동안 이용 기록이 없어 {{ dormantOn }}에 계정이 휴면 상태로 전환될 예정입니다.',
      '그 전에 로그인하시면 계정이 유지됩니다.',
    ),
    en: lines(
      'Hi {{ customer.name | default: "there" }}, your account will become dormant on {{ dormantOn }} after a long time without activity.',
      'Sign in before then to keep it.',
    ),
  },
});

registerTemplate({
  id: 'win-back',
  // Marketing, sent as its own message after the dormancy notice: "(광고)", consent, cap, quiet hours.
  sample: { offer: '5,000원 재방문 쿠폰' },
  text: {
    ko: '{{ customer.name | default: "고객" }}님, 다시 찾아주시면 {{ offer }} 혜택을 드려요.',
    en: 'Hi {{ customer.name | default: "there" }}, come back and get {{ offer }}.',
  },
});

registerTemplate({
  id: 'review-request',
  sample: { orderId: 'o-1001' },
  text: {
    ko: lines('{{ customer.name | default: "고객" }}님, 주문({{ orderId }})하신 상품은 마음에 드셨나요? 리뷰를 남겨 주세요.', reviewLink),
    en: lines('Hi {{ customer.name | default: "there" }}, how do you like your order {{ orderId }}? Please leave a review.', reviewLink),
  },
  byChannel: {
    // Without the link it fits one SMS (90 bytes): an informational request stays at the SMS price.
    sms: {
      ko: '{{ customer.name | default: "고객" }}님, 주문({{ orderId }})하신 상품은 마음에 드셨나요? 리뷰를 남겨 주세요.',
      en: 'Hi {{ customer.name | default: "there" }}, how do you like your order {{ orderId }}? Please leave a review.',
    },
  },
});

registerTemplate({
  id: 'review-reminder',
  sample: { orderId: 'o-1001' },
  text: {
    ko: lines('{{ customer.name | default: "고객" }}님, 주문({{ orderId }})에 대한 리뷰를 아직 기다리고 있어요.', reviewLink),
    en: lines('Hi {{ customer.name | default: "there" }}, we would still love your review of order {{ orderId }}.', reviewLink),
  },
  byChannel: {
    sms: {
      ko: '{{ customer.name | default: "고객" }}님, 주문({{ orderId }})에 대한 리뷰를 아직 기다리고 있어요.',
      en: 'Hi {{ customer.name | default: "there" }}, we would still love your review of order {{ orderId }}.',
    },
  },
});

registerTemplate({
  id: 'referral-invite',
  sample: { offer: '5,000원 적립금' },
  text: {
    ko: '{{ customer.name | default: "고객" }}님, 리뷰 감사합니다! 친구를 초대하면 친구와 함께 {{ offer }} 혜택을 받을 수 있어요.',
    en: 'Thank you for your review, {{ customer.name | default: "friend" }}! Invite a friend and you both get {{ offer }}.',
  },
});

registerTemplate({
  id: 'browse-abandonment',
  sample: { product: { productId: 'p-3', name: '데스크 램프' } },
  text: {
    ko: lines('{{ customer.name | default: "고객" }}님, 보고 계시던 {{ product.name | default: product.productId }} 아직 고민 중이신가요?', productLink),
    en: lines('Hi {{ customer.name | default: "there" }}, still thinking about {{ product.name | default: product.productId }}?', productLink),
  },
});

// The consent re-confirmation notice (informational: no advertising format). `consents` as the
// journey reads them (activities/consents.ts); the opt-out links are the signed ones, as they are.
const channelKo = '{% case consent.channel %}{% when "email" %}이메일{% when "sms" %}문자{% when "kakao" %}카카오톡{% when "push" %}앱 푸시{% when "onsite" %}사이트{% else %}{{ consent.channel }}{% endcase %}';
const channelEn = '{% case consent.channel %}{% when "email" %}Email{% when "sms" %}Text{% when "kakao" %}KakaoTalk{% when "push" %}App push{% when "onsite" %}On-site{% else %}{{ consent.channel }}{% endcase %}';
registerTemplate({
  id: 'consent-reconfirmation',
  legalNotice: true,
  sample: {
    sender: 'crm-journeys',
    consents: [
      { channel: 'kakao', purpose: 'marketing', grantedAt: '2024-11-23T09:00:00.000Z', grantedOn: '2024-11-23', nightTime: true, optOutUrl: 'http://localhost:3000/unsubscribe/sample-token' },
      { channel: 'email', purpose: 'marketing', grantedAt: '2025-03-02T01:00:00.000Z', grantedOn: '2025-03-02', nightTime: false, optOutUrl: 'http://localhost:3000/unsubscribe/sample-token-2' },
    ],
  },
  text: {
    ko: lines(
      '[광고성 정보 수신동의 확인 안내]',
      '{{ customer.name | default: "고객" }}님, 법령에 따라 {{ sender }}의 광고성 정보 수신에 동의하신 내역을 알려 드립니다.',
      `{% for consent in consents %}- ${channelKo} 광고성 정보 수신: {{ consent.grantedOn }} 동의{% if consent.nightTime %} (야간 수신 포함){% endif %}\n  수신거부: {{ consent.optOutUrl }}\n{% endfor %}`,
      '동의는 그대로 유지됩니다. 더 받고 싶지 않으시면 위 링크에서 무료로 수신을 거부하실 수 있습니다.',
    ),
    en: lines(
      '[Your marketing consents]',
      'Hi {{ customer.name | default: "there" }}, as the law requires, here is what you agreed to receive from {{ sender }}:',
      `{% for consent in consents %}- ${channelEn} marketing messages: agreed on {{ consent.grantedOn }}{% if consent.nightTime %} (including at night){% endif %}\n  Opt out: {{ consent.optOutUrl }}\n{% endfor %}`,
      'Your consent stays as it is. To stop receiving them, use the link above: opting out is free.',
    ),
  },
});

// Message templates in Liquid, per locale (ko, en) and optionally per channel. Each template
// is registered with sample data and rendered with strict variables at registration, so a
// template naming a variable its journey does not supply fails at start-up, never as a blank
// in a customer's message.
import { Liquid } from 'liquidjs';
import type { Channel } from '../config';

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
}

export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

const sampleCustomer = { id: 'c-sample', name: '김민지', email: 'minji@example.com', locale: 'ko' };
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
      engine.parseAndRenderSync(text, { customer: sampleCustomer, event: sampleEvent, ...definition.sample });
    } catch (error) {
      throw new TemplateError(`template "${definition.id}" (${variant}): ${(error as Error).message}`);
    }
  }
  registry.set(definition.id, definition);
}

export const templateIds = (): string[] => [...registry.keys()];

export function templateDefinition(id: string): TemplateDefinition {
  const definition = registry.get(id);
  if (!definition) throw new TemplateError(`unknown template "${id}"`);
  return definition;
}

/** Renders a template for the customer's locale (Korean when unknown) and channel. */
export async function renderTemplate(templateId: string, locale: string | null | undefined, variables: object, channel?: Channel): Promise<string> {
  const definition = templateDefinition(templateId);
  const language: Locale = locale?.toLowerCase().startsWith('en') ? 'en' : 'ko';
  const text = (channel && definition.byChannel?.[channel]?.[language]) ?? definition.text[language];
  try {
    const rendered: string = (await engine.parseAndRender(text, variables)) as string;
    return rendered.trim();
  } catch (error) {
    throw new TemplateError(`template "${templateId}" (${language}): ${(error as Error).message}`);
  }
}

const lines = (...parts: string[]) => parts.join('\n');
const sampleCart = { items: [{ productId: 'p-1', name: '린넨 셔츠', quantity: 2, price: 25_000 }], value: 50_000 };

registerTemplate({
  id: 'cart-reminder',
  sample: { cart: sampleCart },
  text: {
    ko: lines(
      '{{ customer.name | default: "고객" }}님, 장바구니에 담아 두신 상품이 기다리고 있어요.',
      '{% for item in cart.items %}- {{ item.name | default: item.productId }} × {{ item.quantity }}\n{% endfor %}',
      '합계 {{ cart.value }}원. 지금 주문을 완료해 보세요.',
    ),
    en: lines(
      'Hi {{ customer.name | default: "there" }}, the items in your cart are waiting for you.',
      '{% for item in cart.items %}- {{ item.name | default: item.productId }} x {{ item.quantity }}\n{% endfor %}',
      'Total {{ cart.value }}. Complete your order now.',
    ),
  },
  byChannel: {
    sms: {
      ko: '{{ customer.name | default: "고객" }}님, 장바구니 상품 {{ cart.items.size }}개가 기다리고 있어요.',
      en: '{{ cart.items.size }} items are waiting in your cart.',
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
      '{% for product in products %}- {{ product.name | default: product.productId }}\n{% endfor %}',
    ),
    en: lines(
      'Hi {{ customer.name | default: "there" }}, customers who bought what you bought also bought:',
      '{% for product in products %}- {{ product.name | default: product.productId }}\n{% endfor %}',
    ),
  },
});

registerTemplate({
  id: 'dormancy-notice',
  sample: { dormantOn: '2027-11-23', offer: '5,000원 재방문 쿠폰' },
  text: {
    ko: lines(
      '{{ customer.name | default: "고객" }}님, 오랫동안 이용 기록이 없어 {{ dormantOn }}에 계정이 휴면 상태로 전환될 예정입니다.',
      '그 전에 로그인하시면 계정이 유지됩니다. 다시 찾아주시면 {{ offer }} 혜택을 드려요.',
    ),
    en: lines(
      'Hi {{ customer.name | default: "there" }}, your account will become dormant on {{ dormantOn }} after a long time without activity.',
      'Sign in before then to keep it. Come back and get {{ offer }}.',
    ),
  },
});

registerTemplate({
  id: 'review-request',
  sample: { orderId: 'o-1001' },
  text: {
    ko: '{{ customer.name | default: "고객" }}님, 주문({{ orderId }})하신 상품은 마음에 드셨나요? 리뷰를 남겨 주세요.',
    en: 'Hi {{ customer.name | default: "there" }}, how do you like your order {{ orderId }}? Please leave a review.',
  },
});

registerTemplate({
  id: 'review-reminder',
  sample: { orderId: 'o-1001' },
  text: {
    ko: '{{ customer.name | default: "고객" }}님, 주문({{ orderId }})에 대한 리뷰를 아직 기다리고 있어요.',
    en: 'Hi {{ customer.name | default: "there" }}, we would still love your review of order {{ orderId }}.',
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
    ko: '{{ customer.name | default: "고객" }}님, 보고 계시던 {{ product.name | default: product.productId }} 아직 고민 중이신가요?',
    en: 'Hi {{ customer.name | default: "there" }}, still thinking about {{ product.name | default: product.productId }}?',
  },
});

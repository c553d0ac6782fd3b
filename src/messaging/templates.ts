// Message templates in Liquid. Strict variables: a template that names a variable the
// journey does not supply fails loudly instead of sending a blank to a customer.
import { Liquid } from 'liquidjs';

// lenientIf: optional values may still be tested with if/unless or given a `default`.
const engine = new Liquid({ strictVariables: true, strictFilters: true, lenientIf: true });

type Locale = 'ko' | 'en';

const lines = (...parts: string[]) => parts.join('\n');

const templates: Record<string, Record<Locale, string>> = {
  'cart-reminder': {
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
  'browse-abandonment': {
    ko: '{{ customer.name | default: "고객" }}님, 보고 계시던 {{ product.name | default: product.productId }} 아직 고민 중이신가요?',
    en: 'Hi {{ customer.name | default: "there" }}, still thinking about {{ product.name | default: product.productId }}?',
  },
  'signup-nudge': {
    ko: lines('지금 가입하면 {{ offer }} 혜택을 드려요.', '가입은 1분이면 끝나요.'),
    en: lines('Sign up now and get {{ offer }}.', 'It takes a minute.'),
  },
  upsell: {
    ko: lines(
      '{{ customer.name | default: "고객" }}님, 최근 구매하신 상품과 함께 많이 구매한 상품이에요.',
      '{% for product in products %}- {{ product.name | default: product.productId }}\n{% endfor %}',
    ),
    en: lines(
      'Hi {{ customer.name | default: "there" }}, customers who bought what you bought also bought:',
      '{% for product in products %}- {{ product.name | default: product.productId }}\n{% endfor %}',
    ),
  },
  'dormancy-notice': {
    ko: lines(
      '{{ customer.name | default: "고객" }}님, 오랫동안 이용 기록이 없어 {{ dormantOn }}에 계정이 휴면 상태로 전환될 예정입니다.',
      '그 전에 로그인하시면 계정이 유지됩니다. 다시 찾아주시면 {{ offer }} 혜택을 드려요.',
    ),
    en: lines(
      'Hi {{ customer.name | default: "there" }}, your account will become dormant on {{ dormantOn }} after a long time without activity.',
      'Sign in before then to keep it. Come back and get {{ offer }}.',
    ),
  },
  'review-request': {
    ko: '{{ customer.name | default: "고객" }}님, 주문({{ orderId }})하신 상품은 마음에 드셨나요? 리뷰를 남겨 주세요.',
    en: 'Hi {{ customer.name | default: "there" }}, how do you like your order {{ orderId }}? Please leave a review.',
  },
  'review-reminder': {
    ko: '{{ customer.name | default: "고객" }}님, 주문({{ orderId }})에 대한 리뷰를 아직 기다리고 있어요.',
    en: 'Hi {{ customer.name | default: "there" }}, we would still love your review of order {{ orderId }}.',
  },
  'referral-invite': {
    ko: '{{ customer.name | default: "고객" }}님, 리뷰 감사합니다! 친구를 초대하면 친구와 함께 {{ offer }} 혜택을 받을 수 있어요.',
    en: 'Thank you for your review, {{ customer.name | default: "friend" }}! Invite a friend and you both get {{ offer }}.',
  },
};

/** Template ids, for tests and the authoring docs. */
export const templateIds = (): string[] => Object.keys(templates);

export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

/** Renders a template for the customer's locale (Korean when unknown). */
export async function renderTemplate(templateId: string, locale: string | null | undefined, variables: object): Promise<string> {
  const variants = templates[templateId];
  if (!variants) throw new TemplateError(`unknown template "${templateId}"`);
  const language: Locale = locale?.toLowerCase().startsWith('en') ? 'en' : 'ko';
  try {
    const rendered: string = await engine.parseAndRender(variants[language], variables) as string;
    return rendered.trim();
  } catch (error) {
    throw new TemplateError(`template "${templateId}" (${language}): ${(error as Error).message}`);
  }
}

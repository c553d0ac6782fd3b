// Message templates in Liquid. Strict variables: a template that names a variable the
// journey does not supply fails loudly instead of sending a blank to a customer.
import { Liquid } from 'liquidjs';

const engine = new Liquid({ strictVariables: true, strictFilters: true });

type Locale = 'ko' | 'en';

const templates: Record<string, Record<Locale, string>> = {
  'cart-reminder': {
    ko: [
      '{{ customer.name | default: "고객" }}님, 장바구니에 담아 두신 상품이 기다리고 있어요.',
      '{% for item in cart.items %}- {{ item.name | default: item.productId }} × {{ item.quantity }}\n{% endfor %}',
      '합계 {{ cart.value }}원. 지금 주문을 완료해 보세요.',
    ].join('\n'),
    en: [
      '{{ customer.name | default: "there" }}, the items in your cart are waiting for you.',
      '{% for item in cart.items %}- {{ item.name | default: item.productId }} x {{ item.quantity }}\n{% endfor %}',
      'Total {{ cart.value }}. Complete your order now.',
    ].join('\n'),
  },
};

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

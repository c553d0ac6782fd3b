// The demo shop (`npm run seed`): a deterministic year of a Korean online shop — customers with
// profiles, consents and time zones, page views, carts and orders with a repeat-purchase
// curve, acquisition spend — as plain data. src/seed/simulate.ts feeds it to the product.
//
// The year has two parts. The history (all but the last LIVE_DAYS) is imported as it stood
// when the live part begins: stored, scored and segmented, too old for most journeys. The
// live part happens on a simulated clock, and the real journeys act on it.
//
// The two reference cases of DESIGN.md are planned here, so they come out exactly:
// - Cart: CART_COHORT customers with earlier orders leave a cart unpaid for 24 h and get a
//   FriendTalk reminder; CART_CONVERTERS of them order within its window, for CART_REVENUE.
//   Nothing else reaches them while their reminder's window is open.
// - RFM campaign: its buyers (chosen once its sends are known, simulate.ts) pay
//   CAMPAIGN_REVENUE and redeem coupons worth CAMPAIGN_COST less what the messages cost.
import { fakerKO as faker } from '@faker-js/faker';
import type { JourneyEvent } from '../../workflows/definitions';
import type { CustomerProfileInput } from '../api/customers/schema';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** The deterministic seed of the shop's random numbers. */
export const SHOP_SEED = 20_261_127;
export const CUSTOMERS = 10_000;
/** The last days of the year, played on the simulated clock. */
export const LIVE_DAYS = 30;
export const CART_COHORT = 3_040;
export const CART_CONVERTERS = 100;
export const CART_REVENUE = 2_968_312;
export const CAMPAIGN_REVENUE = 4_765_121;
export const CAMPAIGN_COST = 513_865;
export const CAMPAIGN_BUYERS = 104;
/** FriendTalk at the demo shop's contract price: 3,040 reminders cost 9,323.98 KRW. */
export const FRIENDTALK_COST = '3.0671';
/** Live days (from the live start) when RFM is scored and the campaign goes out (12:00 KST). */
export const RFM_DAY = 21;
export const CAMPAIGN_AT_MS = RFM_DAY * DAY + 3 * HOUR;

export const ACQUISITION_CHANNELS = ['naver', 'instagram', 'kakao', 'google', 'organic'] as const;
/** What a customer costs to acquire, per paid channel (the spend is derived from who came). */
const CAC_TARGET: Record<string, number> = { naver: 18_000, instagram: 24_000, kakao: 15_000, google: 21_000 };

const CATALOGUE = [
  ['p-tee', '오가닉 코튼 티셔츠', '의류', 19_900],
  ['p-knit', '울 블렌드 니트', '의류', 49_000],
  ['p-denim', '와이드 데님 팬츠', '의류', 45_000],
  ['p-coat', '핸드메이드 울 코트', '의류', 189_000],
  ['p-socks', '데일리 양말 5족', '의류', 9_900],
  ['p-serum', '비타민 C 세럼', '뷰티', 28_000],
  ['p-cream', '수분 크림', '뷰티', 32_000],
  ['p-sun', '톤업 선크림', '뷰티', 18_500],
  ['p-mask', '시트 마스크 10매', '뷰티', 12_000],
  ['p-coffee', '싱글 오리진 원두 500g', '식품', 21_000],
  ['p-tea', '제주 녹차 티백', '식품', 11_000],
  ['p-granola', '수제 그래놀라', '식품', 14_500],
  ['p-kimchi', '전라도 포기김치 3kg', '식품', 29_900],
  ['p-mug', '세라믹 머그', '리빙', 15_000],
  ['p-towel', '호텔 타월 4장', '리빙', 26_000],
  ['p-candle', '소이 캔들', '리빙', 22_000],
  ['p-blanket', '극세사 담요', '리빙', 39_000],
  ['p-earbuds', '무선 이어폰', '디지털', 89_000],
  ['p-charger', '고속 충전기', '디지털', 25_000],
  ['p-case', '휴대폰 케이스', '디지털', 16_000],
] as const;

export interface Item {
  productId: string;
  name: string;
  category: string;
  quantity: number;
  price: string;
}

/** An event as the API takes it (validated by src/api/events/schema.ts before it is stored). */
export type ShopEvent = Omit<JourneyEvent, 'seq'>;

export interface ShopCustomer {
  id: string;
  /** When the profile and consents were recorded (the signup). */
  joinedAt: Date;
  channel: (typeof ACQUISITION_CHANNELS)[number];
  profile: CustomerProfileInput;
}

/** Events of one customer (or visitor) that belong together: a cart and its order, a session. */
export interface Bundle {
  who: string;
  at: Date;
  events: ShopEvent[];
  /** A live order that may be dropped (simulate.ts) when the customer got the campaign. */
  order?: boolean;
}

export interface AcquisitionSpend {
  channel: string;
  from: string;
  to: string;
  amount: string;
  currency: 'KRW';
}

export interface Shop {
  yearStart: Date;
  liveStart: Date;
  end: Date;
  customers: ShopCustomer[];
  /** Imported at the live start. */
  history: ShopEvent[];
  /** Played on the simulated clock, by time. */
  live: Bundle[];
  /** Customers who join during the live part (visitors who sign up). */
  joining: { at: Date; customer: ShopCustomer; events: ShopEvent[] }[];
  spend: AcquisitionSpend[];
  cartCohort: string[];
  /** Customers with live activity: never chosen as campaign buyers (another touch could take their orders). */
  busy: Set<string>;
}

const iso = (t: number) => new Date(t).toISOString();
/** The live part's time slot: every live event falls on one (simulate.ts steps by it). */
export const SLOT_MS = 3 * HOUR;
/**
 * Live events fall on 3-hour marks: the journeys' timers (24 h, 3 days, 7 days on) then fire
 * together, and the simulated clock serves them in one round per mark rather than one per
 * event — each round waits on Temporal's round trips, so this is what makes a month quick.
 */
const onTheSlot = (t: number) => Math.floor(t / SLOT_MS) * SLOT_MS;
const won = (n: number) => String(Math.round(n / 10) * 10);

function pickItems(count: number): Item[] {
  return faker.helpers.arrayElements(CATALOGUE, count).map(([productId, name, category, price]) => ({
    productId,
    name,
    category,
    quantity: faker.helpers.weightedArrayElement([
      { weight: 8, value: 1 },
      { weight: 2, value: 2 },
    ]),
    price: String(price),
  }));
}

const valueOf = (items: Item[]) => String(items.reduce((sum, item) => sum + Number(item.price) * item.quantity, 0));

/** An exponential wait with this mean. */
const wait = (meanMs: number) => -Math.log(1 - faker.number.float({ min: 0, max: 0.999999 })) * meanMs;

/** Totals with an exact sum: pairs around the mean (one up, one down), the remainder on the last. */
export function exactTotals(count: number, sum: number, spread: number): number[] {
  const mean = Math.floor(sum / count);
  const totals: number[] = [];
  for (let i = 0; i + 1 < count - 1; i += 2) {
    const delta = faker.number.int({ min: 0, max: spread }) * 10;
    totals.push(mean + delta, mean - delta);
  }
  while (totals.length < count - 1) totals.push(mean);
  totals.push(sum - totals.reduce((a, b) => a + b, 0));
  return totals;
}

class Ids {
  private n = 0;
  next(prefix: string): string {
    this.n += 1;
    return `${prefix}-${this.n.toString(36).padStart(6, '0')}`;
  }
}

export function generateShop(end: Date): Shop {
  faker.seed(SHOP_SEED);
  const ids = new Ids();
  const endMs = end.getTime();
  const yearStart = endMs - 365 * DAY;
  const liveStart = endMs - LIVE_DAYS * DAY;
  const tail = liveStart - 15 * DAY;

  const customers: ShopCustomer[] = [];
  const history: ShopEvent[] = [];
  const ordersBefore = new Map<string, number[]>();
  const ev = (type: string, who: { customerId?: string; anonymousId?: string }, at: number, properties: Record<string, unknown> = {}): ShopEvent => ({
    id: ids.next('evt'),
    type,
    ...who,
    occurredAt: iso(at),
    properties,
  });

  /** A cart, paid `payAfter` later (or never), with its delivery and perhaps a review. */
  const purchase = (customerId: string, at: number, until: number, payAfter: number | null, items = pickItems(faker.number.int({ min: 1, max: 3 })), total?: number): ShopEvent[] => {
    const events = [ev('cart_updated', { customerId }, at, { items, value: valueOf(items) })];
    if (payAfter === null) return events;
    const paidAt = at + payAfter;
    const orderId = ids.next('ord');
    events.push(ev('order_completed', { customerId }, paidAt, { orderId, total: total === undefined ? valueOf(items) : String(total), currency: 'KRW', items }));
    if (paidAt + 2 * DAY < until) events.push(ev('order_delivered', { customerId }, paidAt + 2 * DAY, { orderId }));
    if (paidAt + 6 * DAY < until && faker.number.float() < 0.25) events.push(ev('review_submitted', { customerId }, paidAt + 6 * DAY, { orderId, rating: faker.number.int({ min: 3, max: 5 }) }));
    return events;
  };

  for (let i = 0; i < CUSTOMERS; i += 1) {
    const id = `cus-${String(i + 1).padStart(5, '0')}`;
    // A third were customers before the year began; the rest joined during it.
    const joinedAt = i % 3 === 0 ? yearStart - faker.number.int({ min: 1, max: 365 }) * DAY : faker.number.int({ min: yearStart, max: liveStart - DAY });
    const channel = faker.helpers.weightedArrayElement([
      { weight: 30, value: 'naver' as const },
      { weight: 25, value: 'instagram' as const },
      { weight: 15, value: 'kakao' as const },
      { weight: 15, value: 'google' as const },
      { weight: 15, value: 'organic' as const },
    ]);
    const customer = newCustomer(id, new Date(joinedAt), channel);
    customers.push(customer);
    history.push(ev('signed_up', { customerId: id }, joinedAt, { channel }));

    // Browsing through the year.
    const from = Math.max(joinedAt, yearStart);
    for (let n = faker.number.int({ min: 1, max: 4 }); n > 0; n -= 1) history.push(ev('page_viewed', { customerId: id }, faker.number.int({ min: from, max: liveStart - HOUR }), { path: '/' }));
    for (let n = faker.number.int({ min: 0, max: 2 }); n > 0; n -= 1) {
      const [productId, name] = faker.helpers.arrayElement(CATALOGUE);
      history.push(ev('product_viewed', { customerId: id }, faker.number.int({ min: from, max: liveStart - HOUR }), { productId, name }));
    }

    // Orders: most buy soon after joining; how often they come back depends on loyalty.
    const loyalty = faker.number.float();
    const orders: number[] = [];
    let t = joinedAt < yearStart ? yearStart + wait(60 * DAY) : joinedAt + wait(12 * DAY);
    let buys = faker.number.float() < (joinedAt < yearStart ? 0.75 : 0.65);
    while (buys && t < liveStart - HOUR) {
      history.push(...purchase(id, t, liveStart, faker.number.int({ min: 5, max: 40 }) * 60_000));
      orders.push(t);
      buys = faker.number.float() < 0.35 + 0.45 * loyalty;
      t += wait((25 + 50 * (1 - loyalty)) * DAY);
    }
    ordersBefore.set(id, orders);
    // Some carts are left; the old ones are history, too old for a reminder now.
    if (faker.number.float() < 0.15 && from < liveStart - 6 * DAY) history.push(...purchase(id, faker.number.int({ min: from, max: liveStart - 5 * DAY }), liveStart, null));
  }

  // The cart cohort: earlier orders (before the tail, so no upsell or review is under way),
  // a FriendTalk consent; their tail activity is taken out so nothing else reaches them.
  const kakao = (c: ShopCustomer) => c.profile.attributes?.kakaoFriend === true;
  const eligible = customers.filter((c) => kakao(c) && ordersBefore.get(c.id)!.some((t) => t < tail));
  const cartCohort = faker.helpers.shuffle(eligible).slice(0, CART_COHORT).map((c) => c.id);
  const inCohort = new Set(cartCohort);
  if (cartCohort.length < CART_COHORT) throw new Error(`the shop has ${cartCohort.length} customers for the cart case, needs ${CART_COHORT}`);
  const keptHistory = history.filter((e) => !(e.customerId && inCohort.has(e.customerId) && Date.parse(e.occurredAt) >= tail && e.type !== 'page_viewed'));

  const live: Bundle[] = [];
  const busy = new Set<string>(cartCohort);
  const bundle = (who: string, events: ShopEvent[], order = false) => live.push({ who, at: new Date(events[0].occurredAt), events, ...(order ? { order } : {}) });

  // Cart case: carts on live days 0.5–18; every 30th of the cohort orders 60 h later (after the
  // reminder, held or not, and inside its 3-day window).
  const converterTotals = exactTotals(CART_CONVERTERS, CART_REVENUE, 600);
  const cartConverters: string[] = [];
  cartCohort.forEach((id, n) => {
    const at = onTheSlot(liveStart + faker.number.int({ min: DAY / 2, max: 18 * DAY }));
    const converts = n % 30 === 0 && cartConverters.length < CART_CONVERTERS;
    if (converts) {
      const events = purchase(id, at, endMs, 60 * HOUR, undefined, converterTotals[cartConverters.length]);
      cartConverters.push(id);
      bundle(id, events);
    } else bundle(id, purchase(id, at, endMs, null));
  });

  // Everyone else: carts paid within the day, carts of customers who never bought (no reminder:
  // no earlier order), orders, and some coming back for more.
  const others = faker.helpers.shuffle(customers.filter((c) => !inCohort.has(c.id)));
  const neverBought = others.filter((c) => ordersBefore.get(c.id)!.length === 0);
  const buyers = others.filter((c) => ordersBefore.get(c.id)!.length > 0);
  // No order of theirs may straddle the campaign's send (a cart before it, paid after: simulate.ts
  // drops whole bundles of its recipients, never half of one).
  const campaignAt = liveStart + CAMPAIGN_AT_MS;
  const notOnTheEve = (at: number) => (at >= campaignAt - DAY && at < campaignAt ? at - DAY : at);
  for (const c of neverBought.slice(0, 120)) {
    busy.add(c.id);
    bundle(c.id, purchase(c.id, onTheSlot(liveStart + faker.number.int({ min: 0, max: 26 * DAY })), endMs, null));
  }
  for (const [n, c] of buyers.slice(0, 500).entries()) {
    busy.add(c.id);
    const at = notOnTheEve(onTheSlot(liveStart + faker.number.int({ min: HOUR, max: 28 * DAY })));
    // Paid within 18 hours: stored (at most a step late, simulate.ts) before the reminder is due.
    bundle(c.id, purchase(c.id, at, endMs, faker.number.int({ min: 1, max: 6 }) * SLOT_MS), true);
    const again = notOnTheEve(at + faker.number.int({ min: 8, max: 20 }) * DAY);
    if (n % 3 === 0 && again < endMs - SLOT_MS) bundle(c.id, purchase(c.id, again, endMs, SLOT_MS), true);
  }

  // Visitors: two to four pages in one sitting; some sign up a few days later.
  const joining: Shop['joining'] = [];
  for (let v = 0; v < 100; v += 1) {
    const anonymousId = `visitor-${String(v + 1).padStart(4, '0')}`;
    const at = onTheSlot(liveStart + faker.number.int({ min: 0, max: 24 * DAY }));
    const pages = faker.number.int({ min: 2, max: 4 });
    bundle(anonymousId, Array.from({ length: pages }, (_, p) => ev('page_viewed', { anonymousId }, at, { path: p ? `/products/${faker.helpers.arrayElement(CATALOGUE)[0]}` : '/' })));
    if (v % 10 < 3) {
      const joinedAt = onTheSlot(at + faker.number.int({ min: HOUR, max: 4 * DAY }));
      const id = `cus-${String(CUSTOMERS + v + 1).padStart(5, '0')}`;
      const customer = newCustomer(id, new Date(joinedAt), faker.helpers.arrayElement(ACQUISITION_CHANNELS));
      busy.add(id);
      joining.push({ at: new Date(joinedAt), customer, events: [ev('signed_up', { customerId: id, anonymousId }, joinedAt, { channel: customer.channel })] });
    }
  }
  live.sort((a, b) => a.at.getTime() - b.at.getTime());

  return {
    yearStart: new Date(yearStart),
    liveStart: new Date(liveStart),
    end,
    customers,
    history: keptHistory,
    live,
    joining,
    spend: acquisitionSpend([...customers, ...joining.map((j) => j.customer)], yearStart, endMs),
    cartCohort,
    busy,
  };
}

function newCustomer(id: string, joinedAt: Date, channel: ShopCustomer['channel']): ShopCustomer {
  const sex = faker.person.sexType();
  const timezone = faker.helpers.weightedArrayElement([
    { weight: 92, value: 'Asia/Seoul' },
    { weight: 3, value: 'Asia/Tokyo' },
    { weight: 3, value: 'America/Los_Angeles' },
    { weight: 2, value: 'Europe/London' },
  ]);
  const marketing = (channelName: 'kakao' | 'email' | 'sms', share: number) => ({ channel: channelName, purpose: 'marketing' as const, granted: faker.number.float() < share });
  const kakao = marketing('kakao', 0.75);
  return {
    id,
    joinedAt,
    channel,
    profile: {
      name: `${faker.person.lastName()}${faker.person.firstName(sex)}`,
      email: `${id}@example.com`,
      phone: `+8210${faker.string.numeric(8)}`,
      locale: 'ko',
      timezone,
      attributes: {
        acquisitionChannel: channel,
        // FriendTalk reaches those who added the shop's KakaoTalk channel: most who agreed to it.
        kakaoFriend: kakao.granted && faker.number.float() < 0.97,
        gender: sex === 'female' ? 'F' : 'M',
        birthYear: faker.number.int({ min: 1965, max: 2005 }),
        interests: faker.helpers.arrayElements(['의류', '뷰티', '식품', '리빙', '디지털'], { min: 1, max: 3 }),
      },
      consents: [kakao, marketing('email', 0.6), marketing('sms', 0.35)],
    },
  };
}

/** Monthly spend per paid channel: what its target CAC says the month's newcomers cost. */
function acquisitionSpend(customers: ShopCustomer[], yearStart: number, endMs: number): AcquisitionSpend[] {
  const months = new Map<string, number>();
  for (const c of customers) {
    const t = c.joinedAt.getTime();
    if (t < yearStart || t >= endMs || !CAC_TARGET[c.channel]) continue;
    const key = `${c.channel} ${c.joinedAt.toISOString().slice(0, 7)}`;
    months.set(key, (months.get(key) ?? 0) + 1);
  }
  return [...months.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, count]) => {
      const [channel, month] = key.split(' ');
      const [y, m] = month.split('-').map(Number);
      const last = new Date(Date.UTC(y, m, 0)).getUTCDate();
      // Roughly the target, varying by month.
      return { channel, from: `${month}-01`, to: `${month}-${String(last).padStart(2, '0')}`, amount: won(count * CAC_TARGET[channel] * faker.number.float({ min: 0.8, max: 1.25 })), currency: 'KRW' as const };
    });
}

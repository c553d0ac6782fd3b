// Plays the demo shop (src/seed/shop.ts) through the product: profiles and consents through
// the customers service, events through ingest (validated as the API validates them), the
// dispatcher routing them to the real journeys, run by the real worker and activities on the
// simulated clock (src/seed/time-machine.ts), RFM scored by its workflow, and one RFM campaign
// created as POST /v1/campaigns creates it. Nothing is written beside the product.
//
// Dormancy watchers and consent re-confirmations live for months and years: their deliveries
// are left for the product's own dispatcher (`npm start`), which starts them on its Temporal.
import { Context } from '@temporalio/activity';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type pg from 'pg';
import { addAcquisitionSpend, acquisitionSpendSchema } from '../api/acquisition-spend/router';
import { importCustomers, upsertCustomer } from '../api/customers/service';
import { customerProfileSchema } from '../api/customers/schema';
import { eventBatchSchema, MAX_BATCH } from '../api/events/schema';
import { ingestEvents } from '../api/events/service';
import { createCampaignSchema } from '../campaigns/schema';
import { campaignWorkflowId, createCampaign } from '../campaigns/service';
import type { Config } from '../config';
import type { Db } from '../db';
import { Dispatcher } from '../dispatch/dispatcher';
import { journeyRoutes } from '../routing/routes';
import { campaignStateQuery } from '../../workflows/definitions';
import { bundleJourneys, createJourneyWorker, defaultProviders, messagingSettings } from '../worker';
import { CAMPAIGN_AT_MS, CAMPAIGN_BUYERS, CAMPAIGN_COST, CAMPAIGN_REVENUE, exactTotals, RFM_DAY, SLOT_MS, type Bundle, type Shop, type ShopEvent } from './shop';
import { startTimeMachine } from './time-machine';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** The journeys played on the simulated clock; the long-lived ones are left for `npm start`. */
export const SIMULATED_JOURNEYS = ['cart-reminder', 'signup-nudge', 'upsell', 'review-request', 'browse-abandonment'];
export const CAMPAIGN_SEGMENTS = ['champions', 'at risk', 'potential loyalist', 'need attention'];

export interface PlayDeps {
  db: Db;
  pool: pg.Pool;
  databaseUrl: string;
  config: Config;
  log: (line: string) => void;
}

export interface Played {
  campaignId: string;
}

/** The time of the activity being run, on the simulated clock (when the server scheduled it). */
export function simulatedClock(): Date {
  return new Date(Context.current().info.currentAttemptScheduledTimestampMs);
}

export async function playShop(deps: PlayDeps, shop: Shop): Promise<Played> {
  const { db, config, log } = deps;
  Runtime.install({ logger: new DefaultLogger('WARN') });
  // The time machine (a JVM) and the workflow bundle (webpack) take seconds to get ready, and the
  // history needs neither: all three at once.
  const [machine, bundle, history] = await Promise.allSettled([startTimeMachine(shop.liveStart, log), bundleJourneys(), importHistory(deps, shop)]);
  if (machine.status === 'rejected' || bundle.status === 'rejected' || history.status === 'rejected') {
    if (machine.status === 'fulfilled') await machine.value.teardown();
    throw [machine, bundle, history].flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []))[0];
  }
  const env = machine.value;
  try {
    const worker = await createJourneyWorker({
      connection: env.nativeConnection,
      namespace: 'default',
      taskQueue: config.temporal.taskQueue,
      db,
      pool: deps.pool,
      workflowBundle: bundle.value,
      messaging: messagingSettings(config),
      journeys: config.journeys,
      config,
      providers: defaultProviders(db),
      clock: simulatedClock,
      // Every journey of the month stays cached: a task never replays a history from the start.
      // Two pollers a queue (the SDK's default is 10 on each of ours): on two cores the extra
      // long polls cost the test server and the worker CPU without taking more work.
      tuning: {
        maxCachedWorkflows: 20_000,
        maxConcurrentWorkflowTaskExecutions: 100,
        maxConcurrentActivityTaskExecutions: 64,
        maxConcurrentWorkflowTaskPolls: 2,
        maxConcurrentActivityTaskPolls: 2,
        shutdownGraceTime: '1 second',
      },
    });
    const dispatcher = new Dispatcher({
      databaseUrl: deps.databaseUrl,
      client: env.client,
      config,
      concurrency: 16,
      routes: journeyRoutes.filter((route) => SIMULATED_JOURNEYS.includes(route.journey)),
      // Each step's events are all stored before the step waits for them: nothing to gather.
      gatherMs: 0,
      // Its backlog counts the deliveries left for `npm start` too: not news here.
      log: (line) => /event deliveries waiting/.test(line) || log(line),
    });
    let played: Played | undefined;
    await worker.runUntil(async () => {
      try {
        played = await play({ ...deps, env, dispatcher }, shop, history.value);
      } finally {
        await dispatcher.stop();
      }
    });
    return played!;
  } finally {
    await env.teardown();
  }
}

type Deps = PlayDeps & { env: TestWorkflowEnvironment; dispatcher: Dispatcher };

/** Stores events as POST /v1/events does, in batches of its size, received at `at`. */
async function storeEvents({ pool, config }: PlayDeps, events: ShopEvent[], at: Date): Promise<void> {
  for (let i = 0; i < events.length; i += MAX_BATCH) {
    const batch = eventBatchSchema.parse({ events: events.slice(i, i + MAX_BATCH) });
    await ingestEvents({ pool, config }, batch.events, at);
  }
}

/** The history, imported as it stood at the live start (no journey hears of it yet). Answers when it began. */
async function importHistory(deps: PlayDeps, shop: Shop): Promise<number> {
  const { db, config, log } = deps;
  const started = Date.now();
  // Pages of 500 in four lanes at once (pages share no customer).
  const pages = Array.from({ length: Math.ceil(shop.customers.length / 500) }, (_, i) => shop.customers.slice(i * 500, (i + 1) * 500));
  let imported = 0;
  await Promise.all(
    Array.from({ length: 4 }, async (_, lane) => {
      for (let i = lane; i < pages.length; i += 4) {
        await importCustomers(deps.pool, config, pages[i].map((c) => ({ id: c.id, profile: customerProfileSchema.parse(c.profile), at: c.joinedAt })));
        imported += pages[i].length;
        if (imported % 2_500 === 0) log(`  ${imported.toLocaleString('en')} customers with their consents`);
      }
    }),
  );
  // In four lanes of customers at once (each customer's events stay in order in its lane).
  const history = [...shop.history].sort((a, b) => a.occurredAt.localeCompare(b.occurredAt));
  const lanes = Array.from({ length: 4 }, (_, lane) => history.filter((e) => laneOf(e.customerId ?? e.anonymousId ?? '') === lane));
  let stored = 0;
  await Promise.all(
    lanes.map(async (lane) => {
      for (let i = 0; i < lane.length; i += MAX_BATCH) {
        await storeEvents(deps, lane.slice(i, i + MAX_BATCH), shop.liveStart);
        stored += Math.min(MAX_BATCH, lane.length - i);
        if (stored % 20_000 < MAX_BATCH) log(`  ${stored.toLocaleString('en')} of ${history.length.toLocaleString('en')} events of the year`);
      }
    }),
  );
  for (const spend of shop.spend) await addAcquisitionSpend(db, acquisitionSpendSchema.parse(spend));
  log(`  history imported in ${((Date.now() - started) / 1000).toFixed(1)} s: ${shop.customers.length.toLocaleString('en')} customers, ${history.length.toLocaleString('en')} events, ${shop.spend.length} months of acquisition spend`);
  return started;
}

async function play(deps: Deps, shop: Shop, started: number): Promise<Played> {
  const { db, config, log, env } = deps;
  const now = async () => new Date(await env.currentTimeMs());
  const store = (events: ShopEvent[], at: Date) => storeEvents(deps, events, at);

  // Only now: a journey gets the whole imported history of its run in one signal (a cart with
  // the order that paid it), never a cart whose order is still being imported.
  deps.dispatcher.start();
  await drained(deps);

  // The live days, a step at a time.
  const events = shop.live.flatMap((bundle) => bundle.events.map((event) => ({ event, bundle })));
  events.sort((a, b) => a.event.occurredAt.localeCompare(b.event.occurredAt));
  const joining = [...shop.joining].sort((a, b) => a.at.getTime() - b.at.getTime());
  const dropped = new Set<Bundle>();
  const extra: ShopEvent[] = [];
  let next = 0;
  let nextJoining = 0;
  let campaignId: string | undefined;
  const liveStart = shop.liveStart.getTime();
  const milestones = { rfm: liveStart + RFM_DAY * DAY, campaign: liveStart + CAMPAIGN_AT_MS, buyers: liveStart + CAMPAIGN_AT_MS + DAY };
  let lastDay = -1;
  for (;;) {
    const at = await now();
    const t = at.getTime();
    const day = Math.floor((t - liveStart) / DAY);
    if (day !== lastDay && day % 5 === 0) log(`  live day ${day} of ${Math.round((shop.end.getTime() - liveStart) / DAY)} (${at.toISOString().slice(0, 10)}), ${((Date.now() - started) / 1000).toFixed(0)} s`);
    lastDay = day;

    while (nextJoining < joining.length && joining[nextJoining].at.getTime() <= t) {
      const { customer, events: signup } = joining[nextJoining++];
      await upsertCustomer(db, config, customer.id, customerProfileSchema.parse(customer.profile), at);
      await store(signup, at);
    }
    const due: ShopEvent[] = [];
    while (next < events.length && Date.parse(events[next].event.occurredAt) <= t) {
      const { event, bundle } = events[next++];
      if (!dropped.has(bundle)) due.push(event);
    }
    const extraDue = extra.filter((e) => Date.parse(e.occurredAt) <= t);
    if (extraDue.length) extra.splice(0, extraDue.length);
    await store([...due, ...extraDue].sort((a, b) => a.occurredAt.localeCompare(b.occurredAt)), at);

    if (t >= milestones.rfm && milestones.rfm) {
      milestones.rfm = 0;
      await scoreRfm(deps);
    }
    if (t >= milestones.campaign && milestones.campaign) {
      milestones.campaign = 0;
      campaignId = await startCampaign(deps);
      dropOrdersOfRecipients(await messagedBy(deps, campaignId), t, events, dropped);
    }
    if (t >= milestones.buyers && milestones.buyers && campaignId) {
      milestones.buyers = 0;
      extra.push(...(await planCampaignOrders(deps, shop, campaignId, t)));
    }
    await drained(deps);
    if (t >= shop.end.getTime()) break;
    // To the next step boundary on the shop's calendar (the server's clock drifts by the real seconds each step takes).
    await env.sleep(Math.min(liveStart + (Math.floor((t - liveStart) / SLOT_MS) + 1) * SLOT_MS, shop.end.getTime()) - t);
  }
  return { campaignId: campaignId! };
}

const laneOf = (who: string) => [...who].reduce((sum, ch) => sum + ch.charCodeAt(0), 0) % 4;

/** Waits until the dispatcher has handed every due event of the played journeys to Temporal. */
async function drained({ pool }: Deps): Promise<void> {
  for (;;) {
    const { rows } = await pool.query<{ pending: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM "EventDelivery" WHERE "deliveredAt" IS NULL AND journey = ANY($1::text[]) AND "notBefore" <= now()) AS pending`,
      [SIMULATED_JOURNEYS],
    );
    if (!rows[0].pending) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * Polls `done` until it holds, letting the clock move 50 ms between polls (not the days a
 * result() could skip): the server's clock moves only when it skips, and an activity's retry
 * (a timer) must still come due.
 */
async function until(env: TestWorkflowEnvironment, done: () => Promise<boolean>): Promise<void> {
  while (!(await done())) await env.sleep(50);
}

/** Waits for a workflow to complete. */
async function finished(env: TestWorkflowEnvironment, workflowId: string): Promise<void> {
  await until(env, async () => {
    const { status } = await env.client.workflow.getHandle(workflowId).describe();
    if (status.name !== 'RUNNING' && status.name !== 'COMPLETED') throw new Error(`${workflowId} ended ${status.name}`);
    return status.name === 'COMPLETED';
  });
}

async function scoreRfm({ env, config, log }: Deps): Promise<void> {
  const workflowId = 'rfm-scoring-demo-shop';
  await env.client.workflow.start('rfmScoring', { workflowId, taskQueue: config.temporal.taskQueue, args: [{}] });
  await finished(env, workflowId);
  log('  RFM scored');
}

/** Customers the campaign sent to or is about to (held for quiet hours). */
async function messagedBy({ db }: Deps, campaignId: string): Promise<Set<string>> {
  const messages = await db.message.findMany({ where: { workflowId: campaignWorkflowId(campaignId), status: { in: ['sent', 'held', 'pending'] } }, select: { customerId: true } });
  return new Set(messages.map((m) => m.customerId).filter((id): id is string => id !== null));
}

/**
 * Orders other recipients had planned inside the campaign's window (and a day around it) are
 * dropped — they did not buy — so that the campaign's attributed orders are its planned buyers'.
 */
function dropOrdersOfRecipients(recipients: Set<string>, sentAt: number, events: { bundle: Bundle }[], dropped: Set<Bundle>): void {
  for (const { bundle } of events) {
    const at = bundle.at.getTime();
    if (bundle.order && recipients.has(bundle.who) && at >= sentAt - DAY && at < sentAt + 8 * DAY) dropped.add(bundle);
  }
}

/** The RFM thank-you campaign, as POST /v1/campaigns would create it. */
async function startCampaign({ db, pool, env, config, log }: Deps): Promise<string> {
  const input = createCampaignSchema.parse({
    name: 'RFM 감사 쿠폰: VIP, 이탈 위기, 잠재 충성, 관심 필요',
    audience: { rules: { rfm: CAMPAIGN_SEGMENTS } },
    content: {
      ko: '{{ customer.name }}님, 늘 감사합니다. {{ offer.text }}',
      byChannel: { kakao: { ko: '{{ customer.name }}님, 감사의 마음을 담아 쿠폰을 드려요. {{ offer.text }}' } },
    },
    purpose: 'marketing',
    channels: ['kakao', 'email'],
    offer: { text: '10% 할인 쿠폰 THANKS10 (7일간)', coupon: 'THANKS10' },
    holdoutPercent: 10,
    windowDays: 7,
  });
  const { id } = await createCampaign({ db, pool, client: env.client, config }, input);
  // The audience is taken and sent in pages: wait until every page is out (held ones follow).
  const handle = env.client.workflow.getHandle(campaignWorkflowId(id));
  await until(env, async () => {
    const state = await handle.query(campaignStateQuery).catch(() => null);
    return state?.audience !== undefined && state.audience !== null && (state.processed ?? 0) >= state.audience;
  });
  log(`  campaign ${id} (${campaignWorkflowId(id)}) sent`);
  return id;
}

/**
 * The campaign's buyers, chosen once its sends are known: recipients with nothing else going on
 * (no live orders, carts or signups, so no other message can be their last touch), ordering
 * within its window with the coupon. Their orders pay CAMPAIGN_REVENUE and their coupons make
 * the campaign's cost CAMPAIGN_COST. The control group orders as it would have anyway (the
 * shop's own live orders; none are dropped for them): the lift's baseline.
 */
async function planCampaignOrders({ db }: Deps, shop: Shop, campaignId: string, t: number) {
  const messages = await db.message.findMany({ where: { workflowId: campaignWorkflowId(campaignId) }, select: { customerId: true, status: true, cost: true, sentAt: true }, orderBy: { customerId: 'asc' } });
  const sent = messages.filter((m) => m.status === 'sent');
  const quiet = (id: string | null): id is string => id !== null && !shop.busy.has(id);
  const candidates = sent.map((m) => m.customerId).filter(quiet);
  if (candidates.length < CAMPAIGN_BUYERS) throw new Error(`the campaign reached ${candidates.length} customers free to buy, needs ${CAMPAIGN_BUYERS}`);
  const every = Math.floor(candidates.length / CAMPAIGN_BUYERS);
  const chosen = Array.from({ length: CAMPAIGN_BUYERS }, (_, i) => candidates[i * every]);
  // Coupons: what is left of the campaign's cost after its messages (rounded to the won, as reported).
  const messageCost = sent.reduce((sum, m) => sum + Number(m.cost), 0);
  const coupons = CAMPAIGN_COST - Math.round(messageCost);
  const totals = exactTotals(CAMPAIGN_BUYERS, CAMPAIGN_REVENUE, 900);
  const discounts = totals.map((total) => Math.round((total * coupons) / CAMPAIGN_REVENUE));
  discounts[discounts.length - 1] += coupons - discounts.reduce((a, b) => a + b, 0);
  const order = (customerId: string, at: number, total: number, discount: number): ShopEvent => ({
    id: `evt-campaign-${customerId}`,
    type: 'order_completed',
    customerId,
    occurredAt: new Date(at).toISOString(),
    properties: {
      orderId: `ord-campaign-${customerId}`,
      total: String(total),
      currency: 'KRW',
      items: [{ productId: 'p-knit', name: '울 블렌드 니트', category: '의류', quantity: 1, price: String(total + discount) }],
      coupon: 'THANKS10',
      discount: String(discount),
    },
  });
  // On the 3-hour marks, as every live event (shop.ts), over the next four days.
  const spread = (i: number) => Math.floor(t / SLOT_MS) * SLOT_MS + SLOT_MS + ((i * 7919) % 32) * SLOT_MS;
  const orders = chosen.map((id, i) => order(id, spread(i), totals[i], discounts[i]));
  return orders.sort((a, b) => a.occurredAt.localeCompare(b.occurredAt));
}

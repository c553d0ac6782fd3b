// The dispatcher against a real dev server and PostgreSQL: several dispatchers at once, one
// killed mid-batch, and a history import. What each journey received is read back from its
// Temporal history (the signals it was sent), so the checks do not trust the dispatcher.
import { defaultPayloadConverter, type Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dispatcher } from '../../src/dispatch/dispatcher';
import { journeyRoutes } from '../../src/routing/routes';
import type { JourneyEvent } from '../../workflows/definitions';
import { eventually, startStack, type Stack } from '../helpers/stack';
import { spawnWorker, type WorkerProcess } from '../helpers/worker-process';

let stack: Stack;
beforeAll(async () => {
  // Deliveries only: no worker runs the journeys, and the dispatchers are the tests' own.
  stack = await startStack({ worker: false, dispatcher: false, env: { CART_REMINDER_DELAY: '1h' } });
});
afterAll(async () => {
  await stack?.stop();
});

/** The events a journey run was sent, in the order Temporal received them. */
async function received(client: Client, workflowId: string): Promise<JourneyEvent[]> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const events: JourneyEvent[] = [];
  for (const entry of history.events ?? []) {
    const signal = entry.workflowExecutionSignaledEventAttributes;
    if (!signal?.input?.payloads?.length) continue;
    const value = defaultPayloadConverter.fromPayload(signal.input.payloads[0]);
    if (signal.signalName === 'journeyEvents') events.push(...(value as JourneyEvent[]));
  }
  return events;
}

const cart = (customer: number, i: number, prefix = 'dc') => ({ id: `cart-${prefix}-${customer}-${i}`, type: 'cart_updated', customerId: `${prefix}-${customer}`, properties: { items: [], value: i } });

async function post(events: unknown[]) {
  const response = await stack.api('POST', '/v1/events', { events });
  expect(response.status).toBe(202);
}

async function drained(timeoutMs = 120_000) {
  await eventually(async () => expect(await stack.db.eventDelivery.count({ where: { deliveredAt: null } })).toBe(0), { timeoutMs, intervalMs: 500 });
}

describe('two dispatchers', () => {
  it('drain 5,000 events for 500 customers: each (event, journey) delivered once, in order per journey run', { timeout: 300_000 }, async () => {
    const deliveredBy: Record<string, Map<string, number[]>> = { a: new Map(), b: new Map() };
    const record = (name: 'a' | 'b') => (workflowId: string, events: JourneyEvent[]) => {
      const seqs = deliveredBy[name].get(workflowId) ?? [];
      seqs.push(...events.map((e) => e.seq!));
      deliveredBy[name].set(workflowId, seqs);
    };
    const dispatchers: Dispatcher[] = [stack.startDispatcher({ onDelivered: record('a') }), stack.startDispatcher({ onDelivered: record('b') })];
    // Events keep arriving while both drain: 10 rounds of one cart change per customer.
    for (let round = 0; round < 10; round += 1) {
      await post(Array.from({ length: 250 }, (_, i) => cart(i, round)));
      await post(Array.from({ length: 250 }, (_, i) => cart(250 + i, round)));
    }
    await drained();
    await Promise.all(dispatchers.map((d) => d.stop()));

    const deliveries = await stack.db.eventDelivery.findMany({ where: { event: { customerId: { startsWith: 'dc-' } } }, select: { id: true, workflowId: true, attempts: true, outcome: true } });
    expect(deliveries).toHaveLength(5000 + 500); // a cart reminder per event, and each customer's dormancy watcher once
    // Recorded once each, by one dispatcher or the other.
    expect(deliveries.every((d) => d.attempts === 1 && d.outcome === 'started-or-signalled')).toBe(true);
    const seen = new Map<string, number[]>();
    for (const name of ['a', 'b'] as const) {
      for (const [workflowId, seqs] of deliveredBy[name]) seen.set(workflowId, [...(seen.get(workflowId) ?? []), ...seqs]);
    }
    expect(deliveredBy.a.size).toBeGreaterThan(0);
    expect(deliveredBy.b.size).toBeGreaterThan(0);
    const allSeqs = [...seen.values()].flat().sort((x, y) => x - y);
    expect(allSeqs).toEqual(deliveries.map((d) => Number(d.id)).sort((x, y) => x - y));

    // What Temporal holds, for a sample of journeys: every cart change once, in the order stored.
    for (const customer of [0, 137, 249, 250, 499]) {
      const events = await received(stack.client, `cart-reminder:dc-${customer}`);
      expect(events.map((e) => e.id)).toEqual(Array.from({ length: 10 }, (_, round) => `cart-dc-${customer}-${round}`));
      const seqs = events.map((e) => e.seq!);
      expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    }
  });
});

describe('a dispatcher killed mid-batch', () => {
  let dispatcherProcess: WorkerProcess | undefined;
  afterAll(() => {
    if (dispatcherProcess?.child.exitCode === null) dispatcherProcess.child.kill('SIGKILL');
  });

  it('loses nothing: another dispatcher delivers the rest, every journey gets each event in order', { timeout: 300_000 }, async () => {
    const customers = 200;
    const rounds = 10;
    for (let round = 0; round < rounds; round += 1) await post(Array.from({ length: customers }, (_, i) => cart(i, round, 'kd')));
    const total = await stack.db.eventDelivery.count({ where: { deliveredAt: null } });
    expect(total).toBe(customers * rounds + customers);

    // A dispatcher in its own process, killed with SIGKILL once it has delivered some.
    dispatcherProcess = spawnWorker(stack, { DISPATCH_CONCURRENCY: '4' }, 'dispatcher');
    await dispatcherProcess.ready();
    const deliveredOfThisTest = () => stack.db.eventDelivery.count({ where: { deliveredAt: { not: null }, workflowId: { startsWith: 'cart-reminder:kd-' } } });
    await eventually(async () => expect(await deliveredOfThisTest()).toBeGreaterThan(20), { timeoutMs: 90_000, intervalMs: 20 });
    dispatcherProcess.child.kill('SIGKILL');
    await dispatcherProcess.exited;
    // Killed mid-way: some of this test's deliveries were made, others were not.
    const made = await deliveredOfThisTest();
    expect(made).toBeGreaterThan(0);
    expect(made).toBeLessThan(customers * rounds);

    const survivor = stack.startDispatcher();
    await drained();
    await survivor.stop();

    for (let i = 0; i < customers; i += 1) {
      const events = await received(stack.client, `cart-reminder:kd-${i}`);
      // Possibly a batch twice (the killed one's, whose recording never committed), never out of
      // order: what the journey keeps after dropping repeats by seq is exactly the stored order.
      const kept: JourneyEvent[] = [];
      for (const event of events) if (!kept.length || event.seq! > kept[kept.length - 1].seq!) kept.push(event);
      expect(kept.map((e) => e.id)).toEqual(Array.from({ length: rounds }, (_, round) => `cart-kd-${i}-${round}`));
      for (const event of events) expect(kept.some((k) => k.seq === event.seq && k.id === event.id)).toBe(true);
    }
  });
});

describe('a dispatcher stopped with SIGTERM', () => {
  it('finishes what it has in flight and records it, so nothing is delivered twice', { timeout: 300_000 }, async () => {
    const customers = 150;
    for (let round = 0; round < 6; round += 1) await post(Array.from({ length: customers }, (_, i) => cart(i, round, 'st')));
    const dispatcher = spawnWorker(stack, { DISPATCH_CONCURRENCY: '8' }, 'dispatcher');
    try {
      await dispatcher.ready();
      await eventually(async () => expect(await stack.db.eventDelivery.count({ where: { deliveredAt: { not: null }, workflowId: { startsWith: 'cart-reminder:st-' } } })).toBeGreaterThan(30), { timeoutMs: 90_000, intervalMs: 20 });
      dispatcher.child.kill('SIGTERM');
      expect(await dispatcher.exited).toBe(0);
      expect(dispatcher.output()).toContain('Stopped.');
    } finally {
      if (dispatcher.child.exitCode === null) dispatcher.child.kill('SIGKILL');
    }
    const survivor = stack.startDispatcher();
    await drained();
    await survivor.stop();
    for (let i = 0; i < customers; i += 1) {
      const events = await received(stack.client, `cart-reminder:st-${i}`);
      // Every signal Temporal got was recorded before the process exited: none came twice.
      expect(events.map((e) => e.id)).toEqual(Array.from({ length: 6 }, (_, round) => `cart-st-${i}-${round}`));
    }
  });
});

describe('a dispatcher for some journeys', () => {
  it('delivers only its journeys\' events and leaves the others for another dispatcher', { timeout: 120_000 }, async () => {
    const pendingOf = async (journey: string) => stack.db.eventDelivery.count({ where: { journey, deliveredAt: null, event: { customerId: { startsWith: 'dj-' } } } });
    const carts = stack.startDispatcher({ routes: journeyRoutes.filter((route) => route.journey === 'cart-reminder'), gatherMs: 0 });
    await post(Array.from({ length: 20 }, (_, i) => cart(i, 0, 'dj')));
    await eventually(async () => expect(await pendingOf('cart-reminder')).toBe(0), { timeoutMs: 60_000, intervalMs: 200 });
    // Each new customer's dormancy watcher was planned too, and is not this dispatcher's.
    expect(await pendingOf('dormancy')).toBe(20);
    const events = await received(stack.client, 'cart-reminder:dj-7');
    expect(events.map((e) => e.id)).toEqual(['cart-dj-7-0']);
    await carts.stop();

    const everything = stack.startDispatcher();
    await eventually(async () => expect(await pendingOf('dormancy')).toBe(0), { timeoutMs: 60_000, intervalMs: 200 });
    await everything.stop();
  });
});

describe('a history import', () => {
  it('stores 100,000 old events for segments and RFM but starts no journey', { timeout: 240_000 }, async () => {
    const before = await stack.db.eventDelivery.count();
    const longAgo = (i: number) => new Date(Date.parse('2024-06-01T00:00:00Z') + i * 60_000).toISOString();
    const event = (i: number) =>
      i % 5 === 0
        ? { id: `imp-o-${i}`, type: 'order_completed', customerId: `imp-${i % 5000}`, occurredAt: longAgo(i), properties: { orderId: `imp-o-${i}`, total: 1000, currency: 'KRW', items: [{ productId: `p-${i % 50}`, price: 1000 }] } }
        : { id: `imp-${i}`, type: ['page_viewed', 'cart_updated', 'order_delivered', 'product_viewed'][i % 4], customerId: `imp-${i % 5000}`, occurredAt: longAgo(i), properties: i % 4 === 1 ? { items: [], value: 0 } : i % 4 === 2 ? { orderId: `imp-o-${i - 2}` } : {} };
    for (let at = 0; at < 100_000; at += 500) {
      const response = await stack.api('POST', '/v1/events', { events: Array.from({ length: 500 }, (_, i) => event(at + i)) });
      expect(response).toEqual({ status: 202, body: { accepted: 500, duplicates: 0 } });
    }
    expect(await stack.db.event.count({ where: { customerId: { startsWith: 'imp-' } } })).toBe(100_000);
    expect(await stack.db.order.count({ where: { customerId: { startsWith: 'imp-' } } })).toBe(20_000);
    // No journey of any kind: not one delivery planned.
    expect(await stack.db.eventDelivery.count()).toBe(before);
    const customer = await stack.db.customer.findUniqueOrThrow({ where: { id: 'imp-4999' } });
    expect(customer.lastSeenAt?.toISOString()).toBe(longAgo(99_999));
  });
});

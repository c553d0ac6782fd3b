// The snippet's event queue (src/sdk/browser/queue.ts): batching, retries with the same event
// ids and growing backoff (Retry-After honoured), 4xx dropped, nothing sent while paused
// (consent), the beacon on page hide, and a bound on what is kept.
import { describe, expect, it } from 'vitest';
import { EventQueue, type QueuedEvent, type QueueOptions } from '../../src/sdk/browser/queue';

/** Timers under the test's control: `due()` lists the delays asked for, `runNext()` fires the earliest. */
function manualTimers() {
  let timers: { run: () => void; ms: number; id: number }[] = [];
  let next = 0;
  return {
    setTimer: (run: () => void, ms: number) => {
      const id = ++next;
      timers.push({ run, ms, id });
      return id;
    },
    clearTimer: (id: unknown) => {
      timers = timers.filter((timer) => timer.id !== id);
    },
    due: () => timers.map((timer) => timer.ms),
    async runNext() {
      const timer = timers.sort((a, b) => a.ms - b.ms).shift();
      timer?.run();
      // Let the send's promise settle.
      for (let i = 0; i < 5; i += 1) await Promise.resolve();
    },
  };
}

const event = (i: number): QueuedEvent => ({ id: `e-${i}`, type: 'page_viewed', anonymousId: 'v-1', occurredAt: '2026-12-02T00:00:00.000Z', properties: { path: `/${i}` } });

function queueWith(answers: ({ status: number; retryAfterS?: number } | Error)[], options: Partial<QueueOptions> = {}) {
  const timers = manualTimers();
  const sent: string[][] = [];
  const queue = new EventQueue({
    send: (events) => {
      sent.push(events.map((e) => e.id));
      const answer = answers.shift() ?? { status: 202 };
      return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
    },
    setTimer: timers.setTimer,
    clearTimer: timers.clearTimer,
    ...options,
  });
  return { queue, timers, sent };
}

describe('the snippet event queue', () => {
  it('waits flushDelayMs for company, then sends the events in one batch', async () => {
    const { queue, timers, sent } = queueWith([]);
    queue.push(event(1));
    queue.push(event(2));
    expect(timers.due()).toEqual([1000]);
    expect(sent).toEqual([]);
    await timers.runNext();
    expect(sent).toEqual([['e-1', 'e-2']]);
    expect(queue.size).toBe(0);
  });

  it('sends at once when a batch is full, and the rest in the next batch', async () => {
    const { queue, timers, sent } = queueWith([], { batchSize: 2 });
    for (let i = 1; i <= 3; i += 1) queue.push(event(i));
    expect(timers.due()).toEqual([0]);
    await timers.runNext();
    await timers.runNext();
    expect(sent).toEqual([['e-1', 'e-2'], ['e-3']]);
  });

  it('retries a network failure, a 5xx and a 429 with the same events and ids, backing off 1 s, 2 s, then Retry-After', async () => {
    const { queue, timers, sent } = queueWith([new Error('offline'), { status: 503 }, { status: 429, retryAfterS: 30 }, { status: 202 }]);
    queue.push(event(1));
    await timers.runNext();
    expect(timers.due()).toEqual([1000]);
    await timers.runNext();
    expect(timers.due()).toEqual([2000]);
    await timers.runNext();
    expect(timers.due()).toEqual([30_000]);
    await timers.runNext();
    expect(sent).toEqual([['e-1'], ['e-1'], ['e-1'], ['e-1']]);
    expect(queue.size).toBe(0);
    expect(timers.due()).toEqual([]);
  });

  it('drops a batch the API refuses for good (400) and goes on with the next', async () => {
    const { queue, timers, sent } = queueWith([{ status: 400 }], { batchSize: 1 });
    queue.push(event(1));
    queue.push(event(2));
    await timers.runNext();
    await timers.runNext();
    expect(sent).toEqual([['e-1'], ['e-2']]);
    expect(queue.size).toBe(0);
  });

  it('caps the backoff at maxBackoffMs', async () => {
    const { queue, timers } = queueWith(Array.from({ length: 10 }, () => ({ status: 500 })), { maxBackoffMs: 5000 });
    queue.push(event(1));
    const delays: number[] = [];
    for (let i = 0; i < 6; i += 1) {
      await timers.runNext();
      delays.push(...timers.due());
    }
    expect(delays).toEqual([1000, 2000, 4000, 5000, 5000, 5000]);
  });

  it('sends nothing while paused and everything kept once resumed', async () => {
    const { queue, timers, sent } = queueWith([]);
    queue.pause();
    queue.push(event(1));
    await queue.flush();
    expect(timers.due()).toEqual([]);
    expect(sent).toEqual([]);
    queue.resume();
    await timers.runNext();
    expect(sent).toEqual([['e-1']]);
  });

  it('hands what is left to the beacon when the page hides, in batches, and keeps what the browser refuses', () => {
    const beaconed: string[][] = [];
    let accept = true;
    const { queue } = queueWith([], { batchSize: 2, beacon: (events) => (accept ? (beaconed.push(events.map((e) => e.id)), true) : false) });
    for (let i = 1; i <= 3; i += 1) queue.push(event(i));
    queue.flushWithBeacon();
    expect(beaconed).toEqual([['e-1', 'e-2'], ['e-3']]);
    expect(queue.size).toBe(0);
    accept = false;
    queue.push(event(4));
    queue.flushWithBeacon();
    expect(queue.size).toBe(1);
  });

  it('keeps at most maxQueued events while nothing can be sent, dropping the oldest', async () => {
    const { queue, timers, sent } = queueWith([], { maxQueued: 3 });
    queue.pause();
    for (let i = 1; i <= 5; i += 1) queue.push(event(i));
    expect(queue.size).toBe(3);
    queue.resume();
    await timers.runNext();
    expect(sent).toEqual([['e-3', 'e-4', 'e-5']]);
  });
});

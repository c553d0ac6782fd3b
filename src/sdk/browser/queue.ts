// The snippet's event queue (browser code, no DOM needed: unit-tested in Node). Events wait here
// and go in batches; a batch that fails for a reason that may pass (network, 5xx, 429) is tried
// again with backoff, the same events with the same ids, so the API stores each once; a 4xx
// other than 429 drops the batch (sending it again would fail again). While the page hides, what
// is left goes with `sendBeacon`.

export interface QueuedEvent {
  id: string;
  type: string;
  anonymousId?: string;
  customerId?: string;
  occurredAt: string;
  properties: Record<string, unknown>;
}

export type Transport = (events: QueuedEvent[]) => Promise<{ status: number; retryAfterS?: number }>;
export type Beacon = (events: QueuedEvent[]) => boolean;

export interface QueueOptions {
  send: Transport;
  beacon?: Beacon;
  /** Events per request (the API takes up to 500). */
  batchSize?: number;
  /** How long the first event waits for company. */
  flushDelayMs?: number;
  /** Backoff after the first failure, doubled after each until maxBackoffMs. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** The most events kept while the API cannot be reached (the oldest go first). */
  maxQueued?: number;
  setTimer?: (run: () => void, ms: number) => unknown;
  clearTimer?: (timer: unknown) => void;
}

export class EventQueue {
  private readonly pending: QueuedEvent[] = [];
  private timer: unknown;
  private sending = false;
  private failures = 0;
  private paused = false;
  private readonly o: Required<Omit<QueueOptions, 'beacon'>> & Pick<QueueOptions, 'beacon'>;

  constructor(options: QueueOptions) {
    this.o = {
      batchSize: 50,
      flushDelayMs: 1000,
      backoffMs: 1000,
      maxBackoffMs: 60_000,
      maxQueued: 1000,
      setTimer: (run, ms) => setTimeout(run, ms),
      clearTimer: (timer) => clearTimeout(timer as ReturnType<typeof setTimeout>),
      ...options,
    };
  }

  /** Events waiting (for tests and for the beacon). */
  get size(): number {
    return this.pending.length;
  }

  /** Nothing leaves while paused (consent not given yet); events wait. */
  pause(): void {
    this.paused = true;
    this.cancelTimer();
  }

  resume(): void {
    this.paused = false;
    if (this.pending.length) this.schedule(this.o.flushDelayMs);
  }

  push(event: QueuedEvent): void {
    this.pending.push(event);
    if (this.pending.length > this.o.maxQueued) this.pending.splice(0, this.pending.length - this.o.maxQueued);
    if (this.paused) return;
    if (this.pending.length >= this.o.batchSize) this.schedule(0);
    else if (this.timer === undefined) this.schedule(this.o.flushDelayMs);
  }

  /** Sends one batch now; resolves when it is answered (used by the timer and by tests). */
  async flush(): Promise<void> {
    this.cancelTimer();
    if (this.paused || this.sending || this.pending.length === 0) return;
    this.sending = true;
    const batch = this.pending.slice(0, this.o.batchSize);
    let answer: { status: number; retryAfterS?: number };
    try {
      answer = await this.o.send(batch);
    } catch {
      answer = { status: 0 };
    }
    this.sending = false;
    const retry = answer.status === 0 || answer.status === 429 || answer.status >= 500;
    if (!retry) {
      // Stored (2xx) or refused for good (4xx): either way these are done.
      this.pending.splice(0, batch.length);
      this.failures = 0;
      if (this.pending.length) this.schedule(0);
      return;
    }
    this.failures += 1;
    const backoff = Math.min(this.o.backoffMs * 2 ** (this.failures - 1), this.o.maxBackoffMs);
    this.schedule(Math.max(backoff, (answer.retryAfterS ?? 0) * 1000));
  }

  /** The page is going away: hand everything to the beacon (which cannot be retried). */
  flushWithBeacon(): void {
    if (this.paused || !this.o.beacon || this.pending.length === 0) return;
    this.cancelTimer();
    while (this.pending.length) {
      const batch = this.pending.slice(0, this.o.batchSize);
      if (!this.o.beacon(batch)) return; // the browser refused (too much queued): keep them for next time
      this.pending.splice(0, batch.length);
    }
  }

  private schedule(ms: number): void {
    this.cancelTimer();
    this.timer = this.o.setTimer(() => {
      this.timer = undefined;
      void this.flush();
    }, ms);
  }

  private cancelTimer(): void {
    if (this.timer !== undefined) this.o.clearTimer(this.timer);
    this.timer = undefined;
  }
}

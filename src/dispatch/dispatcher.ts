// The dispatcher drains the event outbox (EventDelivery rows written with each event) into
// Temporal. Any number of dispatchers may run against one database:
//
// - Work is claimed per journey run (workflow id) with a transaction-scoped advisory lock,
//   so one dispatcher at a time delivers a given run, and it takes all of that run's pending
//   deliveries in order: each journey sees its events in the order they were stored.
// - A run's pending events go as one signal (signalWithStart with the list); different runs
//   are delivered in parallel.
// - Delivery is recorded in the same transaction that holds the lock, after Temporal accepted
//   the signal. A dispatcher that dies mid-batch loses its lock with its connection; another
//   delivers the batch again, and the journey drops what it already has (by `seq`).
// - While Temporal is unreachable nothing is lost: events stay pending and the dispatcher
//   retries with backoff. It wakes at once on new events (LISTEN/NOTIFY), and polls too.
import type { Client } from '@temporalio/client';
import pLimit from 'p-limit';
import pg from 'pg';
import type { JourneyEvent } from '../../workflows/definitions';
import { DELIVERY_CHANNEL } from '../api/events/service';
import type { Config } from '../config';
import { createPool } from '../db';
import { log } from '../log';
import { deliveryLatency, dispatchFailures, journeyDeliveries } from '../metrics';
import { journeyRoutes, type JourneyRoute } from '../routing/routes';
import { deliverToJourney, type DeliveryOutcome } from './deliver';

export interface DispatcherOptions {
  databaseUrl: string;
  client: Client;
  config: Config;
  /** Journey runs delivered at once (DISPATCH_CONCURRENCY). */
  concurrency: number;
  log?: (line: string) => void;
  /** The journeys this dispatcher delivers (default: all). Given, deliveries to other journeys are left for another dispatcher. */
  routes?: readonly JourneyRoute[];
  /**
   * After being woken by new events, how long to gather more before claiming (default 25 ms): a
   * busy journey then gets them in one signal. The demo shop, which stores a step's events
   * before it waits for them, needs no gathering.
   */
  gatherMs?: number;
  /** Called after a delivery is recorded (tests and benchmarks observe the order through it). */
  onDelivered?: (workflowId: string, events: JourneyEvent[]) => void;
}

export interface Backlog {
  /** Deliveries not yet made. */
  backlog: number;
  /** Age of the oldest of them, in milliseconds (0 when none). */
  oldestMs: number;
}

type BacklogRow = { backlog: number; oldestMs: number | null };
/** How much is waiting, and since when (GET /readyz, and the dispatcher's log). */
export const BACKLOG_SQL = `SELECT count(*)::int AS backlog, (extract(epoch FROM now() - min("createdAt")) * 1000)::float8 AS "oldestMs"
  FROM "EventDelivery" WHERE "deliveredAt" IS NULL`;
export const toBacklog = (row: BacklogRow): Backlog => ({ backlog: row.backlog, oldestMs: Math.max(0, Math.round(row.oldestMs ?? 0)) });

/** Events of one run per signal, at most: a long backlog goes in several signals, in order. */
const MAX_EVENTS_PER_SIGNAL = 500;
const POLL_MS = 1000;
const GATHER_MS = 25;

interface PendingRow {
  id: string;
  journey: string;
  mode: 'start' | 'signal';
  idempotencyKey: string;
  type: string;
  customerId: string | null;
  anonymousId: string | null;
  occurredAt: Date;
  properties: Record<string, unknown>;
  receivedAt: Date;
  requestId: string | null;
}

type RunResult = 'delivered' | 'busy' | 'empty' | 'failed' | 'temporal-unavailable';

export class Dispatcher {
  private readonly pool: pg.Pool;
  private readonly log: (line: string) => void;
  private readonly routes: readonly JourneyRoute[];
  /** Set when `routes` was given: only these journeys' deliveries are claimed. */
  private readonly journeys: string[] | null;
  private listener: pg.Client | undefined;
  private stopping = false;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private stopped: Promise<void> | undefined;
  private temporalBackoffMs = 0;
  private lastBacklogLog = 0;
  private lastGrowthCheck = 0;
  private lastBacklog = 0;

  constructor(private readonly options: DispatcherOptions) {
    this.pool = createPool(options.databaseUrl, { size: options.concurrency + 2, connectTimeoutMs: 5000 });
    this.log = options.log ?? ((line) => log.warn(line));
    this.routes = options.routes ?? journeyRoutes;
    this.journeys = options.routes ? options.routes.map((route) => route.journey) : null;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Stops claiming work, finishes what is in flight, and closes its connections. Idempotent. */
  stop(): Promise<void> {
    this.stopped ??= (async () => {
      this.stopping = true;
      this.wake?.();
      await this.loop;
      await this.listener?.end().catch(() => undefined);
      await this.pool.end();
    })();
    return this.stopped;
  }

  async backlog(): Promise<Backlog> {
    const { rows } = await this.pool.query<BacklogRow>(BACKLOG_SQL);
    return toBacklog(rows[0]);
  }

  private async run(): Promise<void> {
    const limit = pLimit(this.options.concurrency);
    let databaseBackoffMs = 0;
    while (!this.stopping) {
      await this.ensureListening();
      let workflowIds: string[];
      try {
        workflowIds = await this.candidates(this.options.concurrency * 4);
        databaseBackoffMs = 0;
      } catch (error) {
        databaseBackoffMs = Math.min(Math.max(databaseBackoffMs * 2, 250), 5000);
        this.log(`dispatch: database unavailable (${(error as Error).message}); retrying in ${databaseBackoffMs} ms`);
        await this.pause(databaseBackoffMs);
        continue;
      }
      if (workflowIds.length === 0) {
        await this.pause(POLL_MS);
        // Woken by new events: gather a moment's worth, so a busy journey gets them in one
        // signal and one round serves many journeys (still well within a second).
        const gatherMs = this.options.gatherMs ?? GATHER_MS;
        if (!this.stopping && gatherMs > 0) await new Promise((resolve) => setTimeout(resolve, gatherMs));
        continue;
      }
      const results = await Promise.all(workflowIds.map((workflowId) => limit(() => this.deliverRun(workflowId))));
      await this.logIfGrowing();
      if (results.includes('temporal-unavailable')) {
        this.temporalBackoffMs = Math.min(Math.max(this.temporalBackoffMs * 2, 250), 5000);
        await this.logBacklog(`Temporal unavailable; retrying in ${this.temporalBackoffMs} ms`);
        await this.pause(this.temporalBackoffMs);
      } else {
        this.temporalBackoffMs = 0;
        // Everything claimable was locked by other dispatchers: give them a moment.
        if (!results.includes('delivered')) await this.pause(50);
      }
    }
  }

  /** Journey runs with deliveries due, oldest first. */
  private async candidates(limit: number): Promise<string[]> {
    // Two statements, not one with `$2 IS NULL OR …`: a prepared statement's generic plan could
    // not use the per-journey index (EventDelivery_pending_journey_idx) for either.
    const { rows } = await this.pool.query<{ workflowId: string }>(
      this.journeys
        ? {
            name: 'dispatch-candidates-of-journeys',
            text: `SELECT "workflowId" FROM "EventDelivery"
                   WHERE "deliveredAt" IS NULL AND "notBefore" <= now() AND journey = ANY($2::text[])
                   GROUP BY "workflowId" ORDER BY min(id) LIMIT $1`,
            values: [limit, this.journeys],
          }
        : {
            name: 'dispatch-candidates',
            text: `SELECT "workflowId" FROM "EventDelivery"
                   WHERE "deliveredAt" IS NULL AND "notBefore" <= now()
                   GROUP BY "workflowId" ORDER BY min(id) LIMIT $1`,
            values: [limit],
          },
    );
    return rows.map((row) => row.workflowId);
  }

  /** Delivers every pending event of one journey run, holding the run's lock meanwhile. */
  private async deliverRun(workflowId: string): Promise<RunResult> {
    let connection: pg.PoolClient;
    try {
      connection = await this.pool.connect();
    } catch {
      return 'failed';
    }
    let ids: string[] = [];
    try {
      await connection.query('BEGIN');
      const { rows: lock } = await connection.query<{ locked: boolean }>('SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0)) AS locked', [workflowId]);
      if (!lock[0].locked) {
        await connection.query('ROLLBACK');
        return 'busy';
      }
      const { rows } = await connection.query<PendingRow>({
        name: 'dispatch-pending-of-run',
        text: `SELECT d.id, d.journey, d.mode, e."idempotencyKey", e.type, e."customerId", e."anonymousId", e."occurredAt", e.properties,
                      e."receivedAt", e."requestId"
               FROM "EventDelivery" d JOIN "Event" e ON e.id = d."eventId"
               WHERE d."workflowId" = $1 AND d."deliveredAt" IS NULL
               ORDER BY d.id LIMIT $2`,
        values: [workflowId, MAX_EVENTS_PER_SIGNAL],
      });
      if (rows.length === 0) {
        await connection.query('ROLLBACK');
        return 'empty';
      }
      ids = rows.map((row) => row.id);
      const route = this.routes.find((r) => r.journey === rows[0].journey);
      if (!route) throw new Error(`no route for journey "${rows[0].journey}"`);
      const pending = rows.map((row) => ({ mode: row.mode, event: toJourneyEvent(row) }));
      const outcomes: DeliveryOutcome[] = await deliverToJourney(this.options.client, this.options.config, route, workflowId, pending);
      await connection.query({
        name: 'dispatch-record-delivered',
        text: `UPDATE "EventDelivery" AS d SET "deliveredAt" = now(), outcome = x.outcome, attempts = d.attempts + 1, "lastError" = NULL
               FROM unnest($1::bigint[], $2::text[]) AS x(id, outcome) WHERE d.id = x.id`,
        values: [ids, outcomes],
      });
      await connection.query('COMMIT');
      this.options.onDelivered?.(workflowId, pending.map((p) => p.event));
      this.recordDelivered(workflowId, rows, outcomes);
      return 'delivered';
    } catch (error) {
      await connection.query('ROLLBACK').catch(() => undefined);
      const unavailable = isTemporalUnavailable(error);
      if (ids.length) {
        // A journey-specific failure backs off that run alone; Temporal being away pauses all.
        await this.pool
          .query(
            `UPDATE "EventDelivery" SET attempts = attempts + 1, "lastError" = $2,
               "notBefore" = now() + make_interval(secs => $3::float8 * least(power(2, attempts), 600))
             WHERE id = ANY($1::bigint[])`,
            [ids, (error as Error).message.slice(0, 1000), unavailable ? 0 : 0.5],
          )
          .catch(() => undefined);
      }
      dispatchFailures.inc({ reason: unavailable ? 'temporal-unavailable' : 'failed' });
      if (!unavailable) this.log(`dispatch: delivering to ${workflowId} failed, will retry: ${(error as Error).message}`);
      return unavailable ? 'temporal-unavailable' : 'failed';
    } finally {
      connection.release();
    }
  }

  /** Metrics, and one log line per run with the API requests the events came in (X-Request-Id). */
  private recordDelivered(workflowId: string, rows: PendingRow[], outcomes: DeliveryOutcome[]): void {
    const now = Date.now();
    rows.forEach((row, index) => {
      journeyDeliveries.inc({ journey: row.journey, outcome: outcomes[index] });
      deliveryLatency.observe({ journey: row.journey }, Math.max(0, now - row.receivedAt.getTime()) / 1000);
    });
    const requestIds = [...new Set(rows.flatMap((row) => (row.requestId ? [row.requestId] : [])))];
    log.info(
      { workflowId, journey: rows[0].journey, events: rows.map((row) => row.type), outcomes: [...new Set(outcomes)], requestIds },
      `dispatch: ${rows.length} event(s) to ${workflowId}`,
    );
  }

  /** LISTEN for new events on a connection of its own (re-established after a failure). */
  private async ensureListening(): Promise<void> {
    if (this.listener || this.stopping) return;
    const listener = new pg.Client({ connectionString: this.options.databaseUrl, connectionTimeoutMillis: 5000 });
    const lost = () => {
      if (this.listener === listener) this.listener = undefined;
      void listener.end().catch(() => undefined);
    };
    listener.on('error', lost);
    listener.on('end', lost);
    listener.on('notification', () => this.wake?.());
    try {
      await listener.connect();
      await listener.query(`LISTEN ${DELIVERY_CHANNEL}`);
      this.listener = listener;
    } catch {
      lost();
    }
  }

  /** Waits `ms`, or less if new events arrive or the dispatcher stops. */
  private pause(ms: number): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  /** Every 10 s while busy: if the backlog grew since the last look, say so (it is falling behind). */
  private async logIfGrowing(): Promise<void> {
    if (Date.now() - this.lastGrowthCheck < 10_000) return;
    this.lastGrowthCheck = Date.now();
    const { backlog, oldestMs } = await this.backlog().catch(() => ({ backlog: 0, oldestMs: 0 }));
    if (backlog > this.lastBacklog && backlog >= 100) this.log(`dispatch: ${backlog} event deliveries waiting (oldest ${Math.round(oldestMs / 1000)} s), up from ${this.lastBacklog}`);
    this.lastBacklog = backlog;
  }

  private async logBacklog(reason: string): Promise<void> {
    if (Date.now() - this.lastBacklogLog < 10_000) return;
    this.lastBacklogLog = Date.now();
    const { backlog, oldestMs } = await this.backlog().catch(() => ({ backlog: NaN, oldestMs: NaN }));
    this.log(`dispatch: ${backlog} event deliveries waiting (oldest ${Math.round(oldestMs / 1000)} s): ${reason}`);
  }
}

function toJourneyEvent(row: PendingRow): JourneyEvent {
  return {
    id: row.idempotencyKey,
    type: row.type,
    ...(row.customerId ? { customerId: row.customerId } : {}),
    ...(row.anonymousId ? { anonymousId: row.anonymousId } : {}),
    occurredAt: row.occurredAt.toISOString(),
    properties: row.properties,
    seq: Number(row.id),
    // For the journey's activities' log lines (workflows/interceptors.ts); journeys ignore it.
    ...(row.requestId ? { requestId: row.requestId } : {}),
  };
}

/** Temporal down or unreachable (as opposed to a problem with one journey). */
export function isTemporalUnavailable(error: unknown): boolean {
  const e = error as { code?: number; cause?: { code?: number }; message?: string } | null;
  const code = e?.code ?? e?.cause?.code;
  // gRPC UNAVAILABLE (14) and DEADLINE_EXCEEDED (4).
  if (code === 14 || code === 4) return true;
  return /UNAVAILABLE|DEADLINE_EXCEEDED|ECONNREFUSED|connect|transport/i.test(e?.message ?? '');
}

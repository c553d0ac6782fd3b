// Prometheus metrics (prom-client) of this process: what the API, the dispatcher and the worker
// count, and Node's own. GET /metrics serves them on the API's port (admin key); a worker or
// dispatcher running as its own process serves them on METRICS_PORT (src/metrics-server.ts).
// The Temporal worker's own metrics (Temporal core's Prometheus exporter) are appended there.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export const registry = new Registry();
collectDefaultMetrics({ register: registry });

export const eventsAccepted = new Counter({
  name: 'crm_events_accepted_total',
  help: 'Events stored by POST /v1/events, by type (duplicates not included)',
  labelNames: ['type'] as const,
  registers: [registry],
});

export const eventsDuplicate = new Counter({
  name: 'crm_events_duplicates_total',
  help: 'Events sent again with an id already stored, by type (acknowledged, not stored twice)',
  labelNames: ['type'] as const,
  registers: [registry],
});

export const journeyDeliveries = new Counter({
  name: 'crm_journey_deliveries_total',
  help: 'Events the dispatcher delivered to journeys, by journey and outcome (started-or-signalled: signalWithStart; signalled: to a running journey; not-running; already-done)',
  labelNames: ['journey', 'outcome'] as const,
  registers: [registry],
});

export const deliveryLatency = new Histogram({
  name: 'crm_dispatch_delivery_latency_seconds',
  help: 'From an event being stored to its delivery to the journey being recorded',
  labelNames: ['journey'] as const,
  buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
  registers: [registry],
});

export const dispatchFailures = new Counter({
  name: 'crm_dispatch_failures_total',
  help: 'Journey runs whose delivery failed and will be retried, by reason (temporal-unavailable or failed)',
  labelNames: ['reason'] as const,
  registers: [registry],
});

export const messageOutcomes = new Counter({
  name: 'crm_message_outcomes_total',
  help: 'Outcomes of journey and campaign sends, by channel and status (sent, held, suppressed, holdout, failed, cancelled…); a retried send counts each outcome it returns',
  labelNames: ['channel', 'status'] as const,
  registers: [registry],
});

export const providerLatency = new Histogram({
  name: 'crm_provider_request_duration_seconds',
  help: 'Calls to channel providers, by channel, provider and result (ok, error)',
  labelNames: ['channel', 'provider', 'result'] as const,
  buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

export const httpDuration = new Histogram({
  name: 'crm_http_request_duration_seconds',
  help: 'API requests, by method, route pattern and status',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers: [registry],
});

/** Read from the database at each scrape (by whichever process serves /metrics). */
export function backlogGauges(read: () => Promise<{ backlog: number; oldestMs: number }>): void {
  let last: Promise<{ backlog: number; oldestMs: number }> | undefined;
  // One query per scrape for both gauges.
  const current = () => (last ??= read().finally(() => setTimeout(() => (last = undefined), 500).unref()));
  registry.removeSingleMetric('crm_dispatch_backlog');
  registry.removeSingleMetric('crm_dispatch_oldest_seconds');
  new Gauge({
    name: 'crm_dispatch_backlog',
    help: 'Event deliveries stored and not yet delivered to their journeys',
    registers: [registry],
    async collect() {
      this.set((await current().catch(() => ({ backlog: NaN }))).backlog);
    },
  });
  new Gauge({
    name: 'crm_dispatch_oldest_seconds',
    help: 'Age of the oldest undelivered event delivery',
    registers: [registry],
    async collect() {
      this.set((await current().catch(() => ({ oldestMs: NaN }))).oldestMs / 1000);
    },
  });
}

/** This process's metrics, then the Temporal worker's (when its exporter runs here), in Prometheus text. */
export async function metricsText(temporalMetricsUrl?: string): Promise<string> {
  const own = await registry.metrics();
  if (!temporalMetricsUrl) return own;
  const temporal = await fetch(temporalMetricsUrl, { signal: AbortSignal.timeout(2000) })
    .then((response) => (response.ok ? response.text() : `# Temporal worker metrics: HTTP ${response.status}\n`))
    .catch((error: unknown) => `# Temporal worker metrics unavailable: ${(error as Error).message}\n`);
  return `${own}\n${temporal}`;
}

// For operators, in one place for every journey:
// - carries the X-Request-Id of the API request behind a journey's latest events into the
//   headers of the activities it schedules, so their log lines name it (src/worker.ts reads
//   the header). Headers are not part of a workflow's commands as replay compares them: adding
//   them changes no journey's history shape;
// - counts runs started and signals received per workflow type, with the SDK's metric meter
//   (not emitted while replaying), exported with the worker's metrics (/metrics).
import { defaultPayloadConverter, metricMeter, type WorkflowInterceptorsFactory } from '@temporalio/workflow';
import type { JourneyEvent } from './definitions';

export const REQUEST_ID_HEADER = 'crm-request-id';


// The factory runs once per workflow execution: the closure is this journey's own.
export const interceptors: WorkflowInterceptorsFactory = () => {
  let requestId: string | undefined;
  const withRequestId = <T extends { headers: Record<string, unknown> }>(input: T): T =>
    requestId ? { ...input, headers: { ...input.headers, [REQUEST_ID_HEADER]: defaultPayloadConverter.toPayload(requestId) } } : input;
  // Made here: the meter works only inside a workflow's context.
  const runsStarted = metricMeter.createCounter('crm_workflow_runs_started', 'runs', 'Journey (and campaign, RFM) runs started, by workflow type (the SDK adds workflowType)');
  const signalsReceived = metricMeter.createCounter('crm_workflow_signals', 'signals', 'Signals received by running journeys, by workflow type and signal');
  return {
    inbound: [
      {
        execute(input, next) {
          // A new run (continue-as-new included), not the replay of one.
          runsStarted.add(1);
          return next(input);
        },
        async handleSignal(input, next) {
          signalsReceived.add(1, { signal: input.signalName });
          const [events] = input.args as [unknown];
          if (Array.isArray(events)) {
            for (const event of events as Partial<JourneyEvent>[]) if (typeof event?.requestId === 'string') requestId = event.requestId;
          }
          return next(input);
        },
      },
    ],
    outbound: [
      {
        scheduleActivity: (input, next) => next(withRequestId(input)),
        scheduleLocalActivity: (input, next) => next(withRequestId(input)),
      },
    ],
  };
};

// Carries the X-Request-Id of the API request behind a journey's latest events into the headers
// of the activities it schedules, so their log lines name it (src/worker.ts reads the header).
// Headers are not part of a workflow's commands as replay compares them: adding them changes
// no journey's history shape.
import { defaultPayloadConverter, type WorkflowInterceptorsFactory } from '@temporalio/workflow';
import type { JourneyEvent } from './definitions';

export const REQUEST_ID_HEADER = 'crm-request-id';

// The factory runs once per workflow execution: the closure is this journey's own.
export const interceptors: WorkflowInterceptorsFactory = () => {
  let requestId: string | undefined;
  const withRequestId = <T extends { headers: Record<string, unknown> }>(input: T): T =>
    requestId ? { ...input, headers: { ...input.headers, [REQUEST_ID_HEADER]: defaultPayloadConverter.toPayload(requestId) } } : input;
  return {
    inbound: [
      {
        async handleSignal(input, next) {
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

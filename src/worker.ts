// The worker: runs every journey (workflows/) and every side effect (activities/).
import path from 'node:path';
import { defaultPayloadConverter } from '@temporalio/common';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Worker, type ActivityInterceptorsFactory, type WorkerOptions, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { REQUEST_ID_HEADER } from '../workflows/interceptors';
import { createActivities } from '../activities';
import type { MessagingSettings } from '../activities/messages';
import { OnsiteQueueProvider } from './channels/onsite';
import { OutboxProvider } from './channels/outbox';
import type { ChannelProviders } from './channels/provider';
import type { Config } from './config';
import type pg from 'pg';
import type { Db } from './db';
import { unsubscribeSecret } from './secrets';

export interface JourneyWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  db: Db;
  /** A pg pool on the same database, for the guarded send's hot path (activities/messages.ts). */
  pool: pg.Pool;
  /** Settings of the messaging rules: see `messagingSettings(config)`. */
  messaging: MessagingSettings;
  /** Defaults to the outbox provider for every channel (see `providersFromConfig`). */
  providers?: ChannelProviders;
  /** Journey settings handed to long-lived journeys at continue-as-new (`config.journeys`). */
  journeys?: Config['journeys'];
  /** The configuration, for activities that store events (RFM scoring). */
  config?: Config;
  /** Pre-bundled workflow code (tests bundle once per file); otherwise bundled from workflows/. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** The time activities judge rules at and date messages by (the demo shop's simulated clock); default now. */
  clock?: () => Date;
  /** Extra worker options, e.g. `maxCachedWorkflows: 0` to force replay on every task. */
  tuning?: Partial<WorkerOptions>;
}

/** Entry point of the journeys' code, bundled by the worker. */
export const WORKFLOWS_PATH = path.resolve(__dirname, '..', 'workflows', 'index.ts');

/** Workflow interceptors bundled with the journeys: the request id into activity headers. */
export const WORKFLOW_INTERCEPTORS = [path.resolve(__dirname, '..', 'workflows', 'interceptors.ts')];

/** The journeys' code bundled once (quietly: webpack's build report stays out of the log). */
export function bundleJourneys(): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, workflowInterceptorModules: WORKFLOW_INTERCEPTORS, logger: new DefaultLogger('WARN') });
}

/** The request id a journey put in an activity's headers (workflows/interceptors.ts) joins the activity's log lines. */
const requestIdInLogs: ActivityInterceptorsFactory = () => {
  let requestId: string | undefined;
  return {
    inbound: {
      execute(input, next) {
        const header = input.headers[REQUEST_ID_HEADER];
        if (header) requestId = defaultPayloadConverter.fromPayload<string>(header);
        return next(input);
      },
    },
    outbound: {
      getLogAttributes: (attributes, next) => next(requestId ? { ...attributes, requestId } : attributes),
    },
  };
};

export function messagingSettings(config: Config): MessagingSettings {
  return { ...config.messaging, unsubscribeSecret: unsubscribeSecret(config), publicUrl: config.publicUrl };
}

export function defaultProviders(db: Db): ChannelProviders {
  return { default: new OutboxProvider(db), onsite: new OnsiteQueueProvider() };
}

export async function createJourneyWorker(options: JourneyWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    // A bundle has them inside already (bundleJourneys); naming them again only draws a warning.
    interceptors: { ...(options.workflowBundle ? {} : { workflowModules: WORKFLOW_INTERCEPTORS }), activity: [requestIdInLogs] },
    activities: createActivities({ db: options.db, pool: options.pool, providers: options.providers ?? defaultProviders(options.db), messaging: options.messaging, journeys: options.journeys, config: options.config, clock: options.clock }),
    // Activities in flight get this long to finish on shutdown (the SDK default is 0).
    shutdownGraceTime: '10 seconds',
    ...options.tuning,
  });
}

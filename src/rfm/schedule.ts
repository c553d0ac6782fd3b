// The RFM scoring schedule: a Temporal Schedule (`rfm-scoring`, RFM_SCHEDULE in
// DEFAULT_TIMEZONE) that starts workflows/rfm-scoring.ts. Runs on demand go through the same
// schedule (`trigger`), so its overlap policy (skip) keeps two scorings from ever running at once.
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client, type ScheduleOptionsAction, type ScheduleSpec } from '@temporalio/client';
import type { Config } from '../config';

export const RFM_SCHEDULE_ID = 'rfm-scoring';

function scheduleParts(config: Config): { spec: ScheduleSpec; action: ScheduleOptionsAction } {
  return {
    spec: { cronExpressions: [config.rfm.schedule], timezone: config.messaging.defaultTimezone },
    action: { type: 'startWorkflow', workflowType: 'rfmScoring', workflowId: 'rfm-scoring', taskQueue: config.temporal.taskQueue, args: [{}] },
  };
}

/** Creates the schedule, or brings an existing one to the current RFM_SCHEDULE. */
export async function ensureRfmSchedule(client: Client, config: Config): Promise<'created' | 'updated'> {
  const { spec, action } = scheduleParts(config);
  try {
    await client.schedule.create({ scheduleId: RFM_SCHEDULE_ID, spec, action, policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day' } });
    return 'created';
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
    await client.schedule.getHandle(RFM_SCHEDULE_ID).update((previous) => ({ ...previous, spec, action }));
    return 'updated';
  }
}

/** The scoring workflows the schedule has running now, and the latest it started. */
export async function rfmScorings(client: Client): Promise<{ running: string[]; latest: { workflowId: string; takenAt: Date } | null }> {
  const { info } = await client.schedule.getHandle(RFM_SCHEDULE_ID).describe();
  const last = info.recentActions.at(-1);
  return {
    running: info.runningActions.map((action) => action.workflow.workflowId),
    latest: last ? { workflowId: last.action.workflow.workflowId, takenAt: last.takenAt } : null,
  };
}

/**
 * Starts a scoring now, unless one is running (then that one answers). Returns its workflow
 * id, waiting up to `waitMs` for the schedule to take the action.
 */
export async function scoreRfmNow(client: Client, config: Config, { waitMs = 5000 } = {}): Promise<{ workflowId: string | null; alreadyRunning: boolean }> {
  await ensureRfmSchedule(client, config);
  const before = await rfmScorings(client);
  if (before.running.length) return { workflowId: before.running[0], alreadyRunning: true };
  await client.schedule.getHandle(RFM_SCHEDULE_ID).trigger(ScheduleOverlapPolicy.SKIP);
  const until = Date.now() + waitMs;
  for (;;) {
    // A small base may be scored before we look again: then it is the latest action, not a running one.
    const now = await rfmScorings(client);
    const started = now.running[0] ?? (now.latest && now.latest.workflowId !== before.latest?.workflowId ? now.latest.workflowId : undefined);
    if (started || Date.now() > until) return { workflowId: started ?? null, alreadyRunning: false };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

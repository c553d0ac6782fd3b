// Dormancy warning (repurchase stage): one watcher per customer. Every event restarts the
// clock; after DORMANCY_WARNING_AFTER of silence it sends the dormancy notice (informational)
// with a win-back offer, and at DORMANCY_AFTER it marks the account dormant. An order within
// DORMANCY_WINDOW of the notice is the conversion. It continues as new before its history
// grows large, however many events arrive.
import { allHandlersFinished, condition, continueAsNew, workflowInfo } from '@temporalio/workflow';
import type { Channel } from '../src/config';
import type { JourneyEvent } from './definitions';
import { completedOrder, journeyActivities, runJourney, type CompletedOrder } from './kit';

type Phase = 'active' | 'warned' | 'dormant';

interface Carried {
  lastActivityAt: number;
  phase: Phase;
  /** Counts notices: each inactivity cycle gets its own idempotency keys. */
  cycle: number;
  noticeAt: number | null;
  noticeMessageId: string | null;
  convertedCycle: number;
  messagesSent: number;
}

export interface DormancyInput {
  customerId: string;
  settings: {
    warningAfterMs: number;
    dormantAfterMs: number;
    windowMs: number;
    channels: Channel[];
    offer: string;
    /** Continue as new past this many history events (tests lower it). */
    historyLimit?: number;
  };
  carried?: Carried;
}

const DEFAULT_HISTORY_LIMIT = 2000;

export async function dormancy({ customerId, settings, carried }: DormancyInput): Promise<string> {
  const s: Carried = carried ?? {
    lastActivityAt: Date.now(),
    phase: 'active',
    cycle: 0,
    noticeAt: null,
    noticeMessageId: null,
    convertedCycle: 0,
    messagesSent: 0,
  };
  let activity = 0;
  let returned = false;
  let winBack: CompletedOrder | undefined;

  const onEvent = (event: JourneyEvent) => {
    s.lastActivityAt = Date.now();
    activity += 1;
    if (s.phase !== 'active') returned = true;
    const inWindow = s.noticeAt !== null && Date.now() - s.noticeAt <= settings.windowMs;
    if (event.type === 'order_completed' && inWindow && s.convertedCycle < s.cycle && !winBack) winBack = completedOrder(event);
  };

  return runJourney({ journey: 'dormancy', customerId, onEvent, carriedState: { messagesSent: s.messagesSent } }, async (journey) => {
    const historyLimit = settings.historyLimit ?? DEFAULT_HISTORY_LIMIT;
    for (;;) {
      if (winBack) {
        await journey.recordOrderConversion(winBack, s.noticeMessageId ?? undefined, `conversion-${s.cycle}`);
        s.convertedCycle = s.cycle;
        winBack = undefined;
      }
      if (returned) {
        returned = false;
        if (s.phase === 'dormant') await journeyActivities.setDormant({ customerId, dormant: false, at: new Date(Date.now()).toISOString() });
        s.phase = 'active';
      }
      const info = workflowInfo();
      if (info.continueAsNewSuggested || info.historyLength > historyLimit) {
        // Let signal handlers finish so no event is lost between runs.
        await condition(allHandlersFinished);
        s.messagesSent = journey.state.messagesSent;
        return continueAsNew<typeof dormancy>({ customerId, settings, carried: s });
      }

      const seen = activity;
      const changed = () => activity !== seen || winBack !== undefined;
      if (s.phase === 'active') {
        const deadline = s.lastActivityAt + settings.warningAfterMs;
        journey.stage('active', deadline);
        if (await journey.waitUntil(changed, deadline)) continue;
        s.cycle += 1;
        const dormantOn = new Date(s.lastActivityAt + settings.dormantAfterMs).toISOString().slice(0, 10);
        const notice = await journey.send(`notice-${s.cycle}`, {
          template: 'dormancy-notice',
          purpose: 'informational',
          channels: settings.channels,
          data: { dormantOn, offer: settings.offer },
        });
        s.noticeAt = Date.now();
        s.noticeMessageId = notice.messageId;
        s.phase = 'warned';
      } else if (s.phase === 'warned') {
        const deadline = s.lastActivityAt + settings.dormantAfterMs;
        journey.stage('warned', deadline);
        if (await journey.waitUntil(changed, deadline)) continue;
        await journeyActivities.setDormant({ customerId, dormant: true, at: new Date(Date.now()).toISOString() });
        s.phase = 'dormant';
      } else {
        journey.stage('dormant', null);
        await condition(changed);
      }
    }
  });
}

// Dormancy warning (repurchase stage): one watcher per customer. Every event restarts the
// clock; after DORMANCY_WARNING_AFTER of silence it sends the dormancy notice (informational,
// no offer) and, as its own marketing message, a win-back offer; at DORMANCY_AFTER it marks
// the account dormant. An order within DORMANCY_WINDOW of a sent win-back is the conversion.
//
// The watcher is not signalled per event: when its timer fires it reads the customer's
// last-seen time (kept by ingest) and, if they were active meanwhile, sleeps again from then.
// It hears an event only when it starts and when a dormant customer comes back. Its history
// grows with time, not traffic; it continues as new before it grows large.
import { allHandlersFinished, condition, continueAsNew, patched, workflowInfo } from '@temporalio/workflow';
import type { Channel } from '../src/config';
import type { JourneyEvent } from './definitions';
import { BOUNDED_HISTORY, completedOrder, CONVERSIONS_FOLLOW_SENDS, journeyActivities, occurredAtOrNow, runJourney, type CompletedOrder } from './kit';

/** patched() id: read lastSeenAt when the timer fires instead of relying on a signal per event. */
export const READS_LAST_SEEN = 'dormancy-reads-last-seen';
/** patched() id: the notice carries no offer; the win-back is its own marketing message, and only a sent one converts. */
export const SEPARATE_WIN_BACK = 'dormancy-separate-win-back';

type Phase = 'active' | 'warned' | 'dormant';

interface Carried {
  lastActivityAt: number;
  phase: Phase;
  /** Counts notices: each inactivity cycle gets its own idempotency keys. */
  cycle: number;
  /** When this cycle's win-back (before it was separate: the notice) was sent, and its id; null if none went out. */
  noticeAt: number | null;
  noticeMessageId: string | null;
  convertedCycle: number;
  messagesSent: number;
  /** The last delivery number seen, so a re-delivered event is dropped after continue-as-new too. */
  lastEventSeq?: number;
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
  const followsSends = patched(CONVERSIONS_FOLLOW_SENDS);

  const onEvent = (event: JourneyEvent) => {
    s.lastActivityAt = Math.max(s.lastActivityAt, occurredAtOrNow(event));
    activity += 1;
    if (s.phase !== 'active') returned = true;
    const inWindow = s.noticeAt !== null && Date.now() - s.noticeAt <= settings.windowMs;
    const afterSend = !followsSends || (s.noticeAt !== null && Date.parse(event.occurredAt) >= s.noticeAt);
    if (event.type === 'order_completed' && inWindow && afterSend && s.convertedCycle < s.cycle && !winBack) winBack = completedOrder(event);
  };

  return runJourney({ journey: 'dormancy', customerId, onEvent, carriedState: { messagesSent: s.messagesSent, lastEventSeq: s.lastEventSeq } }, async (journey) => {
    const historyLimit = settings.historyLimit ?? DEFAULT_HISTORY_LIMIT;
    // A new watcher's clock starts at the event that started it (an import may be old).
    if (!carried) s.lastActivityAt = journey.waitsFrom();

    /** Whether the customer was seen after the clock last started; if so the clock restarts then. */
    const seenSince = async () => {
      const seen = await journeyActivities.lastSeen({ customerId });
      const seenAt = seen === null ? 0 : Date.parse(seen);
      if (seenAt <= s.lastActivityAt) return false;
      s.lastActivityAt = seenAt;
      return true;
    };
    /** The win-back conversion: an order within DORMANCY_WINDOW of this cycle's notice. */
    const findWinBack = async () => {
      if (s.noticeAt === null || s.convertedCycle >= s.cycle || winBack) return;
      const windowEnd = Math.min(s.noticeAt + settings.windowMs, Date.now());
      if (followsSends && s.noticeMessageId) {
        // One attribution model: the orders in the window go to their last touch; converted if one is ours.
        const credited = await journeyActivities.attributeOrdersBetween({
          customerId,
          after: new Date(s.noticeAt).toISOString(),
          before: new Date(windowEnd).toISOString(),
          messageId: s.noticeMessageId,
        });
        if (credited.length) s.convertedCycle = s.cycle;
        return;
      }
      const order = await journeyActivities.firstOrderBetween({ customerId, after: new Date(s.noticeAt).toISOString(), before: new Date(windowEnd).toISOString() });
      if (order) winBack = order;
    };

    const recordWinBack = async () => {
      if (!winBack) return;
      if (followsSends) {
        const credited = s.noticeMessageId !== null && (await journey.creditOrder(winBack, { messageId: s.noticeMessageId }));
        if (credited) s.convertedCycle = s.cycle;
        winBack = undefined;
        return;
      }
      await journey.recordOrderConversion(winBack, s.noticeMessageId ?? undefined, `conversion-${s.cycle}`);
      s.convertedCycle = s.cycle;
      winBack = undefined;
    };

    for (;;) {
      await recordWinBack();
      if (returned) {
        returned = false;
        if (patched(READS_LAST_SEEN)) {
          await findWinBack();
          await recordWinBack();
        }
        if (s.phase === 'dormant') await journeyActivities.setDormant({ customerId, dormant: false, at: new Date(Date.now()).toISOString() });
        s.phase = 'active';
      }
      const info = workflowInfo();
      if (info.continueAsNewSuggested || info.historyLength > historyLimit) {
        // Let signal handlers finish so no event is lost between runs.
        await condition(allHandlersFinished);
        s.messagesSent = journey.state.messagesSent;
        s.lastEventSeq = journey.lastEventSeq();
        // Settings changed since this watcher started reach it here.
        const fresh = patched(BOUNDED_HISTORY) ? ((await journeyActivities.journeySettings({ journey: 'dormancy' })) as DormancyInput['settings'] | null) : null;
        return continueAsNew<typeof dormancy>({ customerId, settings: fresh ? { ...fresh, historyLimit: settings.historyLimit } : settings, carried: s });
      }

      const seen = activity;
      const changed = () => activity !== seen || winBack !== undefined;
      if (s.phase === 'active') {
        const deadline = s.lastActivityAt + settings.warningAfterMs;
        journey.stage('active', deadline);
        if (await journey.waitUntil(changed, deadline)) continue;
        // Active meanwhile (no signal tells it): sleep again from the last time seen.
        if (patched(READS_LAST_SEEN) && (await seenSince())) continue;
        s.cycle += 1;
        const dormantOn = new Date(s.lastActivityAt + settings.dormantAfterMs).toISOString().slice(0, 10);
        const separateWinBack = patched(SEPARATE_WIN_BACK);
        const notice = await journey.send(`notice-${s.cycle}`, {
          template: 'dormancy-notice',
          purpose: 'informational',
          channels: settings.channels,
          data: separateWinBack ? { dormantOn } : { dormantOn, offer: settings.offer },
        });
        if (separateWinBack) {
          // The offer is marketing: its own message, under consent, cap, quiet hours and "(광고)".
          const offer = await journey.send(`win-back-${s.cycle}`, {
            template: 'win-back',
            purpose: 'marketing',
            channels: settings.channels,
            data: { offer: settings.offer },
            conversionWindowMs: settings.windowMs,
          });
          s.noticeAt = offer.status === 'sent' ? Date.now() : null;
          s.noticeMessageId = offer.status === 'sent' ? offer.messageId : null;
        } else {
          s.noticeAt = Date.now();
          s.noticeMessageId = notice.messageId;
        }
        s.phase = 'warned';
      } else if (s.phase === 'warned') {
        const deadline = s.lastActivityAt + settings.dormantAfterMs;
        journey.stage('warned', deadline);
        if (await journey.waitUntil(changed, deadline)) continue;
        if (patched(READS_LAST_SEEN) && (await seenSince())) {
          returned = true;
          continue;
        }
        await journeyActivities.setDormant({ customerId, dormant: true, at: new Date(Date.now()).toISOString() });
        s.phase = 'dormant';
      } else {
        journey.stage('dormant', null);
        await condition(changed);
      }
    }
  });
}

// Consent re-confirmation (Korean law): every CONSENT_RECONFIRM_EVERY (2 years) a customer with
// marketing consent gets an informational notice of which marketing consents they gave, when,
// and how to opt out (the signed link per channel). One journey per customer, started by a
// consent_changed event (src/consent.ts); ended when no marketing consent is left.
//
// The consents are read from the database (the activity), never taken from the events: an
// event only wakes the journey to read them again. Each consent is due one period after its
// latest grant or the last notice, whichever is later, and one notice lists them all: the
// notice goes out when the first of them is due, so a new grant restarts that consent's clock
// without putting off another's. After each notice the journey continues as new.
import { allHandlersFinished, condition, continueAsNew, workflowInfo } from '@temporalio/workflow';
import type { Channel } from '../src/config';
import type { JourneyEvent } from './definitions';
import { journeyActivities, runJourney } from './kit';

const JOURNEY = 'consent-reconfirmation';
/** Continue as new past this many history events (many consent changes between notices). */
const HISTORY_LIMIT = 2000;

interface Carried {
  /** Notices so far: each has its own step, `notice-<n>`. */
  notices: number;
  /** When the last notice was sent (epoch ms on the workflow clock), or null before the first. */
  lastNoticeAt: number | null;
  messagesSent: number;
  /** The last delivery number seen, so a re-delivered event is dropped after continue-as-new too. */
  lastEventSeq?: number;
}

export interface ConsentReconfirmationInput {
  customerId: string;
  settings: {
    /** CONSENT_RECONFIRM_EVERY. */
    everyMs: number;
    /** CONSENT_RECONFIRM_CHANNELS, in order of preference. */
    channels: Channel[];
  };
  carried?: Carried;
}

export async function consentReconfirmation({ customerId, settings, carried }: ConsentReconfirmationInput): Promise<string> {
  const s: Carried = carried ?? { notices: 0, lastNoticeAt: null, messagesSent: 0 };
  let changes = 0;
  const onEvent = (event: JourneyEvent) => {
    if (event.type === 'consent_changed') changes += 1;
  };

  return runJourney({ journey: JOURNEY, customerId, onEvent, carriedState: { messagesSent: s.messagesSent, lastEventSeq: s.lastEventSeq } }, async (journey) => {
    const nextRun = async (): Promise<never> => {
      // Let signal handlers finish so no event is lost between runs.
      await condition(allHandlersFinished);
      s.messagesSent = journey.state.messagesSent;
      s.lastEventSeq = journey.lastEventSeq();
      // The worker's current settings, if it has them: a new period or channel list applies from the next run.
      const current = (await journeyActivities.journeySettings({ journey: JOURNEY })) as ConsentReconfirmationInput['settings'] | null;
      return continueAsNew<typeof consentReconfirmation>({ customerId, settings: current ?? settings, carried: s });
    };

    for (;;) {
      const info = workflowInfo();
      if (info.continueAsNewSuggested || info.historyLength > HISTORY_LIMIT) return nextRun();

      const { sender, consents } = await journeyActivities.marketingConsents({ customerId });
      if (consents.length === 0) return journey.finish('consent revoked', 'exited');
      const earliestGrant = Math.min(...consents.map((consent) => Date.parse(consent.grantedAt)));
      const due = Math.max(earliestGrant, s.lastNoticeAt ?? earliestGrant) + settings.everyMs;

      if (Date.now() < due) {
        journey.stage('waiting', due);
        const seen = changes;
        // A consent change wakes it early: read the consents again (a grant moves the clock, a
        // revocation may end the journey); otherwise read them again when the notice is due.
        await journey.waitUntil(() => changes !== seen, due);
        continue;
      }

      s.notices += 1;
      journey.stage('sending');
      // Informational: no advertising format, not capped. A notice that cannot go out is
      // recorded (suppressed / failed) and the next one is due a period later all the same.
      await journey.send(`notice-${s.notices}`, {
        template: 'consent-reconfirmation',
        purpose: 'informational',
        channels: settings.channels,
        data: { sender, consents },
      });
      s.lastNoticeAt = Date.now();
      return nextRun();
    }
  });
}

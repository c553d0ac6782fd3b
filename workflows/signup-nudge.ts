// Signup nudge (awareness stage): an anonymous visitor who keeps browsing without signing up
// gets an on-site popup offering a signup benefit; a signup within SIGNUP_NUDGE_WINDOW after
// the popup is its conversion. Page views past the threshold change nothing and are ignored;
// a busy visitor's journey continues as new before its history grows large.
import { patched } from '@temporalio/workflow';
import type { SendOutcome } from '../activities/messages';
import type { JourneyEvent } from './definitions';
import { CONVERSIONS_FOLLOW_SENDS, happenedAfter, runJourney, type CarriedByKit } from './kit';

export interface SignupNudgeInput {
  visitorId: string;
  settings: {
    minViews: number;
    delayMs: number;
    windowMs: number;
    offer: string;
    /** Continue as new past this many history events (tests lower it). */
    historyLimit?: number;
  };
  /** Where the previous run left off (continue-as-new). */
  carried?: CarriedByKit & { views: number; lastView?: JourneyEvent; popup?: SendOutcome; windowEnd?: number };
}

export async function signupNudge({ visitorId, settings, carried }: SignupNudgeInput): Promise<string> {
  let views = carried?.views ?? 0;
  let lastView: JourneyEvent | undefined = carried?.lastView;
  let signup: { customerId: string; occurredAt: string } | undefined;
  let popup: SendOutcome | undefined = carried?.popup;
  let windowEnd = carried?.windowEnd;
  const signedUp = () => signup;
  const followsSends = patched(CONVERSIONS_FOLLOW_SENDS);

  const onEvent = (event: JourneyEvent) => {
    if (event.type === 'page_viewed') {
      // Past the threshold a view changes nothing (the wait is timed from the view that reached it).
      if (followsSends && views >= settings.minViews) return;
      views += 1;
      lastView = event;
    }
    else if (event.type === 'signed_up' && event.customerId && !signup) signup = { customerId: event.customerId, occurredAt: event.occurredAt };
  };

  return runJourney(
    {
      journey: 'signup-nudge',
      visitorId,
      onEvent,
      carriedState: carried,
      historyLimit: settings.historyLimit,
      continueAsNew: (kit, fresh): SignupNudgeInput => ({
        visitorId,
        settings: (fresh as SignupNudgeInput['settings'] | null) ?? settings,
        carried: { ...kit, views, lastView, popup, windowEnd },
      }),
    },
    async (journey) => {
      const signedUpEarly = () => {
        const who = signedUp();
        if (who) journey.linkCustomer(who.customerId);
        return journey.finish('signed up before the nudge', 'exited');
      };
      if (!popup) {
        // Interest first: enough page views, counted until the visitor has been gone a whole window.
        let viewsSeen = -1;
        while (views < settings.minViews && !signup && views !== viewsSeen) {
          viewsSeen = views;
          const deadline = journey.waitsFrom(lastView) + settings.windowMs;
          journey.stage('counting-views', deadline);
          await journey.waitUntil(() => views !== viewsSeen || signup !== undefined, deadline);
        }
        if (signup) return signedUpEarly();
        if (views < settings.minViews) return journey.finish(`not enough interest: ${views} page views`, 'ineligible');

        const deadline = journey.waitsFrom(lastView) + settings.delayMs;
        journey.stage('waiting', deadline);
        if (await journey.waitUntil(() => signup !== undefined, deadline)) return signedUpEarly();

        journey.stage('sending');
        const shown = await journey.send('signup-popup', {
          template: 'signup-nudge',
          purpose: 'marketing',
          channels: ['onsite'],
          data: { offer: settings.offer },
          expiresInMs: settings.windowMs,
        });
        if (shown.status !== 'sent') return journey.notSent(shown);
        popup = shown;
        windowEnd = Date.now() + settings.windowMs;
      }

      journey.stage('waiting-for-conversion', windowEnd);
      await journey.waitUntil(() => signup !== undefined, windowEnd ?? Date.now() + settings.windowMs);
      // Read through a function: TypeScript cannot see the signal handler assign it meanwhile.
      const converted = signedUp();
      if (!converted) return journey.finish('not converted');
      journey.linkCustomer(converted.customerId);
      // A signup that happened before the popup was shown (reported late) is not its conversion.
      if (followsSends && !happenedAfter(popup, converted.occurredAt)) return journey.finish('signed up before the nudge', 'exited');
      await journey.recordConversion({ customerId: converted.customerId, messageId: popup.messageId, revenue: 0, occurredAt: converted.occurredAt });
      return journey.finish('converted', 'converted');
    },
  );
}

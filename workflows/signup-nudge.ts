// Signup nudge (awareness stage): an anonymous visitor who keeps browsing without signing up
// gets an on-site popup offering a signup benefit; a signup within SIGNUP_NUDGE_WINDOW after
// the popup is its conversion.
import type { JourneyEvent } from './definitions';
import { runJourney } from './kit';

export interface SignupNudgeInput {
  visitorId: string;
  settings: {
    minViews: number;
    delayMs: number;
    windowMs: number;
    offer: string;
  };
}

export async function signupNudge({ visitorId, settings }: SignupNudgeInput): Promise<string> {
  let views = 0;
  let lastView: JourneyEvent | undefined;
  let signup: { customerId: string; occurredAt: string } | undefined;
  const signedUp = () => signup;

  const onEvent = (event: JourneyEvent) => {
    if (event.type === 'page_viewed') {
      views += 1;
      lastView = event;
    }
    else if (event.type === 'signed_up' && event.customerId && !signup) signup = { customerId: event.customerId, occurredAt: event.occurredAt };
  };

  return runJourney({ journey: 'signup-nudge', visitorId, onEvent }, async (journey) => {
    // Interest first: enough page views, counted until the visitor has been gone a whole window.
    let viewsSeen = -1;
    while (views < settings.minViews && !signup && views !== viewsSeen) {
      viewsSeen = views;
      const deadline = journey.waitsFrom(lastView) + settings.windowMs;
      journey.stage('counting-views', deadline);
      await journey.waitUntil(() => views !== viewsSeen || signup !== undefined, deadline);
    }
    const signedUpEarly = () => {
      const who = signedUp();
      if (who) journey.linkCustomer(who.customerId);
      return journey.finish('signed up before the nudge', 'exited');
    };
    if (signup) return signedUpEarly();
    if (views < settings.minViews) return journey.finish(`not enough interest: ${views} page views`, 'ineligible');

    const deadline = journey.waitsFrom(lastView) + settings.delayMs;
    journey.stage('waiting', deadline);
    if (await journey.waitUntil(() => signup !== undefined, deadline)) return signedUpEarly();

    journey.stage('sending');
    const popup = await journey.send('signup-popup', {
      template: 'signup-nudge',
      purpose: 'marketing',
      channels: ['onsite'],
      data: { offer: settings.offer },
      expiresInMs: settings.windowMs,
    });
    if (popup.status !== 'sent') return journey.finish(`${popup.status}: ${popup.reason ?? 'no reason given'}`, popup.status);

    await journey.waitForConversion(() => signup !== undefined, settings.windowMs);
    // Read through a function: TypeScript cannot see the signal handler assign it meanwhile.
    const converted = signedUp();
    if (!converted) return journey.finish('not converted');
    journey.linkCustomer(converted.customerId);
    await journey.recordConversion({ customerId: converted.customerId, messageId: popup.messageId, revenue: 0, occurredAt: converted.occurredAt });
    return journey.finish('converted', 'converted');
  });
}

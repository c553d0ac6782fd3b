// Review request (recommendation stage): REVIEW_REQUEST_DELAY after delivery, ask for a
// review, remind once after REVIEW_REMINDER_DELAY; a submitted review ends the asking (also
// while a request is held for quiet hours), earns a referral invite, and is the conversion if
// it came after the request was sent.
import { patched } from '@temporalio/workflow';
import type { SendOutcome } from '../activities/messages';
import type { Channel } from '../src/config';
import { CONVERSIONS_FOLLOW_SENDS, happenedAfter, runJourney } from './kit';

export interface ReviewRequestInput {
  customerId: string;
  orderId: string;
  settings: {
    delayMs: number;
    reminderDelayMs: number;
    channels: Channel[];
    referralOffer: string;
  };
}

export async function reviewRequest({ customerId, orderId, settings }: ReviewRequestInput): Promise<string> {
  let review: { occurredAt: string } | undefined;
  const followsSends = patched(CONVERSIONS_FOLLOW_SENDS);

  return runJourney(
    {
      journey: 'review-request',
      customerId,
      onEvent(event) {
        if (event.type === 'review_submitted' && !review) review = { occurredAt: event.occurredAt };
      },
    },
    async (journey) => {
      const reviewed = () => review !== undefined;
      const ask = (step: 'review-request' | 'review-reminder') =>
        journey.send(step, { template: step, purpose: 'marketing', channels: settings.channels, data: { orderId } }, { exitWhen: () => (review ? 'reviewed' : undefined) });

      let deadline = journey.waitsFrom() + settings.delayMs;
      journey.stage('waiting', deadline);
      let request: SendOutcome | undefined;
      if (!(await journey.waitUntil(reviewed, deadline))) {
        request = await ask('review-request');
        // A review during the hold cancels the request: straight on to the invite.
        if (request.status !== 'sent' && !(request.status === 'cancelled' && reviewed())) return journey.notSent(request);

        if (!followsSends || !reviewed()) {
          deadline = Date.now() + settings.reminderDelayMs;
          journey.stage('waiting-for-review', deadline);
          if (!(await journey.waitUntil(reviewed, deadline))) {
            await ask('review-reminder');
            // After the one reminder, the review still counts for as long again.
            deadline = Date.now() + settings.reminderDelayMs;
            journey.stage('waiting-for-review', deadline);
            if (!(await journey.waitUntil(reviewed, deadline))) return journey.finish('no review');
          }
        }
      }

      // The conversion: a review after the request went out (not one the request never preceded).
      const converts = !followsSends || (request?.status === 'sent' && happenedAfter(request, review!.occurredAt));
      if (converts) await journey.recordConversion({ messageId: request?.messageId, revenue: 0, occurredAt: review!.occurredAt });
      journey.stage('inviting');
      await journey.send('referral-invite', {
        template: 'referral-invite',
        purpose: 'marketing',
        channels: settings.channels,
        data: { offer: settings.referralOffer },
      });
      return journey.finish(converts ? 'reviewed' : 'reviewed before the request', 'reviewed');
    },
  );
}

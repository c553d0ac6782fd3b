// Review request (recommendation stage): REVIEW_REQUEST_DELAY after delivery, ask for a
// review, remind once after REVIEW_REMINDER_DELAY; a submitted review ends the asking, is the
// conversion, and earns a referral invite.
import type { Channel } from '../src/config';
import { runJourney } from './kit';

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
        journey.send(step, { template: step, purpose: 'marketing', channels: settings.channels, data: { orderId } });

      let deadline = journey.waitsFrom() + settings.delayMs;
      journey.stage('waiting', deadline);
      let requestId: string | undefined;
      if (!(await journey.waitUntil(reviewed, deadline))) {
        const request = await ask('review-request');
        requestId = request.messageId;
        if (request.status !== 'sent') return journey.finish(`${request.status}: ${request.reason ?? 'no reason given'}`, request.status);

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

      await journey.recordConversion({ orderId, messageId: requestId, revenue: 0, occurredAt: review!.occurredAt });
      journey.stage('inviting');
      await journey.send('referral-invite', {
        template: 'referral-invite',
        purpose: 'marketing',
        channels: settings.channels,
        data: { offer: settings.referralOffer },
      });
      return journey.finish('reviewed', 'reviewed');
    },
  );
}

// Review request on the time-skipping server: real 3 d / 4 d durations, mocked activities.
import { beforeEach, describe, expect, it } from 'vitest';
import { stateQuery, type JourneyEvent } from '../../workflows/definitions';
import type { reviewRequest, ReviewRequestInput } from '../../workflows/review-request';
import { DAY, fakeActivities, HOUR, type FakeOptions } from '../helpers/fake-activities';
import { runJourneyTest, signalNow } from '../helpers/workflow-env';
import { useTimeSkipping } from '../helpers/use-time-skipping';

const ts = useTimeSkipping();

let n = 0;
beforeEach(() => {
  n += 1;
});

const settings: ReviewRequestInput['settings'] = { delayMs: 3 * DAY, reminderDelayMs: 4 * DAY, channels: ['kakao'], referralOffer: '5,000 points' };
const review = (): JourneyEvent => ({ id: `review-${n}`, type: 'review_submitted', customerId: `c-${n}`, occurredAt: '2026-11-05T00:00:00Z', properties: { orderId: `o-${n}` } });

function start(options: FakeOptions, body: Parameters<typeof runJourneyTest<typeof reviewRequest>>[3]) {
  const fakes = fakeActivities(ts.env, options);
  const delivered: JourneyEvent = { id: `delivered-${n}`, type: 'order_delivered', customerId: `c-${n}`, occurredAt: '2026-11-01T00:00:00Z', properties: { orderId: `o-${n}` } };
  return {
    calls: fakes.calls,
    run: () =>
      runJourneyTest<typeof reviewRequest>(
        ts.env,
        ts.workflowBundle,
        {
          workflowType: 'reviewRequest',
          workflowId: `review-request:o-${n}`,
          taskQueue: `review-test-${n}`,
          args: [{ customerId: `c-${n}`, orderId: `o-${n}`, settings }],
          firstEvent: delivered,
          activities: fakes.activities,
        },
        body,
      ),
  };
}

const steps = (sends: { request: { step: string } }[]) => sends.map((s) => s.request.step);

describe('review request journey', () => {
  it('asks 3 days after delivery; a review ends the asking, converts, and earns a referral invite', async () => {
    const test = start({}, async (handle) => {
      await ts.env.sleep(3 * DAY - HOUR);
      expect(test.calls.sends).toHaveLength(0);
      await ts.env.sleep(2 * HOUR);
      expect(steps(test.calls.sends)).toEqual(['review-request']);
      expect(test.calls.sends[0].request).toMatchObject({ template: 'review-request', data: { orderId: `o-${n}` } });
      expect(await handle.query(stateQuery)).toMatchObject({ stage: 'waiting-for-review', messagesSent: 1 });
      await ts.env.sleep(DAY);
      await signalNow(ts.env, handle, review());
      expect(await handle.result()).toBe('reviewed');
      expect(steps(test.calls.sends)).toEqual(['review-request', 'referral-invite']);
      expect(test.calls.sends[1].request).toMatchObject({ template: 'referral-invite', data: { offer: '5,000 points' } });
      expect(test.calls.conversions).toEqual([expect.objectContaining({ journey: 'review-request', messageId: 'm-1', revenue: 0 })]);
      expect(await handle.query(stateQuery)).toMatchObject({ stage: 'reviewed', outcome: 'reviewed', messagesSent: 2 });
    });
    await test.run();
  });

  it('reminds once after 4 more days, then gives up', async () => {
    const test = start({}, async (handle) => {
      await ts.env.sleep(3 * DAY + 4 * DAY + HOUR);
      expect(steps(test.calls.sends)).toEqual(['review-request', 'review-reminder']);
      expect(test.calls.sends[1].atMs - test.calls.sends[0].atMs).toBeGreaterThanOrEqual(4 * DAY);
      expect(await handle.result()).toBe('no review');
      expect(steps(test.calls.sends)).toEqual(['review-request', 'review-reminder']);
      expect(test.calls.conversions).toHaveLength(0);
    });
    await test.run();
  });

  it('skips the asking when the review comes before the request, records no conversion, and still invites', async () => {
    const test = start({}, async (handle) => {
      await ts.env.sleep(DAY);
      await signalNow(ts.env, handle, review());
      expect(await handle.result()).toBe('reviewed before the request');
      expect(steps(test.calls.sends)).toEqual(['referral-invite']);
      expect(test.calls.conversions).toHaveLength(0);
    });
    await test.run();
  });

  it('cancels the request held for quiet hours when the review arrives during the hold: never sent, no conversion, still invites', async () => {
    const test = start({ sendStatus: (request) => (request.step === 'review-request' ? 'held' : 'sent') }, async (handle) => {
      await ts.env.sleep(3 * DAY + HOUR);
      expect(steps(test.calls.sends)).toEqual(['review-request']);
      expect(await handle.query(stateQuery)).toMatchObject({ stage: 'held' });
      await signalNow(ts.env, handle, review());
      expect(await handle.result()).toBe('reviewed before the request');
      expect(test.calls.cancelHeldMessage).toEqual([{ idempotencyKey: test.calls.sends[0].request.idempotencyKey, reason: 'exited: reviewed' }]);
      // The request was asked for once (then held) and never again: the next send is the invite.
      expect(steps(test.calls.sends)).toEqual(['review-request', 'referral-invite']);
      expect(test.calls.conversions).toHaveLength(0);
    });
    await test.run();
  });

  it('stops without a reminder when the request is suppressed', async () => {
    const test = start({ sendStatus: () => 'suppressed' }, async (handle) => {
      expect(await handle.result()).toMatch(/^suppressed: /);
      expect(steps(test.calls.sends)).toEqual(['review-request']);
    });
    await test.run();
  });
});

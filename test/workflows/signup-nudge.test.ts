// Signup nudge on the time-skipping server: real 30 m / 7 d durations, mocked activities.
import type { WorkflowHandle } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { beforeEach, describe, expect, it } from 'vitest';
import { customerIdKey, journeyEventSignal, journeyEventsSignal, stateQuery, type JourneyEvent } from '../../workflows/definitions';
import type { signupNudge, SignupNudgeInput } from '../../workflows/signup-nudge';
import { DAY, fakeActivities, HOUR, MINUTE, type FakeOptions } from '../helpers/fake-activities';
import { signalNow, happeningNow } from '../helpers/workflow-env';
import { useTimeSkipping } from '../helpers/use-time-skipping';

const ts = useTimeSkipping();

let n = 0;
let visitorId: string;
let taskQueue: string;
beforeEach(() => {
  n += 1;
  visitorId = `v-${n}`;
  taskQueue = `signup-nudge-test-${n}`;
});

const settings: SignupNudgeInput['settings'] = { minViews: 2, delayMs: 30 * MINUTE, windowMs: 7 * DAY, offer: '10% off' };
const view = (i: number): JourneyEvent => ({ id: `${visitorId}-view-${i}`, type: 'page_viewed', anonymousId: visitorId, occurredAt: '2026-11-23T00:00:00Z', properties: { path: `/p/${i}` } });
const signup = (customerId = `c-${visitorId}`): JourneyEvent => ({ id: `${visitorId}-signup`, type: 'signed_up', customerId, anonymousId: visitorId, occurredAt: '2026-11-23T01:00:00Z', properties: {} });

async function run(options: FakeOptions & { historyLimit?: number }, body: (handle: WorkflowHandle<typeof signupNudge>, calls: ReturnType<typeof fakeActivities>['calls']) => Promise<void>) {
  const { activities, calls } = fakeActivities(ts.env, options);
  const worker = await Worker.create({ connection: ts.env.nativeConnection, taskQueue, workflowBundle: ts.workflowBundle, activities });
  await worker.runUntil(async () => {
    const handle = await ts.env.client.workflow.signalWithStart<typeof signupNudge, [JourneyEvent]>('signupNudge', {
      workflowId: `signup-nudge:${visitorId}`,
      taskQueue,
      args: [{ visitorId, settings: { ...settings, historyLimit: options.historyLimit } }],
      signal: journeyEventSignal,
      signalArgs: [await happeningNow(ts.env, view(1))],
    });
    await body(handle, calls);
  });
}

describe('signup nudge journey', () => {
  it('shows an on-site popup 30 minutes after the second page view, then counts a signup as the conversion', async () => {
    await run({}, async (handle, calls) => {
      await ts.env.sleep(5 * MINUTE);
      expect(await handle.query(stateQuery)).toMatchObject({ stage: 'counting-views' });
      await signalNow(ts.env, handle, view(2));
      await ts.env.sleep(29 * MINUTE);
      expect(calls.sends).toHaveLength(0);
      expect(await handle.query(stateQuery)).toMatchObject({ stage: 'waiting' });
      await ts.env.sleep(2 * MINUTE);
      expect(calls.sends).toHaveLength(1);
      expect(calls.sends[0].request).toMatchObject({
        visitorId,
        journey: 'signup-nudge',
        step: 'signup-popup',
        template: 'signup-nudge',
        channels: ['onsite'],
        data: { offer: '10% off' },
        expiresInMs: 7 * DAY,
      });
      expect(calls.sends[0].request.customerId).toBeUndefined();
      expect(await handle.query(stateQuery)).toMatchObject({ stage: 'waiting-for-conversion', messagesSent: 1 });

      await ts.env.sleep(2 * DAY);
      await signalNow(ts.env, handle, signup('c-new'));
      expect(await handle.result()).toBe('converted');
      expect(calls.conversions).toEqual([expect.objectContaining({ customerId: 'c-new', journey: 'signup-nudge', revenue: 0, messageId: 'm-1' })]);
      const description = await handle.describe();
      expect(description.typedSearchAttributes.get(customerIdKey)).toBe('c-new');
    });
  });

  it('ends without a popup when the visitor signs up during the delay', async () => {
    await run({}, async (handle, calls) => {
      await signalNow(ts.env, handle, view(2));
      await ts.env.sleep(10 * MINUTE);
      await signalNow(ts.env, handle, signup());
      expect(await handle.result()).toBe('signed up before the nudge');
      expect(await handle.query(stateQuery)).toMatchObject({ stage: 'exited', customerId: `c-${visitorId}` });
      expect(calls.sends).toHaveLength(0);
    });
  });

  it('sends nothing to a visitor with a single page view', async () => {
    await run({}, async (handle, calls) => {
      expect(await handle.result()).toBe('not enough interest: 1 page views');
      expect(await handle.query(stateQuery)).toMatchObject({ stage: 'ineligible' });
      expect(calls.sends).toHaveLength(0);
    });
  });

  it('records no conversion for a signup after the window', async () => {
    await run({}, async (handle, calls) => {
      await signalNow(ts.env, handle, view(2));
      await ts.env.sleep(30 * MINUTE + 7 * DAY + HOUR);
      expect(await handle.result()).toBe('not converted');
      expect(calls.sends).toHaveLength(1);
      expect(calls.conversions).toHaveLength(0);
    });
  });

  it('keeps its history bounded under 20,000 page views by continuing as new, and still converts the popup', async () => {
    await run({ historyLimit: 400 }, async (handle, calls) => {
      const firstRunId = (await handle.describe()).runId;
      await signalNow(ts.env, handle, view(2));
      await ts.env.sleep(31 * MINUTE);
      expect(calls.sends).toHaveLength(1);
      const now = new Date(await ts.env.currentTimeMs()).toISOString();
      // 20,000 page views in the dispatcher's lists (50 pending events per signal): each changes nothing now.
      for (let signal = 0; signal < 400; signal += 1) {
        await handle.signal(journeyEventsSignal, Array.from({ length: 50 }, (_, i) => ({ ...view(1000 + signal * 50 + i), occurredAt: now })));
      }
      const latest = ts.env.client.workflow.getHandle(`signup-nudge:${visitorId}`);
      // Let the worker catch up on the views (a query waits for it) before the visitor signs up.
      expect(await latest.query(stateQuery)).toMatchObject({ stage: 'waiting-for-conversion', messagesSent: 1 });
      await signalNow(ts.env, latest, signup());
      expect(await latest.result()).toBe('converted');
      const description = await latest.describe();
      expect(description.runId).not.toBe(firstRunId);
      expect(description.historyLength).toBeLessThan(600);
      // One popup, converted by the signup, across the runs.
      expect(calls.sends).toHaveLength(1);
      expect(calls.conversions).toEqual([expect.objectContaining({ journey: 'signup-nudge', messageId: 'm-1', customerId: `c-${visitorId}` })]);
    });
  });

  it('does not count a signup that happened before the popup (reported late) as its conversion', async () => {
    await run({}, async (handle, calls) => {
      const beforePopup = new Date(await ts.env.currentTimeMs()).toISOString();
      await signalNow(ts.env, handle, view(2));
      await ts.env.sleep(31 * MINUTE);
      expect(calls.sends).toHaveLength(1);
      await handle.signal(journeyEventSignal, { ...signup(), occurredAt: beforePopup });
      expect(await handle.result()).toBe('signed up before the nudge');
      expect(calls.conversions).toHaveLength(0);
    });
  });
});

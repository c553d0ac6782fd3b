// Consent re-confirmation on the time-skipping server: real 2-year periods, consents as the
// activity reads them (a fake whose answer each test changes), continue-as-new after each notice.
import { beforeEach, describe, expect, it } from 'vitest';
import type { MarketingConsent } from '../../activities/consents';
import type { Channel } from '../../src/config';
import type { consentReconfirmation, ConsentReconfirmationInput } from '../../workflows/consent-reconfirmation';
import { stateQuery, type JourneyEvent } from '../../workflows/definitions';
import { DAY, fakeActivities } from '../helpers/fake-activities';
import { runJourneyTest, signalNow } from '../helpers/workflow-env';
import { useTimeSkipping } from '../helpers/use-time-skipping';

const ts = useTimeSkipping();
const YEAR = 365 * DAY;
const PERIOD = 730 * DAY;

let n = 0;
let customerId: string;
/** What the fake `marketingConsents` answers: the consents that stand now. */
let consents: MarketingConsent[];
beforeEach(() => {
  n += 1;
  customerId = `c-${n}`;
  consents = [];
});

const settings: ConsentReconfirmationInput['settings'] = { everyMs: PERIOD, channels: ['email', 'kakao', 'sms'] };

const consent = (channel: Channel, grantedAtMs: number): MarketingConsent => ({
  channel,
  purpose: 'marketing',
  grantedAt: new Date(grantedAtMs).toISOString(),
  grantedOn: new Date(grantedAtMs).toISOString().slice(0, 10),
  nightTime: false,
  optOutUrl: `http://localhost:3000/unsubscribe/${customerId}-${channel}`,
});

let k = 0;
const changed = (channel: Channel, granted: boolean): JourneyEvent => ({
  id: `cc-${(k += 1)}`,
  type: 'consent_changed',
  customerId,
  occurredAt: '2026-01-01T00:00:00Z', // set to the server's now by runJourneyTest / signalNow
  properties: { channel, purpose: 'marketing', granted, nightTime: false },
});

/** Grants (or re-grants) a consent now, on the server's clock, as the database would then answer. */
async function grant(channel: Channel): Promise<number> {
  const at = await ts.env.currentTimeMs();
  consents = [...consents.filter((c) => c.channel !== channel), consent(channel, at)];
  return at;
}

function start(firstEvent: JourneyEvent, body: Parameters<typeof runJourneyTest<typeof consentReconfirmation>>[3]) {
  const fakes = fakeActivities(ts.env, { marketingConsents: () => consents });
  return {
    calls: fakes.calls,
    run: () =>
      runJourneyTest<typeof consentReconfirmation>(
        ts.env,
        ts.workflowBundle,
        {
          workflowType: 'consentReconfirmation',
          workflowId: `consent-reconfirmation:${customerId}`,
          taskQueue: `consent-reconfirmation-test-${n}`,
          args: [{ customerId, settings }],
          firstEvent,
          activities: fakes.activities,
        },
        body,
      ),
  };
}

describe('consent re-confirmation journey', () => {
  it('sends no notice 2 years minus a day after the grant, then the informational notice listing the consent at 2 years', async () => {
    const grantedAt = await grant('kakao');
    const test = start(changed('kakao', true), async (handle) => {
      await ts.env.sleep(PERIOD - DAY);
      expect(test.calls.sends).toHaveLength(0);
      expect(await handle.query(stateQuery)).toMatchObject({ stage: 'waiting', nextWakeAt: new Date(grantedAt + PERIOD).toISOString() });

      await ts.env.sleep(2 * DAY);
      expect(test.calls.sends).toHaveLength(1);
      const [{ request, atMs }] = test.calls.sends;
      expect(atMs).toBeGreaterThanOrEqual(grantedAt + PERIOD);
      expect(request).toMatchObject({
        step: 'notice-1',
        template: 'consent-reconfirmation',
        purpose: 'informational',
        channels: ['email', 'kakao', 'sms'],
        customerId,
        data: { sender: 'crm-journeys', consents: [consent('kakao', grantedAt)] },
      });
      // The next notice: a period after this one went out (when the send returned).
      const after = await handle.query(stateQuery);
      expect(after).toMatchObject({ stage: 'waiting', messagesSent: 1 });
      expect(Date.parse(after.nextWakeAt!) - (atMs + PERIOD)).toBeGreaterThanOrEqual(0);
      expect(Date.parse(after.nextWakeAt!) - (atMs + PERIOD)).toBeLessThan(60_000);
      await handle.terminate('test done');
    });
    await test.run();
  });

  it('moves the notice to 3 years when the consent is granted again at 1 year', async () => {
    const firstGrant = await grant('kakao');
    const test = start(changed('kakao', true), async (handle) => {
      await ts.env.sleep(YEAR);
      // Revoked and granted again: the database's latest grant is now.
      const regrant = await grant('kakao');
      await signalNow(ts.env, handle, changed('kakao', true));
      await ts.env.sleep(DAY);
      expect(await handle.query(stateQuery)).toMatchObject({ stage: 'waiting', nextWakeAt: new Date(regrant + PERIOD).toISOString() });

      await ts.env.sleep(firstGrant + PERIOD + DAY - (await ts.env.currentTimeMs())); // 2 years and a day after the first grant
      expect(test.calls.sends).toHaveLength(0);
      await ts.env.sleep(regrant + PERIOD + DAY - (await ts.env.currentTimeMs())); // 2 years and a day after the new grant
      expect(test.calls.sends).toHaveLength(1);
      expect(test.calls.sends[0].atMs).toBeGreaterThanOrEqual(regrant + PERIOD);
      expect(test.calls.sends[0].request.data).toMatchObject({ consents: [consent('kakao', regrant)] });
      await handle.terminate('test done');
    });
    await test.run();
  });

  it('ends with stage exited and outcome "consent revoked", without a notice, when the only marketing consent is revoked', async () => {
    await grant('kakao');
    const test = start(changed('kakao', true), async (handle) => {
      await ts.env.sleep(100 * DAY);
      consents = [];
      await signalNow(ts.env, handle, changed('kakao', false));
      expect(await handle.result()).toBe('consent revoked');
      expect(await handle.query(stateQuery)).toMatchObject({ stage: 'exited', outcome: 'consent revoked', nextWakeAt: null });
      await ts.env.sleep(PERIOD);
      expect(test.calls.sends).toHaveLength(0);
    });
    await test.run();
  });

  it('ends at once, reading the consents once, when started by a revocation that leaves no marketing consent', async () => {
    const test = start(changed('email', false), async (handle) => {
      expect(await handle.result()).toBe('consent revoked');
      expect(await handle.query(stateQuery)).toMatchObject({ stage: 'exited', outcome: 'consent revoked' });
      expect(test.calls.marketingConsents).toHaveLength(1);
      expect(test.calls.sends).toHaveLength(0);
    });
    await test.run();
  });

  it('keeps the journey for the consent left when another is revoked, and lists only that one', async () => {
    const grantedAt = await grant('kakao');
    await grant('email');
    const test = start(changed('kakao', true), async (handle) => {
      await ts.env.sleep(30 * DAY);
      consents = consents.filter((c) => c.channel !== 'email');
      await signalNow(ts.env, handle, changed('email', false));
      await ts.env.sleep(PERIOD);
      expect(test.calls.sends).toHaveLength(1);
      expect(test.calls.sends[0].request.data).toMatchObject({ consents: [consent('kakao', grantedAt)] });
      await handle.terminate('test done');
    });
    await test.run();
  });

  it('does not put off the notice of an older consent when another channel is granted later', async () => {
    const emailGranted = await grant('email');
    const test = start(changed('email', true), async (handle) => {
      await ts.env.sleep(YEAR);
      const kakaoGranted = await grant('kakao');
      await signalNow(ts.env, handle, changed('kakao', true));
      await ts.env.sleep(YEAR + DAY);
      expect(test.calls.sends).toHaveLength(1);
      expect(test.calls.sends[0].atMs).toBeGreaterThanOrEqual(emailGranted + PERIOD);
      expect(test.calls.sends[0].atMs).toBeLessThan(kakaoGranted + PERIOD);
      expect(test.calls.sends[0].request.data).toMatchObject({ consents: [consent('email', emailGranted), consent('kakao', kakaoGranted)] });
      await handle.terminate('test done');
    });
    await test.run();
  });

  it('sends the second notice 2 years after the first, from a new run, with its own step and the same run key', async () => {
    await grant('sms');
    const test = start(changed('sms', true), async (handle) => {
      const firstRunId = (await handle.describe()).runId;
      await ts.env.sleep(PERIOD + DAY);
      expect(test.calls.sends).toHaveLength(1);
      const first = test.calls.sends[0];
      expect((await handle.describe()).runId).not.toBe(firstRunId); // continued as new after the notice

      await ts.env.sleep(PERIOD - 2 * DAY);
      expect(test.calls.sends).toHaveLength(1);
      await ts.env.sleep(2 * DAY);
      expect(test.calls.sends).toHaveLength(2);
      const second = test.calls.sends[1];
      expect(second.atMs - first.atMs).toBeGreaterThanOrEqual(PERIOD);
      expect(second.atMs - first.atMs).toBeLessThan(PERIOD + DAY);
      expect(first.request.step).toBe('notice-1');
      expect(second.request.step).toBe('notice-2');
      // Idempotency keys name the first run of the chain, whichever run sends.
      expect(first.request.idempotencyKey).toBe(`consent-reconfirmation:${customerId}/${firstRunId}/notice-1`);
      expect(second.request.idempotencyKey).toBe(`consent-reconfirmation:${customerId}/${firstRunId}/notice-2`);
      expect(await handle.query(stateQuery)).toMatchObject({ stage: 'waiting', messagesSent: 2 });
      await handle.terminate('test done');
    });
    await test.run();
  });
});

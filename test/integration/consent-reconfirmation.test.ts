// The consent re-confirmation journey end to end: real HTTP, PostgreSQL, dispatcher, dev server
// and worker, with the 2-year period shortened to seconds by environment.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startStack, type Stack } from '../helpers/stack';

type Message = { journey: string; step: string; status: string; channel: string | null; purpose: string; content: string; sentAt: string | null };
type JourneyRow = { workflowId: string; journey: string; status: string; state: { stage: string; nextWakeAt: string | null; outcome: string | null } | null };
type Profile = { consents: { channel: string; purpose: string; granted: boolean; grantedAt: string | null }[] };

const PERIOD_MS = 10_000;
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ env: { CONSENT_RECONFIRM_EVERY: `${PERIOD_MS / 1000}s`, CONSENT_RECONFIRM_CHANNELS: 'email,kakao' } });
});

afterAll(async () => {
  await stack?.stop();
});

async function reconfirmations(customerId: string): Promise<JourneyRow[]> {
  const response = await stack.api<{ journeys: JourneyRow[] }>('GET', `/v1/customers/${customerId}/journeys`);
  return response.body.journeys.filter((j) => j.journey === 'consent-reconfirmation');
}

describe('consent re-confirmation', () => {
  it('starts on a marketing grant through the customers API, sends the informational notice a period later with a working opt-out link, and ends on the opt-out', { timeout: 120_000 }, async () => {
    const put = await stack.api('PUT', '/v1/customers/c-reconfirm', {
      email: 'c-reconfirm@example.com',
      phone: '+821012345678',
      locale: 'ko',
      consents: [
        { channel: 'kakao', purpose: 'marketing', granted: true, nightTime: true },
        { channel: 'email', purpose: 'informational', granted: true },
      ],
    });
    expect(put.status).toBe(201);
    const profile = await stack.api<Profile>('GET', '/v1/customers/c-reconfirm');
    const grantedAt = Date.parse(profile.body.consents.find((c) => c.channel === 'kakao' && c.purpose === 'marketing')!.grantedAt!);

    // Started by the consent_changed event the grant stored: waiting for the grant plus a period.
    await eventually(async () => {
      const running = (await reconfirmations('c-reconfirm')).filter((j) => j.status === 'RUNNING');
      expect(running).toEqual([
        expect.objectContaining({ workflowId: 'consent-reconfirmation:c-reconfirm', state: expect.objectContaining({ stage: 'waiting', nextWakeAt: new Date(grantedAt + PERIOD_MS).toISOString() }) as object }),
      ]);
    });

    // The notice: informational (no advertising format), on the first channel with consent for it.
    const notice = await eventually(
      async () => {
        const response = await stack.api<{ messages: Message[] }>('GET', '/v1/customers/c-reconfirm/messages');
        const sent = response.body.messages.filter((m) => m.journey === 'consent-reconfirmation' && m.status === 'sent');
        expect(sent.length).toBeGreaterThanOrEqual(1);
        return sent.at(-1)!;
      },
      { timeoutMs: PERIOD_MS + 30_000 },
    );
    const grantedOn = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Seoul' }).format(new Date(grantedAt)); // DEFAULT_TIMEZONE
    expect(notice).toMatchObject({ step: 'notice-1', channel: 'email', purpose: 'informational' });
    expect(Date.parse(notice.sentAt!)).toBeGreaterThanOrEqual(grantedAt + PERIOD_MS);
    expect(notice.content.startsWith('[광고성 정보 수신동의 확인 안내]')).toBe(true);
    expect(notice.content).toContain(`카카오톡 광고성 정보 수신: ${grantedOn} 동의 (야간 수신 포함)`);
    expect(notice.content).not.toContain('(광고)');
    const token = /수신거부: \S+\/unsubscribe\/(\S+)/.exec(notice.content)?.[1];
    expect(token).toBeDefined();

    // The link in the notice opts out; the revocation (a consent_changed event) ends the journey.
    const optOut = await fetch(`${stack.baseUrl}/unsubscribe/${token}`, { method: 'POST' });
    expect(optOut.status).toBe(200);
    await eventually(async () => {
      const runs = await reconfirmations('c-reconfirm');
      expect(runs.filter((j) => j.status === 'RUNNING')).toEqual([]);
      expect(runs.find((j) => j.status === 'COMPLETED')).toMatchObject({ state: { stage: 'exited', outcome: 'consent revoked' } });
    });
    // Each consent change is an event; the marketing ones were delivered to the journey.
    await eventually(async () => {
      const events = await stack.db.event.findMany({ where: { customerId: 'c-reconfirm', type: 'consent_changed' }, include: { deliveries: true } });
      const changes = events
        .map((e) => ({ at: e.occurredAt.getTime(), ...(e.properties as { channel: string; purpose: string; granted: boolean }), outcomes: e.deliveries.map((d) => d.outcome) }))
        .sort((a, b) => a.at - b.at || a.channel.localeCompare(b.channel))
        .map(({ channel, purpose, granted, outcomes }) => [channel, purpose, granted, outcomes]);
      expect(changes).toEqual([
        ['email', 'informational', true, []],
        ['kakao', 'marketing', true, ['started-or-signalled']],
        ['kakao', 'marketing', false, ['started-or-signalled']],
      ]);
    });
  });
});

// A campaign on the embedded stack (dev server, worker, PostgreSQL, API in this process; the
// outbox provider), against a baseline measured in the same run: the same guarded send
// (activities/messages.ts) called directly in a loop, 8 at a time like a campaign page, to the
// same customers under other keys — no Temporal. The ratio is the price of durability.
//
//   npm run bench:campaign [-- recipients=100000]
//
// Prints messages per second for both, the largest history of any run of the campaign
// workflow, and whether the report equals the messages table.
import os from 'node:os';
import pLimit from 'p-limit';
import { createMessageActivities } from '../activities/messages';
import { OutboxProvider } from '../src/channels/outbox';
import type { CampaignReport } from '../src/campaigns/service';
import { messagingSettings } from '../src/worker';
import { eventually, startStack } from '../test/helpers/stack';

const arg = (name: string, fallback: number) => Number(process.argv.find((a) => a.startsWith(`${name}=`))?.split('=')[1] ?? fallback);
const RECIPIENTS = arg('recipients', 100_000);

async function main() {
  console.log(`Starting the embedded stack and ${RECIPIENTS} customers with email consent…`);
  const stack = await startStack({ env: { FREQUENCY_CAP: '1000/7d' }, dispatcher: false });
  try {
    await stack.pool.query(
      `INSERT INTO "Customer" (id, name, email, attributes, "updatedAt")
       SELECT 'c-' || lpad(n::text, 7, '0'), '고객' || n, 'c' || n || '@example.com', '{"tier":"gold"}', now() FROM generate_series(1, $1::int) AS n`,
      [RECIPIENTS],
    );
    await stack.pool.query(
      `INSERT INTO "ConsentChange" ("customerId", channel, purpose, granted, source)
       SELECT 'c-' || lpad(n::text, 7, '0'), 'email', 'marketing', true, 'import' FROM generate_series(1, $1::int) AS n`,
      [RECIPIENTS],
    );
    await stack.pool.query('ANALYZE');

    // Baseline: the send activity's code in a loop, 8 in flight, no Temporal.
    const messages = createMessageActivities({ db: stack.db, pool: stack.pool, providers: { default: new OutboxProvider(stack.db) }, messaging: messagingSettings(stack.config) });
    const ids = (await stack.pool.query<{ id: string }>(`SELECT id FROM "Customer" ORDER BY id`)).rows.map((r) => r.id);
    const limit = pLimit(8);
    let started = process.hrtime.bigint();
    await Promise.all(
      ids.map((customerId) =>
        limit(() =>
          messages.sendMessage({
            idempotencyKey: `direct/${customerId}`,
            customerId,
            journey: 'bench',
            workflowId: 'bench-direct',
            step: 'send',
            purpose: 'marketing', // FREQUENCY_CAP is raised: the campaign's send to the same customer is not capped
            template: 'bench',
            content: { text: { ko: '{{ customer.name }}님, 늘 감사합니다.', en: 'Thank you, {{ customer.name }}.' } },
            channels: ['email'],
            data: {},
          }),
        ),
      ),
    );
    const directSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    const direct = await stack.db.message.count({ where: { workflowId: 'bench-direct', status: 'sent' } });

    started = process.hrtime.bigint();
    const created = await stack.api<{ id: string }>('POST', '/v1/campaigns', {
      name: 'bench',
      audience: { rules: { attribute: 'tier', op: 'eq', value: 'gold' } },
      content: { ko: '{{ customer.name }}님, 늘 감사합니다.', en: 'Thank you, {{ customer.name }}.' },
      channels: ['email'],
      holdoutPercent: 10,
    });
    const id = created.body.id;
    const report = await eventually(
      async () => {
        const { body } = await stack.api<CampaignReport>('GET', `/v1/campaigns/${id}`);
        if (body.status !== 'completed') throw new Error(`campaign ${body.status}`);
        return body;
      },
      { timeoutMs: 6 * 3600_000, intervalMs: 1000 },
    );
    const campaignSeconds = Number(process.hrtime.bigint() - started) / 1e9;

    let largestHistory = 0;
    for await (const run of stack.client.workflow.list({ query: `WorkflowId = "campaign:${id}"` })) {
      const history = await stack.client.workflow.getHandle(run.workflowId, run.runId).fetchHistory();
      largestHistory = Math.max(largestHistory, history.events?.length ?? 0);
    }
    const sentInTable = await stack.db.message.count({ where: { workflowId: `campaign:${id}`, status: 'sent' } });
    const handled = report.sent + report.suppressed.total + report.failed;

    console.log('');
    console.log(`Campaign to ${RECIPIENTS} customers (${report.holdout} held out), ${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB`);
    console.log('| measure | messages | seconds | messages/s |');
    console.log('|---|---|---|---|');
    console.log(`| baseline: the send activity's code in a loop (8 at a time), no Temporal | ${direct} | ${directSeconds.toFixed(1)} | ${(direct / directSeconds).toFixed(0)} |`);
    console.log(`| campaign: POST to completed (snapshot, pages, report) | ${handled} | ${campaignSeconds.toFixed(1)} | ${(handled / campaignSeconds).toFixed(0)} |`);
    console.log('');
    console.log(`Price of durability: ${(direct / directSeconds / (handled / campaignSeconds)).toFixed(2)}× the baseline's time per message`);
    console.log(`Largest history of any campaign run: ${largestHistory} events (target under 10,000)`);
    console.log(`Report equals the messages table: ${report.sent === sentInTable ? 'yes' : 'NO'} (sent ${report.sent}, table ${sentInTable})`);
  } finally {
    await stack.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

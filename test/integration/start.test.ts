// `npm start` as a user runs it: one process that starts the embedded dev server, the
// database, the worker and the API; Ctrl-C stops all of it; a restart keeps the journeys.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually, freePort } from '../helpers/stack';

const root = path.resolve(__dirname, '..', '..');
const tsx = path.join(root, 'node_modules', '.bin', 'tsx');
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'crm-journeys-start-'));
const running: ChildProcessWithoutNullStreams[] = [];

afterAll(() => {
  for (const child of running) if (child.exitCode === null) child.kill('SIGKILL');
  fs.rmSync(dataDir, { recursive: true, force: true });
});

function start(env: Record<string, string>) {
  // Only what a user's shell would pass: no test runner variables.
  const child = spawn(tsx, ['src/main.ts'], { cwd: root, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env } });
  running.push(child);
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('npm start', () => {
  it('runs the whole product, stops cleanly on Ctrl-C, and keeps journeys across restarts', async () => {
    const ports = { PORT: String(await freePort()), TEMPORAL_DEV_PORT: String(await freePort()), TEMPORAL_UI_PORT: String(await freePort()) };
    const env = { ...ports, DATA_DIR: dataDir, CART_REMINDER_DELAY: '1h' };
    const first = start(env);
    await eventually(() => expect(first.output()).toContain('Ready.'), { timeoutMs: 120_000, intervalMs: 500 });
    const key = /API key \(development[^\n]*\n\s+(dev_\S+)/.exec(first.output())?.[1];
    expect(key, first.output()).toBeDefined();
    expect(first.output()).toContain(`Temporal Web UI: http://127.0.0.1:${ports.TEMPORAL_UI_PORT}`);
    expect(fs.readFileSync(path.join(dataDir, 'dev-api-key'), 'utf8').trim()).toBe(key);

    const base = `http://127.0.0.1:${ports.PORT}`;
    const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    const ui = await eventually(async () => {
      const response = await fetch(`http://127.0.0.1:${ports.TEMPORAL_UI_PORT}/`);
      expect(response.status).toBe(200);
      return response;
    });
    expect(await ui.text()).toContain('<html');
    const event = { id: 'start-cart-1', type: 'cart_updated', customerId: 'c-restart', properties: { items: [], value: 0 } };
    expect((await fetch(`${base}/v1/events`, { method: 'POST', headers, body: JSON.stringify(event) })).status).toBe(202);
    await eventually(async () => {
      const body = (await (await fetch(`${base}/v1/customers/c-restart/journeys`, { headers })).json()) as { journeys: { journey: string; state: { stage: string } }[] };
      expect(body.journeys.find((j) => j.journey === 'cart-reminder')?.state?.stage).toBe('waiting');
    });

    first.child.kill('SIGINT');
    expect(await first.exited).toBe(0);
    expect(first.output()).toContain('Stopped.');
    expect(first.output()).not.toContain('shutdown step failed');
    // Nothing left behind: API, dev server and Web UI ports are all free again.
    for (const port of Object.values(ports)) expect(await listening(Number(port))).toBe(false);

    const second = start(env);
    await eventually(() => expect(second.output()).toContain('Ready.'), { timeoutMs: 120_000, intervalMs: 500 });
    expect(second.output()).toContain(key);
    await eventually(async () => {
      const body = (await (await fetch(`${base}/v1/customers/c-restart/journeys`, { headers })).json()) as {
        journeys: { workflowId: string; journey: string; status: string; state: { stage: string } }[];
      };
      expect(body.journeys.filter((j) => j.journey === 'cart-reminder')).toEqual([expect.objectContaining({ workflowId: 'cart-reminder:c-restart', status: 'RUNNING', state: expect.objectContaining({ stage: 'waiting' }) as object })]);
    });
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });

  it('stops before starting anything when the configuration is invalid, naming the variable', async () => {
    const bad = start({ PORT: 'abc', CART_REMINDER_DELAY: 'tomorrow', DATA_DIR: dataDir });
    expect(await bad.exited).toBe(1);
    expect(bad.output()).toMatch(/PORT: /);
    expect(bad.output()).toMatch(/CART_REMINDER_DELAY: expected a positive duration like 30m, 24h or 3d, got "tomorrow"/);
    expect(bad.output()).not.toContain('Starting the embedded Temporal dev server');
  });
});

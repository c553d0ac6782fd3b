// Saved histories of every journey replay against the current workflow code: a change
// that would break running journeys (without a `patched()` guard) fails here.
import fs from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { beforeAll, describe, expect, it } from 'vitest';
import { bundleJourneys } from '../helpers/workflow-env';
import { historyScenarios } from './scenarios';

const dir = path.join(__dirname, 'histories');
const files = fs.readdirSync(dir).filter((file) => file.endsWith('.json')).sort();

let workflowBundle: WorkflowBundleWithSourceMap;
beforeAll(async () => {
  workflowBundle = await bundleJourneys();
});

describe('replay of saved journey histories', () => {
  it('has a saved history for every scenario', () => {
    expect(files).toEqual(historyScenarios.map((s) => `${s.name}.json`).sort());
  });

  it.each(files)('%s replays without non-determinism', async (file) => {
    // Saved by scripts/capture-history.ts as protobufjs JSON (History.toJSON()).
    const history = temporal.api.history.v1.History.fromObject(JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as object);
    expect(history.events?.length).toBeGreaterThan(5);
    await Worker.runReplayHistory({ workflowBundle }, history, file.replace(/\.json$/, ''));
  });
});

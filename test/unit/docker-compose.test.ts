// No Docker engine runs here: the production shape is checked by parsing it.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

describe('docker-compose.yml', () => {
  const compose = parse(fs.readFileSync(path.resolve(__dirname, '../../docker-compose.yml'), 'utf8')) as {
    services: Record<string, { command?: string[]; environment?: Record<string, string>; build?: string }>;
  };

  it('runs API and worker as separate roles against one Temporal server', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['api', 'postgresql', 'temporal', 'temporal-search-attributes', 'temporal-ui', 'worker']);
    expect(compose.services.api.command).toEqual(['npm', 'run', 'start:api']);
    expect(compose.services.worker.command).toEqual(['npm', 'run', 'start:worker']);
    for (const role of ['api', 'worker']) expect(compose.services[role].environment?.TEMPORAL_ADDRESS).toBe('temporal:7233');
  });

  it('uses scripts that exist', () => {
    const scripts = (JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(scripts['start:api']).toBeDefined();
    expect(scripts['start:worker']).toBeDefined();
  });
});

// No Docker engine runs here: the production shape is checked by parsing it.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

type Service = {
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  build?: string;
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }> | string[];
};

describe('docker-compose.yml', () => {
  const compose = parse(fs.readFileSync(path.resolve(__dirname, '../../docker-compose.yml'), 'utf8'), { merge: true }) as {
    services: Record<string, Service>;
    volumes: Record<string, unknown>;
  };
  const { api, dispatcher, worker, postgresql, temporal } = compose.services;

  it('runs API, dispatcher and worker as separate roles against one Temporal server and one PostgreSQL database', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['api', 'dispatcher', 'postgresql', 'temporal', 'temporal-search-attributes', 'temporal-ui', 'worker']);
    expect(api.command).toEqual(['npm', 'run', 'start:api']);
    expect(dispatcher.command).toEqual(['npm', 'run', 'start:dispatcher']);
    expect(worker.command).toEqual(['npm', 'run', 'start:worker']);
    for (const role of [api, dispatcher, worker]) {
      expect(role.environment?.TEMPORAL_ADDRESS).toBe('temporal:7233');
      // The app database is the PostgreSQL service, and both roles wait until it is healthy.
      expect(role.environment?.DATABASE_URL).toMatch(/^postgresql:\/\/crm:\$\{POSTGRES_PASSWORD[^}]*\}@postgresql:5432\/crm$/);
      expect(role.depends_on).toMatchObject({ postgresql: { condition: 'service_healthy' } });
      expect(role.environment?.NODE_ENV).toBe('production');
      expect(role.environment).toHaveProperty('API_KEYS');
      expect(role.environment).toHaveProperty('UNSUBSCRIBE_SECRET');
      // Stateless: no shared volume (no SQLite file), so they scale.
      expect(role.volumes).toBeUndefined();
    }
    expect(postgresql.image).toMatch(/^postgres:1[67]$/);
    expect(postgresql.environment).toMatchObject({ POSTGRES_USER: 'crm', POSTGRES_DB: 'crm' });
    expect(temporal.environment).toMatchObject({ DB: 'postgres12', POSTGRES_SEEDS: 'postgresql' });
  });

  it('lets the roles scale: no fixed host port on workers or dispatchers, a port range for the API', () => {
    expect(worker.ports).toBeUndefined();
    expect(dispatcher.ports).toBeUndefined();
    expect(api.ports).toEqual(['3000-3003:3000']);
  });

  it('uses scripts that exist', () => {
    const scripts = (JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(scripts['start:api']).toBeDefined();
    expect(scripts['start:worker']).toBeDefined();
    expect(scripts['start:dispatcher']).toBeDefined();
  });
});

// No Docker engine runs here: the production shape is checked by parsing docker-compose.yml,
// the Dockerfile and .dockerignore.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config';

type Environment = Record<string, string | null>;
type Service = {
  image?: string;
  build?: string;
  command?: string[];
  environment?: Environment;
  ports?: string[];
  expose?: string[];
  volumes?: string[];
  init?: boolean;
  stop_grace_period?: string;
  deploy?: { replicas?: number };
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }> | string[];
};

const root = path.resolve(__dirname, '../..');
const read = (file: string) => fs.readFileSync(path.join(root, file), 'utf8');
const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, Service>; volumes: Record<string, unknown> };
const { services } = compose;
const { api, dispatcher, worker, postgresql, temporal } = services;
const roles = { api, dispatcher, worker };

/** Secret-looking variable names: passwords, secrets, keys, tokens (RATE_LIMIT_PER_KEY is a rate, not a key). */
const SECRET_NAME = /(PASSWORD|PWD|SECRET|TOKEN|(?<!_PER_)KEYS?)$/;
/** `${NAME:?message}`: compose refuses to start without the variable; no default to leak. */
const REQUIRED_REFERENCE = /^\$\{[A-Z0-9_]+:\?[^}]*\}$/;

/** The value a variable takes when the host sets nothing: `${VAR:-default}` → default, a bare key → unset. */
function resolveDefaults(environment: Environment, secrets: Record<string, string>): Record<string, string> {
  const resolved: Record<string, string> = {};
  for (const [name, value] of Object.entries(environment)) {
    if (value === null) continue;
    resolved[name] = value
      .replace(/\$\{([A-Z0-9_]+):\?[^}]*\}/g, (_, variable: string) => secrets[variable])
      .replace(/\$\{[A-Z0-9_]+:-([^}]*)\}/g, (_, fallback: string) => fallback);
  }
  return resolved;
}

describe('docker-compose.yml', () => {
  it('has exactly PostgreSQL, Temporal, its search-attribute setup, the Web UI, API, dispatcher and worker; the first four from pinned images, the roles built from this Dockerfile', () => {
    expect(Object.keys(services).sort()).toEqual(['api', 'dispatcher', 'postgresql', 'temporal', 'temporal-search-attributes', 'temporal-ui', 'worker']);
    expect(postgresql.image).toBe('postgres:17');
    expect(temporal.image).toMatch(/^temporalio\/auto-setup:\d+\.\d+\.\d+$/);
    expect(services['temporal-search-attributes'].image).toMatch(/^temporalio\/admin-tools:\d+\.\d+\.\d+$/);
    expect(services['temporal-ui'].image).toMatch(/^temporalio\/ui:\d+\.\d+\.\d+$/);
    for (const role of Object.values(roles)) {
      expect(role.build).toBe('.');
      expect(role.image).toBeUndefined();
    }
    // Temporal on PostgreSQL (the postgresql service), not its default Cassandra.
    expect(temporal.environment).toMatchObject({ DB: 'postgres12', POSTGRES_SEEDS: 'postgresql', POSTGRES_USER: 'crm' });
    expect(postgresql.environment).toMatchObject({ POSTGRES_USER: 'crm', POSTGRES_DB: 'crm' });
  });

  it('runs each role as `node --import tsx` on the same arguments as its npm start:<role> script (node, not npm, receives SIGTERM), under an init process, with 30 s to drain', () => {
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    for (const [name, role] of Object.entries(roles)) {
      const [runner, ...args] = scripts[`start:${name}`].split(' ');
      expect(runner).toBe('tsx');
      expect(args).toContain(`--only=${name}`);
      expect(role.command).toEqual(['node', '--import', 'tsx', ...args]);
      expect(role.init).toBe(true);
      expect(role.stop_grace_period).toBe('30s');
    }
  });

  it('publishes the API on host ports 3000-3003 → 3000 (room for --scale api=4), the Web UI on 8233 → 8080 and Temporal on 7233, and no host port for PostgreSQL, the dispatcher or the workers', () => {
    expect(api.ports).toEqual(['3000-3003:3000']);
    expect(services['temporal-ui'].ports).toEqual(['8233:8080']);
    expect(services['temporal-ui'].environment?.TEMPORAL_ADDRESS).toBe('temporal:7233');
    expect(temporal.ports).toEqual(['7233:7233']);
    expect(postgresql.ports).toBeUndefined();
    expect(dispatcher.ports).toBeUndefined();
    // Fixed host ports would make a second worker fail to start; metrics stay on the compose network.
    expect(worker.ports).toBeUndefined();
    expect(worker.expose).toEqual(['${METRICS_PORT:-9464}']);
    expect(dispatcher.expose).toEqual(['${METRICS_PORT:-9464}']);
  });

  it('runs two workers by default through deploy.replicas, so `--scale worker=N` still sets the count', () => {
    expect(worker.deploy?.replicas).toBe(2);
    expect(Object.keys(services).filter((name) => name.startsWith('worker'))).toEqual(['worker']);
  });

  it('points every role at the compose PostgreSQL (database crm, password by reference) and the compose Temporal, in production mode, with no volume (stateless, so they scale)', () => {
    for (const role of Object.values(roles)) {
      expect(role.environment?.TEMPORAL_ADDRESS).toBe('temporal:7233');
      expect(role.environment?.DATABASE_URL).toBe('postgresql://crm:${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}@postgresql:5432/crm');
      expect(role.environment?.NODE_ENV).toBe('production');
      expect(role.volumes).toBeUndefined();
    }
  });

  it('takes every secret-named variable as a required ${VAR:?…} reference or a bare host pass-through, never a literal or a default; API_KEYS reach the API alone, UNSUBSCRIBE_SECRET the API and the workers', () => {
    const checked: string[] = [];
    for (const [serviceName, service] of Object.entries(services)) {
      for (const [name, value] of Object.entries(service.environment ?? {})) {
        if (!SECRET_NAME.test(name)) continue;
        checked.push(`${serviceName}.${name}`);
        if (value !== null) expect(value, `${serviceName}.${name}`).toMatch(REQUIRED_REFERENCE);
      }
    }
    // The loop saw the secrets that matter (a renamed variable would otherwise pass silently).
    expect(checked).toEqual(expect.arrayContaining(['postgresql.POSTGRES_PASSWORD', 'temporal.POSTGRES_PWD', 'api.API_KEYS', 'api.UNSUBSCRIBE_SECRET', 'worker.UNSUBSCRIBE_SECRET', 'api.TEMPORAL_API_KEY', 'worker.TEMPORAL_TLS_KEY']));
    expect(postgresql.environment?.POSTGRES_PASSWORD).toMatch(/^\$\{POSTGRES_PASSWORD:\?/);
    expect(temporal.environment?.POSTGRES_PWD).toMatch(/^\$\{POSTGRES_PASSWORD:\?/);
    expect(api.environment?.API_KEYS).toMatch(/^\$\{API_KEYS:\?/);
    expect(api.environment?.UNSUBSCRIBE_SECRET).toMatch(/^\$\{UNSUBSCRIBE_SECRET:\?/);
    expect(worker.environment?.UNSUBSCRIBE_SECRET).toMatch(/^\$\{UNSUBSCRIBE_SECRET:\?/);
    expect(worker.environment).not.toHaveProperty('API_KEYS');
    expect(dispatcher.environment).not.toHaveProperty('API_KEYS');
    expect(dispatcher.environment).not.toHaveProperty('UNSUBSCRIBE_SECRET');
    // Nowhere in the file does a secret get a fallback value.
    expect(read('docker-compose.yml')).not.toMatch(/\$\{(POSTGRES_PASSWORD|API_KEYS|UNSUBSCRIBE_SECRET|TEMPORAL_API_KEY)(:?-)/);
  });

  it('passes LOG_LEVEL (info), RATE_LIMIT_PER_KEY (600/1m, API) and METRICS_PORT (9464, workers and dispatcher) from the host with defaults, and ALLOWED_ORIGINS and the Temporal Cloud settings only when the host sets them', () => {
    for (const role of Object.values(roles)) {
      expect(role.environment?.LOG_LEVEL).toBe('${LOG_LEVEL:-info}');
      // A bare key: unset unless the host sets it (an empty string would fail the app's validation).
      for (const name of ['TEMPORAL_API_KEY', 'TEMPORAL_TLS_CERT', 'TEMPORAL_TLS_KEY']) expect(role.environment).toHaveProperty(name, null);
    }
    expect(api.environment).toMatchObject({ RATE_LIMIT_PER_KEY: '${RATE_LIMIT_PER_KEY:-600/1m}', ALLOWED_ORIGINS: null });
    expect(worker.environment?.METRICS_PORT).toBe('${METRICS_PORT:-9464}');
    expect(dispatcher.environment?.METRICS_PORT).toBe('${METRICS_PORT:-9464}');
  });

  it("gives each role an environment the app's configuration accepts when the host sets only the three required secrets", () => {
    const secrets = { POSTGRES_PASSWORD: 'compose-test-password', API_KEYS: 'k'.repeat(32), UNSUBSCRIBE_SECRET: 's'.repeat(32) };
    expect(loadConfig(resolveDefaults(api.environment ?? {}, secrets))).toMatchObject({
      env: 'production',
      logLevel: 'info',
      api: { rateLimit: { points: 600, seconds: 60 }, allowedOrigins: [] },
      temporal: { address: 'temporal:7233', apiKey: undefined, tls: null },
    });
    expect(loadConfig(resolveDefaults(worker.environment ?? {}, secrets))).toMatchObject({ metricsPort: 9464 });
    expect(loadConfig(resolveDefaults(dispatcher.environment ?? {}, secrets))).toMatchObject({ database: { url: `postgresql://crm:${secrets.POSTGRES_PASSWORD}@postgresql:5432/crm` } });
  });

  it('health-checks PostgreSQL with pg_isready, Temporal by describing the default namespace, the API with GET /healthz on port 3000 and the dispatcher and workers with GET /metrics on METRICS_PORT, through node (the image has no curl)', () => {
    for (const role of [dispatcher, worker]) {
      const [kind, command, flag, script] = role.healthcheck?.test ?? [];
      expect([kind, command, flag]).toEqual(['CMD', 'node', '-e']);
      expect(script).toContain("fetch('http://127.0.0.1:' + process.env.METRICS_PORT + '/metrics')");
    }
    expect(postgresql.healthcheck?.test).toEqual(['CMD-SHELL', 'pg_isready -U crm -d crm']);
    expect(temporal.healthcheck?.test).toEqual(['CMD', 'temporal', 'operator', 'namespace', 'describe', '--namespace', 'default', '--address', 'temporal:7233']);
    const [kind, command, flag, script] = api.healthcheck?.test ?? [];
    expect([kind, command, flag]).toEqual(['CMD', 'node', '-e']);
    expect(script).toContain("fetch('http://127.0.0.1:3000/healthz')");
    expect(script).toContain('process.exit(r.ok ? 0 : 1)');
  });

  it('starts each role after PostgreSQL and Temporal are healthy and the search attributes are registered, Temporal after a healthy PostgreSQL, and waits on service_healthy only for services that have a health check', () => {
    for (const role of Object.values(roles)) {
      expect(role.depends_on).toEqual({
        postgresql: { condition: 'service_healthy' },
        temporal: { condition: 'service_healthy' },
        'temporal-search-attributes': { condition: 'service_completed_successfully' },
      });
    }
    expect(temporal.depends_on).toEqual({ postgresql: { condition: 'service_healthy' } });
    expect(services['temporal-search-attributes'].depends_on).toEqual({ temporal: { condition: 'service_healthy' } });
    expect(services['temporal-ui'].depends_on).toEqual({ temporal: { condition: 'service_healthy' } });
    for (const [name, service] of Object.entries(services)) {
      for (const [dependency, { condition }] of Object.entries(Array.isArray(service.depends_on) ? {} : (service.depends_on ?? {}))) {
        expect(services[dependency], `${name} depends on ${dependency}`).toBeDefined();
        if (condition === 'service_healthy') expect(services[dependency].healthcheck, `${name} waits for ${dependency} to be healthy`).toBeDefined();
      }
    }
  });
});

describe('Dockerfile', () => {
  // Instructions with continuation lines joined, comments dropped.
  const instructions = read('Dockerfile')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const [keyword, ...rest] = line.split(/\s+/);
      return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    });

  it('declares no ENV or ARG with a secret-looking name (secrets come from the environment at run time)', () => {
    const names = instructions
      .filter(({ keyword }) => keyword === 'ENV' || keyword === 'ARG')
      .flatMap(({ args }) => args.split(/\s+/).map((pair) => pair.split('=')[0]));
    expect(names).toEqual(['NODE_ENV']);
    for (const name of names) expect(name).not.toMatch(/PASSWORD|PWD|SECRET|KEY|TOKEN|CREDENTIAL|DATABASE_URL/i);
  });

  it('switches to the non-root node user before its CMD, which runs node itself on the API role', () => {
    const keywords = instructions.map(({ keyword }) => keyword);
    const lastUser = keywords.lastIndexOf('USER');
    const cmd = keywords.indexOf('CMD');
    expect(lastUser).toBeGreaterThan(-1);
    expect(instructions[lastUser].args).toBe('node');
    expect(cmd).toBeGreaterThan(lastUser);
    expect(JSON.parse(instructions[cmd].args)).toEqual(['node', '--import', 'tsx', 'src/main.ts', '--only=api']);
  });
});

describe('.dockerignore', () => {
  it('keeps node_modules, generated code, local data, env files, .git and test artefacts out of the build context', () => {
    const entries = read('.dockerignore')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#'));
    expect(entries).toEqual(expect.arrayContaining(['node_modules', 'src/generated', '.data', '.env', '.env.*', '.git', 'coverage', 'test-results', '*.log']));
  });
});

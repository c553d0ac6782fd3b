// `npm run keys -- create --scope admin --name ops` | `list` | `revoke <id>`: API keys from the
// shell, for the first admin key of a deployment. Works on DATABASE_URL, or on the embedded
// PostgreSQL of DATA_DIR — the running one of `npm start` if it is up, else started for this.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config';
import { postgresUrl, startEmbeddedPostgres, type EmbeddedPostgres } from '../database/embedded-postgres';
import { migrateDatabase } from '../database/migrate';
import { createPool } from '../db';
import { isListening } from '../processes';
import { KeyStore, newKeySchema } from './store';

const USAGE = `Usage:
  npm run keys -- create --scope <ingest|admin> --name <who uses it>
  npm run keys -- list
  npm run keys -- revoke <key id>`;

class UsageError extends Error {}

async function databaseUrl(): Promise<{ url: string; embedded?: EmbeddedPostgres }> {
  const config = loadConfig();
  if (config.database.url) return { url: config.database.url };
  const port = config.database.embeddedPort;
  if (await isListening('127.0.0.1', port)) {
    // `npm start` is running on this DATA_DIR: use its server.
    const password = fs.readFileSync(path.join(config.dataDir, 'postgres-password'), 'utf8').trim();
    return { url: postgresUrl(password, port) };
  }
  const embedded = await startEmbeddedPostgres({ dataDir: config.dataDir, port, log: () => undefined });
  return { url: embedded.url, embedded };
}

async function main(argv: string[]): Promise<void> {
  const { positionals, values } = parseArgs({ args: argv, allowPositionals: true, options: { scope: { type: 'string' }, name: { type: 'string' } } });
  const [command, ...rest] = positionals;
  if (!['create', 'list', 'revoke'].includes(command ?? '')) throw new UsageError(command ? `unknown command "${command}"` : 'no command');
  const input = command === 'create' ? newKeySchema.safeParse({ name: values.name, scope: values.scope }) : undefined;
  if (input && !input.success) throw new UsageError(input.error.issues.map((issue) => `--${issue.path.join('.')}: ${issue.message}`).join('\n'));
  if (command === 'revoke' && rest.length !== 1) throw new UsageError('revoke takes one key id (see `npm run keys -- list`)');

  const { url, embedded } = await databaseUrl();
  const pool = createPool(url, { size: 1 });
  try {
    await migrateDatabase(url, { log: () => undefined });
    const keys = new KeyStore(pool);
    if (input?.success) {
      const made = await keys.create(input.data);
      console.log(`Created ${made.scope} key ${made.id} (${made.name}). It is shown only this once; keep it somewhere safe:\n\n  ${made.key}\n`);
    } else if (command === 'list') {
      const all = await keys.list();
      if (!all.length) console.log('No stored keys. (API_KEYS in the environment are admin keys besides these.)');
      for (const key of all) console.log([key.id, key.scope.padEnd(6), `${key.prefix}…`, key.createdAt, key.revokedAt ? `revoked ${key.revokedAt}` : 'active', key.name].join('  '));
    } else {
      const revoked = await keys.revoke(rest[0]);
      if (!revoked) throw new UsageError(`no key ${rest[0]} (see \`npm run keys -- list\`)`);
      console.log(`Revoked ${revoked.id} (${revoked.name}) at ${revoked.revokedAt}. Running API processes refuse it within 5 s.`);
    }
  } finally {
    await pool.end();
    await embedded?.stop();
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof UsageError) console.error(`${error.message}\n\n${USAGE}`);
  else if (error instanceof ConfigError) console.error(error.message);
  else console.error(`keys: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = error instanceof UsageError ? 2 : 1;
});

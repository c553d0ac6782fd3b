// `npm run db:migration -- <name>`: turns a change to prisma/schema.prisma into a new
// migration, prisma/migrations/<UTC timestamp>_<name>/migration.sql, by diffing the schema as
// committed (git HEAD, or --from <file>) against the working copy with `prisma migrate diff`.
//
// Prisma's diff runs on the WebAssembly engine through the pg adapter (prisma.config.ts),
// which wants a reachable database even to compare two datamodels: a throwaway embedded
// PostgreSQL is started for it unless DATABASE_URL is set.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../src/database/embedded-postgres';
import { MIGRATIONS_DIR } from '../src/database/migrate';

const root = path.resolve(__dirname, '..');

function usage(message: string): never {
  console.error(`${message}\nUsage: npm run db:migration -- <name> [--from <old schema.prisma>] [--out <migrations folder>]`);
  process.exit(2);
}

function option(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at === -1 ? undefined : process.argv[at + 1];
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function main(): Promise<void> {
  const name = process.argv[2];
  if (!name || name.startsWith('--') || !/^[a-z][a-z0-9_]*$/.test(name)) usage('name the migration in snake_case, e.g. add_customer_tier');
  const outDir = path.resolve(option('--out') ?? MIGRATIONS_DIR);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'crm-journeys-migration-'));
  fs.chmodSync(tmp, 0o755); // the throwaway server may run as the `postgres` user
  let server: EmbeddedPostgres | undefined;
  try {
    let from = option('--from');
    if (!from) {
      from = path.join(tmp, 'committed.prisma');
      fs.writeFileSync(from, execFileSync('git', ['show', 'HEAD:prisma/schema.prisma'], { cwd: root }));
    }
    let url = process.env.DATABASE_URL;
    if (!url) {
      server = await startEmbeddedPostgres({ dataDir: path.join(tmp, 'data'), port: await freePort(), durability: 'none', log: () => undefined });
      url = server.url;
    }
    const sql = execFileSync(
      process.execPath,
      [path.join(root, 'node_modules', 'prisma', 'build', 'index.js'), 'migrate', 'diff', '--from-schema-datamodel', from, '--to-schema-datamodel', 'prisma/schema.prisma', '--script'],
      { cwd: root, env: { ...process.env, DATABASE_URL: url, PRISMA_CLI_QUERY_ENGINE_TYPE: 'client', PRISMA_HIDE_UPDATE_MESSAGE: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
    ).toString();
    if (!/\S/.test(sql.replace(/^--.*$/gm, ''))) {
      console.log('prisma/schema.prisma has no change against the committed schema: no migration written.');
      return;
    }
    const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
    const file = path.join(outDir, `${stamp}_${name}`, 'migration.sql');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, sql);
    console.log(`Wrote ${path.relative(process.cwd(), file)}:\n\n${sql}`);
    console.log('Review it, then `npm start` (or `npm run db:migrate`) applies it; `npm run postinstall` regenerates the client.');
  } finally {
    await server?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(`Could not write the migration: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});

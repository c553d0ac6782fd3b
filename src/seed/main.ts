// `npm run seed`: fills the database with the demo shop (src/seed/shop.ts) played through the
// product (src/seed/simulate.ts), then prints what it made and the two reference cases of
// DESIGN.md as the analytics report them. A database that already has customers is refused;
// `npm run seed -- --reset` empties it first.
//
// The database is DATABASE_URL, else the embedded PostgreSQL of DATA_DIR (as `npm start` uses
// it). The product must not be running on it: its dispatcher would hand the shop's live events
// to its own journeys, on today's clock.
import { ConfigError, loadConfig, type Config } from '../config';
import { maskDatabaseUrl, startEmbeddedPostgres, type EmbeddedPostgres } from '../database/embedded-postgres';
import { migrateDatabase } from '../database/migrate';
import { createDb, createPool, withSessionSettings } from '../db';
import { log as productLog } from '../log';
import { isListening } from '../processes';
import { FRIENDTALK_COST, generateShop } from './shop';
import { playShop } from './simulate';
import { summarise, type Summary } from './summary';

const TABLES_KEPT = ['_prisma_migrations'];

/** The demo shop's settings over the product's: FriendTalk at its contract price, an upsell holdout to measure. */
export function demoShopConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const base = loadConfig(env);
  const costs = { ...base.messaging.costs, friendtalk: FRIENDTALK_COST };
  return loadConfig({
    UPSELL_HOLDOUT: '10',
    ...env,
    CHANNEL_COSTS: Object.entries(costs)
      .map(([key, value]) => `${key}=${value}`)
      .join(','),
  });
}

/** Empties every table but the migrations' (one statement: all or nothing). */
export async function resetDatabase(databaseUrl: string): Promise<void> {
  const pool = createPool(databaseUrl, { size: 1 });
  try {
    const { rows } = await pool.query<{ name: string }>(`SELECT quote_ident(tablename) AS name FROM pg_tables WHERE schemaname = current_schema() AND tablename <> ALL($1::text[])`, [TABLES_KEPT]);
    if (rows.length) await pool.query(`TRUNCATE ${rows.map((r) => r.name).join(', ')} RESTART IDENTITY CASCADE`);
  } finally {
    await pool.end();
  }
}

export interface SeedOptions {
  databaseUrl: string;
  config: Config;
  reset: boolean;
  /** The shop's year ends here (default: today, 00:00 UTC). */
  end?: Date;
  log?: (line: string) => void;
}

export class SeedRefused extends Error {}

export async function seed({ databaseUrl: target, config, reset, end = startOfToday(), log = console.log }: SeedOptions): Promise<Summary> {
  // Commits without waiting for their WAL flush (PostgreSQL writes it within a fraction of a
  // second): the seed commits hundreds of thousands of small transactions, and one cut short by
  // a machine crash is seeded again with --reset anyway. Consistency is never at stake.
  const databaseUrl = withSessionSettings(target, { synchronous_commit: 'off' });
  const db = createDb(databaseUrl);
  const pool = createPool(databaseUrl);
  try {
    const customers = await db.customer.count();
    if (customers > 0 && !reset) {
      throw new SeedRefused(`The database already has ${customers.toLocaleString('en')} customers: nothing was written. \`npm run seed -- --reset\` empties it (every table) and seeds again.`);
    }
    if (customers > 0 || reset) {
      log('Emptying the database (--reset)…');
      await resetDatabase(databaseUrl);
    }
    const started = Date.now();
    const shop = generateShop(end);
    log(`Demo shop: ${shop.yearStart.toISOString().slice(0, 10)} to ${end.toISOString().slice(0, 10)}; the last ${Math.round((end.getTime() - shop.liveStart.getTime()) / 86_400_000)} days played on a simulated clock.`);
    const played = await playShop({ db, pool, databaseUrl, config, log }, shop);
    const summary = await summarise(pool, shop, played, config);
    log(`Done in ${((Date.now() - started) / 1000).toFixed(0)} s.`);
    return summary;
  } finally {
    await pool.end();
    await db.$disconnect();
  }
}

function startOfToday(): Date {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
}

async function main() {
  // The dispatcher and the activities log every delivery and send (JSON, for log stores): here
  // the progress lines and the summary are the output. LOG_LEVEL=info shows them again.
  productLog.level = process.env.LOG_LEVEL ?? 'warn';
  const args = process.argv.slice(2);
  const unknown = args.filter((arg) => arg !== '--reset');
  if (unknown.length) throw new ConfigError([`${unknown[0]}: unknown option (npm run seed [-- --reset])`]);
  const config = demoShopConfig();
  let databaseUrl = config.database.url;
  let embedded: EmbeddedPostgres | undefined;
  if (!databaseUrl) {
    if (await isListening('127.0.0.1', config.database.embeddedPort)) {
      throw new SeedRefused(`Port ${config.database.embeddedPort} is in use: is \`npm start\` running? Stop it (Ctrl-C), run \`npm run seed\`, then \`npm start\` again. (The product's dispatcher would otherwise take the shop's events to today's journeys.)`);
    }
    console.log(`Starting the embedded PostgreSQL (data in ${config.dataDir}/postgres)…`);
    const postgres = await startEmbeddedPostgres({ dataDir: config.dataDir, port: config.database.embeddedPort });
    embedded = postgres;
    databaseUrl = postgres.url;
  }
  try {
    await migrateDatabase(databaseUrl, { log: console.log });
    console.log(`Seeding ${maskDatabaseUrl(embedded?.address ?? databaseUrl)}…`);
    const summary = await seed({ databaseUrl, config, reset: args.includes('--reset') });
    console.log(summary.text);
  } finally {
    await embedded?.stop();
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof ConfigError || error instanceof SeedRefused ? error.message : error);
    process.exit(1);
  });
}

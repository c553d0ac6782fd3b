// `npm run db:migrate`: applies pending migrations to DATABASE_URL and says which. Without
// DATABASE_URL it migrates the embedded database in DATA_DIR (starting and stopping it).
import { ConfigError, loadConfig } from '../config';
import { maskDatabaseUrl, startEmbeddedPostgres, type EmbeddedPostgres } from './embedded-postgres';
import { migrateDatabase } from './migrate';

async function main(): Promise<void> {
  const config = loadConfig();
  let embedded: EmbeddedPostgres | undefined;
  try {
    let url = config.database.url;
    if (!url) {
      embedded = await startEmbeddedPostgres({ dataDir: config.dataDir, port: config.database.embeddedPort });
      url = embedded.url;
    }
    console.log(`Migrating ${maskDatabaseUrl(embedded?.address ?? url)}${embedded ? ` (embedded, data in ${embedded.clusterDir})` : ''}…`);
    const result = await migrateDatabase(url, { log: console.log });
    console.log(
      result.applied.length
        ? `Applied ${result.applied.length} migration(s); ${result.alreadyApplied + result.applied.length} applied in all.`
        : `No pending migrations: all ${result.alreadyApplied} are applied.`,
    );
  } finally {
    await embedded?.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : `Migration failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});

// Prisma runs fully offline: the WebAssembly schema engine through the pg driver adapter
// (no native engine download), for `prisma migrate diff`, `prisma generate` and friends.
// Migrations are applied by src/database/migrate.ts, not `prisma migrate deploy` (see there).
import { defineConfig } from 'prisma/config';
import { PrismaPg } from '@prisma/adapter-pg';

// The embedded server's address when nothing else is configured (it is only contacted by
// commands that need a database).
const connectionString = process.env.DATABASE_URL ?? `postgresql://crm@127.0.0.1:${process.env.PG_PORT ?? 5433}/crm`;
// The schema's datasource reads DATABASE_URL; without it `prisma generate` falls back to
// downloading the native query engine.
process.env.DATABASE_URL ??= connectionString;

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: 'prisma/schema.prisma',
  adapter: () => Promise.resolve(new PrismaPg({ connectionString })),
});

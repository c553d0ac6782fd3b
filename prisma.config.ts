// Prisma runs fully offline through the libSQL driver adapter and the WebAssembly
// schema engine (no native engine download). See README "Database".
import fs from 'node:fs';
import path from 'node:path';
import { defineConfig } from 'prisma/config';
import { PrismaLibSQL } from '@prisma/adapter-libsql';

const url = process.env.DATABASE_URL ?? `file:${path.resolve(process.env.DATA_DIR ?? '.data', 'crm.db')}`;
// The schema's datasource reads DATABASE_URL; without it `prisma generate` falls back to
// downloading the native query engine.
process.env.DATABASE_URL ??= url;
// libSQL does not create the database's folder.
fs.mkdirSync(path.dirname(path.resolve(url.replace(/^file:/, '').split('?')[0])), { recursive: true });

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: 'prisma/schema.prisma',
  adapter: () => Promise.resolve(new PrismaLibSQL({ url })),
});

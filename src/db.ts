// Database client (Prisma through the libSQL driver adapter: no native engine download)
// and migrations (`prisma migrate deploy`, the same command operators run).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { PrismaLibSQL } from '@prisma/adapter-libsql';
import { PrismaClient } from './generated/prisma/client';

export type Db = PrismaClient;

const projectRoot = path.resolve(__dirname, '..');

export function createDb(databaseUrl: string): Db {
  ensureSqliteDirectory(databaseUrl);
  return new PrismaClient({ adapter: new PrismaLibSQL({ url: databaseUrl }) });
}

/** Applies pending migrations. Safe to run on every start: applied ones are skipped. */
export async function migrateDatabase(databaseUrl: string): Promise<void> {
  ensureSqliteDirectory(databaseUrl);
  const prismaCli = path.join(projectRoot, 'node_modules', 'prisma', 'build', 'index.js');
  try {
    await promisify(execFile)(process.execPath, [prismaCli, 'migrate', 'deploy'], {
      cwd: projectRoot,
      env: { ...process.env, DATABASE_URL: databaseUrl, PRISMA_CLI_QUERY_ENGINE_TYPE: 'client', PRISMA_HIDE_UPDATE_MESSAGE: '1' },
    });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`database migration failed for ${databaseUrl}:\n${stderr || stdout || String(error)}`);
  }
}

function ensureSqliteDirectory(databaseUrl: string): void {
  const file = databaseUrl.replace(/^file:/, '').split('?')[0];
  if (file && file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(projectRoot, file)), { recursive: true });
}

/** JSON text columns (SQLite has no JSON type). */
export function parseJsonObject(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

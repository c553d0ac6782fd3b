// Outside production, `npm start` keeps one stored ingest key for the demo shop page
// (GET /demo/shop): made on first start, kept in DATA_DIR/dev-ingest-key, made again if the
// database no longer has it (a fresh database, a revoked key).
import fs from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { KeyStore } from './store';

export async function developmentIngestKey(pool: pg.Pool, dataDir: string): Promise<string> {
  const file = path.join(dataDir, 'dev-ingest-key');
  const keys = new KeyStore(pool);
  const kept = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim() : '';
  if (kept && (await keys.identify(kept))?.scope === 'ingest') return kept;
  const { key } = await keys.create({ name: 'demo shop (development)', scope: 'ingest' });
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return key;
}

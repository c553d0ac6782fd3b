// `npm start` without API_KEYS: one development key, kept in DATA_DIR so it survives restarts.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export function developmentApiKey(dataDir: string): string {
  const file = path.join(dataDir, 'dev-api-key');
  try {
    const existing = fs.readFileSync(file, 'utf8').trim();
    if (existing) return existing;
  } catch {
    // first start
  }
  const key = `dev_${randomBytes(24).toString('base64url')}`;
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return key;
}

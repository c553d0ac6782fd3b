// Secrets `npm start` makes for itself when none are configured, kept in DATA_DIR so they
// survive restarts (and are shared by an API and a worker on the same machine).
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, type Config } from './config';

function persisted(dataDir: string, name: string, make: () => string): string {
  const file = path.join(dataDir, name);
  try {
    const existing = fs.readFileSync(file, 'utf8').trim();
    if (existing) return existing;
  } catch {
    // first start
  }
  const value = make();
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(file, `${value}\n`, { mode: 0o600 });
  return value;
}

/** `npm start` without API_KEYS: one development key. */
export function developmentApiKey(dataDir: string): string {
  return persisted(dataDir, 'dev-api-key', () => `dev_${randomBytes(24).toString('base64url')}`);
}

/** Signs opt-out links: UNSUBSCRIBE_SECRET, or (outside production) one kept in DATA_DIR. */
export function unsubscribeSecret(config: Config): string {
  if (config.messaging.unsubscribeSecret) return config.messaging.unsubscribeSecret;
  if (config.env === 'production') throw new ConfigError(['UNSUBSCRIBE_SECRET: required when NODE_ENV=production']);
  return persisted(config.dataDir, 'unsubscribe-secret', () => randomBytes(32).toString('base64url'));
}

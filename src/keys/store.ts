// API keys: made here (POST /v1/keys, `npm run keys`), kept as a SHA-256 hash in "ApiKey", and
// checked on every /v1 request. API_KEYS in the environment are admin keys besides these (the
// way to bootstrap a deployment, and what tests use); they are compared in constant time.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type pg from 'pg';
import { z } from 'zod';

export const KEY_SCOPES = ['ingest', 'admin'] as const;
export type KeyScope = (typeof KEY_SCOPES)[number];

/** Who is calling: a stored key, or one of API_KEYS (`env:<position>`). */
export interface ApiKeyIdentity {
  id: string;
  name: string;
  scope: KeyScope;
}

export interface ApiKeyRecord extends ApiKeyIdentity {
  prefix: string;
  createdAt: string;
  revokedAt: string | null;
}

export const newKeySchema = z.object({
  name: z.string().trim().min(1, 'name the key (who or what uses it)').max(100, 'at most 100 characters'),
  scope: z.enum(KEY_SCOPES, { message: 'expected "ingest" (send events, read on-site messages) or "admin" (everything)' }),
});
export type NewKey = z.infer<typeof newKeySchema>;

const sha256 = (value: string) => createHash('sha256').update(value).digest();

/** How long a stored key's lookup is remembered by one process: a revocation reaches the other processes within this. */
export const KEY_CACHE_MS = 5_000;
const CACHE_LIMIT = 10_000;

interface Row {
  id: string;
  name: string;
  scope: KeyScope;
  prefix: string;
  createdAt: Date;
  revokedAt: Date | null;
}

const record = (row: Row): ApiKeyRecord => ({
  id: row.id,
  name: row.name,
  scope: row.scope,
  prefix: row.prefix,
  createdAt: row.createdAt.toISOString(),
  revokedAt: row.revokedAt?.toISOString() ?? null,
});

export class KeyStore {
  private readonly environmentKeys: Buffer[];
  private readonly cache = new Map<string, { identity: ApiKeyIdentity | null; until: number }>();
  private readonly activeCache = new Map<string, { active: boolean; until: number }>();

  constructor(
    private readonly pool: pg.Pool,
    environmentKeys: readonly string[] = [],
    private readonly now: () => number = Date.now,
  ) {
    this.environmentKeys = environmentKeys.map(sha256);
  }

  /** The key's identity, or null for an unknown or revoked key. */
  async identify(presented: string): Promise<ApiKeyIdentity | null> {
    const digest = sha256(presented);
    // Every environment key is compared, so the time taken does not say which one matched.
    let position = -1;
    this.environmentKeys.forEach((key, index) => {
      if (timingSafeEqual(key, digest) && position === -1) position = index;
    });
    if (position !== -1) return { id: `env:${position + 1}`, name: `API_KEYS #${position + 1}`, scope: 'admin' };

    // Stored keys are found by their hash: the lookup compares hashes, never the key.
    const hash = digest.toString('hex');
    const cached = this.cache.get(hash);
    if (cached && cached.until > this.now()) return cached.identity;
    const { rows } = await this.pool.query<ApiKeyIdentity>(
      `SELECT id, name, scope::text AS scope FROM "ApiKey" WHERE hash = $1 AND "revokedAt" IS NULL`,
      [hash],
    );
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(hash, { identity: rows[0] ?? null, until: this.now() + KEY_CACHE_MS });
    return rows[0] ?? null;
  }

  /** Whether the key with this id (from identify()) is still good: for sessions begun with it (the dashboard's). */
  async isActive(id: string): Promise<boolean> {
    if (id.startsWith('env:')) return Number(id.slice(4)) <= this.environmentKeys.length;
    const cached = this.activeCache.get(id);
    if (cached && cached.until > this.now()) return cached.active;
    const { rows } = await this.pool.query('SELECT 1 FROM "ApiKey" WHERE id = $1 AND "revokedAt" IS NULL', [id]);
    if (this.activeCache.size >= CACHE_LIMIT) this.activeCache.clear();
    this.activeCache.set(id, { active: rows.length === 1, until: this.now() + KEY_CACHE_MS });
    return rows.length === 1;
  }

  /** Makes a key; the answer is the only place the key itself ever appears. */
  async create(input: NewKey): Promise<ApiKeyRecord & { key: string }> {
    const key = `crm_${input.scope}_${randomBytes(32).toString('base64url')}`;
    const id = `key_${randomBytes(9).toString('base64url')}`;
    const { rows } = await this.pool.query<Row>(
      `INSERT INTO "ApiKey" (id, name, scope, hash, prefix) VALUES ($1, $2, $3, $4, $5)
       RETURNING id, name, scope::text AS scope, prefix, "createdAt", "revokedAt"`,
      [id, input.name, input.scope, sha256(key).toString('hex'), key.slice(0, `crm_${input.scope}_`.length + 6)],
    );
    return { ...record(rows[0]), key };
  }

  /** Every stored key, newest first, revoked ones included (never the key itself). */
  async list(): Promise<ApiKeyRecord[]> {
    const { rows } = await this.pool.query<Row>(
      `SELECT id, name, scope::text AS scope, prefix, "createdAt", "revokedAt" FROM "ApiKey" ORDER BY "createdAt" DESC, id`,
    );
    return rows.map(record);
  }

  /** Revokes a key (kept, dated, for the record); null when there is no such key. Revoking twice keeps the first date. */
  async revoke(id: string): Promise<ApiKeyRecord | null> {
    const { rows } = await this.pool.query<Row>(
      `UPDATE "ApiKey" SET "revokedAt" = COALESCE("revokedAt", now()) WHERE id = $1
       RETURNING id, name, scope::text AS scope, prefix, hash, "createdAt", "revokedAt"`,
      [id],
    );
    const row = rows[0] as (Row & { hash: string }) | undefined;
    if (!row) return null;
    this.cache.delete(row.hash);
    this.activeCache.delete(row.id);
    return record(row);
  }
}

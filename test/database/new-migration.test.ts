// `npm run db:migration -- <name>` (scripts/new-migration.ts): a schema change becomes a
// migration file, offline, with Prisma's own diff.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '..', '..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'crm-journeys-new-migration-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const run = (args: string[]) =>
  promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/new-migration.ts', ...args], { cwd: root, env: { PATH: process.env.PATH, HOME: process.env.HOME } });

describe('npm run db:migration', () => {
  it('writes the SQL that takes the old schema to the current one', async () => {
    // The "old" schema: the current one without the AcquisitionSpend model.
    const current = fs.readFileSync(path.join(root, 'prisma', 'schema.prisma'), 'utf8');
    const old = current.replace(/\/\/\/ Acquisition spend[^]*?\n}\n/, '');
    expect(old).not.toBe(current);
    fs.writeFileSync(path.join(tmp, 'old.prisma'), old);
    const out = path.join(tmp, 'migrations');
    const { stdout } = await run(['add_acquisition_spend', '--from', path.join(tmp, 'old.prisma'), '--out', out]);
    const [folder] = fs.readdirSync(out);
    expect(folder).toMatch(/^\d{14}_add_acquisition_spend$/);
    const sql = fs.readFileSync(path.join(out, folder, 'migration.sql'), 'utf8');
    expect(sql).toContain('CREATE TABLE "AcquisitionSpend"');
    expect(sql).not.toContain('"Customer"');
    expect(stdout).toContain(`Wrote `);
  });

  it('writes nothing when the schema has not changed', async () => {
    const out = path.join(tmp, 'unchanged');
    const { stdout } = await run(['nothing', '--from', path.join(root, 'prisma', 'schema.prisma'), '--out', out]);
    expect(stdout).toContain('has no change against the committed schema: no migration written.');
    expect(fs.existsSync(out)).toBe(false);
  });
});

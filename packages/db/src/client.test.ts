import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createDb, migrationsFolder } from './client';
import { findOrCreateUserByWallet, getUserByWallet } from './queries/users';

const migrationCount = readdirSync(migrationsFolder).filter((f) => f.endsWith('.sql')).length;
const limits = { aiMessagesLimit: 5, apiCallsLimit: 50 };
// Database-level tests need the real server; the suite runs once against it in CI (TEST_DATABASE_URL).
const adminUrl = process.env.TEST_DATABASE_URL;

function withDatabase(url: string, db: string) {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

describe('createDb on embedded PGlite', () => {
  it('applies the migrations and keeps data across a restart', async () => {
    const dataDir = path.join(mkdtempSync(path.join(tmpdir(), 'pglite-')), 'data');
    const first = createDb({ kind: 'pglite', dataDir });
    await first.migrate();
    const { user } = await findOrCreateUserByWallet(first.db, { walletAddress: '0xAbC', limits });
    await first.close();

    const second = createDb({ kind: 'pglite', dataDir });
    await second.migrate(); // nothing pending: a no-op
    expect(await getUserByWallet(second.db, { walletAddress: '0xAbC' })).toMatchObject({ id: user.id });
    await second.close();
  });
});

describe.runIf(adminUrl)('createDb on PostgreSQL', () => {
  it('lets several instances start at once: the advisory lock serialises the migrations', async () => {
    if (!adminUrl) throw new Error('unreachable');
    const name = `chatplatform_mig_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`create database "${name}"`);
    const url = withDatabase(adminUrl, name);
    const handles = Array.from({ length: 4 }, () => createDb({ kind: 'postgres', url, poolSize: 2 }));
    try {
      await Promise.all(handles.map((h) => h.migrate()));
      const first = handles[0];
      if (!first) throw new Error('no handle');
      const applied = await first.pool?.query('select count(*)::int as n from drizzle.__drizzle_migrations');
      expect(applied?.rows[0]?.n).toBe(migrationCount);
      const { isNew } = await findOrCreateUserByWallet(first.db, { walletAddress: '0xDeF', limits });
      expect(isNew).toBe(true);
    } finally {
      await Promise.all(handles.map((h) => h.close()));
      await admin.query(`drop database if exists "${name}" with (force)`);
      await admin.end();
    }
  });
});

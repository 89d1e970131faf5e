import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createDb, type DbHandle, migrationsFolder } from '@chatplatform/db';
import type { PGlite } from '@electric-sql/pglite';
import { Redis } from 'ioredis';
import pg from 'pg';

/**
 * Test backends. With TEST_DATABASE_URL / TEST_REDIS_URL set (CI sets both), tests run against the real
 * PostgreSQL and Redis; without them, against embedded PGlite and the in-process ports (the embedded default).
 */
export const testDatabaseUrl = process.env.TEST_DATABASE_URL || undefined;
export const testRedisUrl = process.env.TEST_REDIS_URL || undefined;
export const backendName = `${testDatabaseUrl ? 'postgres' : 'pglite'}+${testRedisUrl ? 'redis' : 'memory'}`;

function migrationsHash(): string {
  const h = createHash('sha256');
  for (const f of readdirSync(migrationsFolder)
    .filter((f) => f.endsWith('.sql'))
    .sort()) {
    h.update(f).update(readFileSync(path.join(migrationsFolder, f)));
  }
  return h.digest('hex').slice(0, 12);
}

/** The same connection string pointing at another database. */
export function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

let templateReady: Promise<string> | undefined;

/** One migrated template per migration set, created once under an advisory lock, cloned per test file. */
async function ensureTemplate(adminUrl: string): Promise<string> {
  const name = `chatplatform_tpl_${migrationsHash()}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query('select pg_advisory_lock(424242)');
    const { rowCount } = await admin.query('select 1 from pg_database where datname = $1', [name]);
    if (!rowCount) {
      const building = `${name}_building_${randomBytes(3).toString('hex')}`;
      await admin.query(`create database "${building}"`);
      const h = createDb({ kind: 'postgres', url: withDatabase(adminUrl, building), poolSize: 1 });
      await h.migrate();
      await h.close();
      await admin.query(`alter database "${building}" rename to "${name}"`);
    }
    await admin.query('select pg_advisory_unlock(424242)');
  } finally {
    await admin.end();
  }
  return name;
}

let pgliteSnapshot: Promise<Blob | File> | undefined;

export interface TestDb {
  handle: DbHandle;
  /** Connection string when on PostgreSQL (to start a second server on the same database). */
  url?: string;
  cleanup(): Promise<void>;
}

/** A fresh, migrated, empty database for one test file. */
export async function createTestDb(opts: { poolSize?: number } = {}): Promise<TestDb> {
  if (testDatabaseUrl) {
    templateReady ??= ensureTemplate(testDatabaseUrl);
    const template = await templateReady;
    const name = `chatplatform_t_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: testDatabaseUrl });
    await admin.connect();
    try {
      await admin.query(`create database "${name}" template "${template}"`);
    } finally {
      await admin.end();
    }
    const url = withDatabase(testDatabaseUrl, name);
    const handle = createDb({ kind: 'postgres', url, poolSize: opts.poolSize ?? 10 });
    return {
      handle,
      url,
      async cleanup() {
        await handle.close();
        const a = new pg.Client({ connectionString: testDatabaseUrl });
        await a.connect();
        await a.query(`drop database if exists "${name}" with (force)`).finally(() => a.end());
      },
    };
  }
  // PGlite: migrate once per worker, then clone the data directory for each test file.
  pgliteSnapshot ??= (async () => {
    const h = createDb({ kind: 'pglite' });
    await h.migrate();
    const client = (h.db as unknown as { $client: PGlite }).$client;
    const dump = await client.dumpDataDir('none');
    await h.close();
    return dump;
  })();
  const snapshot = await pgliteSnapshot;
  const handle = createDb({ kind: 'pglite', loadDataDir: snapshot });
  return { handle, cleanup: () => handle.close() };
}

/** A Redis connection whose keys live under a prefix of their own, or undefined on the in-process ports. */
export function createTestRedis(): { redis: Redis; cleanup(): Promise<void> } | undefined {
  if (!testRedisUrl) return undefined;
  const prefix = `test:${randomBytes(6).toString('hex')}:`;
  const redis = new Redis(testRedisUrl, { keyPrefix: prefix, maxRetriesPerRequest: 2 });
  return {
    redis,
    async cleanup() {
      const raw = new Redis(testRedisUrl);
      try {
        let cursor = '0';
        do {
          const [next, keys] = await raw.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
          cursor = next;
          if (keys.length) await raw.del(...keys);
        } while (cursor !== '0');
      } finally {
        raw.disconnect();
        redis.disconnect();
      }
    },
  };
}

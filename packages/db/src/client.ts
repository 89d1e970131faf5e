import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import pg from 'pg';
import { runsOn } from './queries/prepared';
import * as schema from './schema/index';

export { schema };

/** The one database type every query function takes: PostgreSQL through pg, or embedded PGlite. */
export type Database = ReturnType<typeof drizzlePg<typeof schema>>;
export type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0];
/** A database handle or an open transaction: query functions accept either. */
export type Executor = Database | Transaction;

export type DbOptions =
  | { kind: 'postgres'; url: string; poolSize?: number; applicationName?: string }
  /** dataDir undefined = in memory (tests); loadDataDir starts from a dump (tests clone a migrated one). */
  | { kind: 'pglite'; dataDir?: string; loadDataDir?: Blob | File };

export interface DbHandle {
  db: Database;
  kind: 'postgres' | 'pglite';
  /** Applies pending migrations from packages/db/drizzle (guarded by an advisory lock on PostgreSQL). */
  migrate(): Promise<void>;
  /** Round trip to the database; throws when it is unreachable. */
  ping(): Promise<void>;
  close(): Promise<void>;
  /** The pg pool, when kind is postgres (benchmarks compare against raw pg with the same pool). */
  pool?: pg.Pool;
}

const require = createRequire(import.meta.url);
/** Resolved through the package, so it also works when the server is bundled. */
export const migrationsFolder = path.join(
  path.dirname(require.resolve('@chatplatform/db/package.json')),
  'drizzle',
);

/** Any 64-bit constant; identifies "schema migration" among advisory locks. */
const MIGRATION_LOCK_KEY = 7_243_981_245_113n;

export function createDb(options: DbOptions): DbHandle {
  if (options.kind === 'postgres') {
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize ?? 10,
      application_name: options.applicationName ?? 'chatplatform',
    });
    // An idle client that errors (server restart) must not crash the process; the pool replaces it.
    pool.on('error', () => {});
    const db = drizzlePg({ client: pool, schema, casing: 'snake_case' });
    // A transaction runs on one pooled connection through that connection's own drizzle handle (kept as long as
    // the pool keeps the connection), so the statements prepared on that handle serve its transactions too.
    const onConnection = new WeakMap<pg.PoolClient, Database>();
    db.transaction = async (run, config) => {
      const client = await pool.connect();
      let conn = onConnection.get(client);
      if (!conn) {
        // The same API as the pool's handle; only its $client is one connection instead of the pool.
        conn = drizzlePg({ client, schema, casing: 'snake_case' }) as unknown as Database;
        onConnection.set(client, conn);
      }
      const own = conn;
      try {
        return await own.transaction((tx) => run(runsOn(tx, own)), config);
      } finally {
        client.release();
      }
    };
    return {
      db,
      kind: 'postgres',
      pool,
      async migrate() {
        const client = await pool.connect();
        try {
          await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY.toString()]);
          try {
            const lockedDb = drizzlePg({ client, schema, casing: 'snake_case' });
            await migratePg(lockedDb, { migrationsFolder });
          } finally {
            await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY.toString()]);
          }
        } finally {
          client.release();
        }
      },
      async ping() {
        await pool.query('select 1');
      },
      async close() {
        await pool.end();
      },
    };
  }

  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const client = new PGlite({ dataDir: options.dataDir, loadDataDir: options.loadDataDir });
  const db = drizzlePglite({ client, schema, casing: 'snake_case' }) as unknown as Database;
  return {
    db,
    kind: 'pglite',
    async migrate() {
      // One process owns a PGlite directory, so there is nobody to race with.
      await migratePglite(db as unknown as Parameters<typeof migratePglite>[0], { migrationsFolder });
    },
    async ping() {
      await client.query('select 1');
    },
    async close() {
      if (!client.closed) await client.close();
    },
  };
}

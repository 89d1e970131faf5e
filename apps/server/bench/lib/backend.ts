import { randomBytes } from 'node:crypto';
import { createDb } from '@chatplatform/db';
import { withDatabase } from '@chatplatform/testing/db';
import { Redis } from 'ioredis';
import { benchEnv } from './env';

export interface BenchDatabase {
  /** Connection string of the fresh, migrated database. */
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** A fresh database on BENCH_DATABASE_URL's server, migrated; drop() removes it. PostgreSQL is required. */
export async function createBenchDatabase(label: string): Promise<BenchDatabase> {
  const name = `chatplatform_bench_${label}_${randomBytes(4).toString('hex')}`;
  const admin = createDb({ kind: 'postgres', url: benchEnv.BENCH_DATABASE_URL, poolSize: 1 });
  try {
    await admin.pool?.query(`create database "${name}"`);
  } catch (err) {
    await admin.close();
    throw new Error(
      `the benchmarks need PostgreSQL at BENCH_DATABASE_URL (${redact(benchEnv.BENCH_DATABASE_URL)}): ${(err as Error).message}`,
    );
  }
  await admin.close();
  const url = withDatabase(benchEnv.BENCH_DATABASE_URL, name);
  const h = createDb({ kind: 'postgres', url, poolSize: 1 });
  try {
    await h.migrate();
  } finally {
    await h.close();
  }
  return {
    url,
    name,
    async drop() {
      const a = createDb({ kind: 'postgres', url: benchEnv.BENCH_DATABASE_URL, poolSize: 1 });
      try {
        await a.pool?.query(`drop database if exists "${name}" with (force)`);
      } finally {
        await a.close();
      }
    },
  };
}

/** BENCH_REDIS_URL when a PING answers within 1 s; otherwise undefined (the server then uses in-process ports). */
export async function probeRedis(): Promise<string | undefined> {
  const url = benchEnv.BENCH_REDIS_URL;
  const r = new Redis(url, { lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0 });
  r.on('error', () => {});
  try {
    await r.connect();
    await r.ping();
    return url;
  } catch {
    return undefined;
  } finally {
    r.disconnect();
  }
}

export function redact(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

/**
 * One platform instance in a process of its own, forked by multi-instance.test.ts so that a test can kill it
 * (SIGKILL: no shutdown hook, no last write) in the middle of a reply. It joins the test's PostgreSQL database
 * and Redis key prefix and signs with the test's key, so tokens from the other instances work on it and back.
 * The parent sends an InstanceSpec; the child answers `{ url }` once it listens.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadOrCreateKeys } from '@chatplatform/api';
import { createDb } from '@chatplatform/db';
import { Redis } from 'ioredis';
import { buildApp } from '../src/app';
import { loadConfig } from '../src/env';

export interface InstanceSpec {
  databaseUrl: string;
  redisUrl: string;
  keyPrefix: string;
  privatePem: string;
  env: Record<string, string>;
}

process.once('message', async (spec: InstanceSpec) => {
  try {
    const keysDir = mkdtempSync(path.join(tmpdir(), 'instance-keys-'));
    writeFileSync(path.join(keysDir, 'private.pem'), spec.privatePem, { mode: 0o600 });
    const { keys } = await loadOrCreateKeys(keysDir);
    const db = createDb({ kind: 'postgres', url: spec.databaseUrl, poolSize: 5 });
    const redis = new Redis(spec.redisUrl, { keyPrefix: spec.keyPrefix, maxRetriesPerRequest: 2 });
    const config = loadConfig({
      LOG_LEVEL: 'silent',
      ENVIRONMENT: 'test',
      RATE_LIMIT_AUTH_PER_IP: '100000',
      RATE_LIMIT_USER: '1000000',
      ...spec.env,
    });
    const app = await buildApp(config, { db, redis, keys });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    if (!address || typeof address === 'string') throw new Error('no address');
    process.send?.({ url: `http://127.0.0.1:${address.port}` });
  } catch (err) {
    process.send?.({ error: (err as Error).stack ?? String(err) });
  }
});

import {
  type ApiObserver,
  type ApiServices,
  createServices,
  type KeySet,
  type Logger,
  loadOrCreateKeys,
  syncAgentsFromConfig,
} from '@chatplatform/api';
import { createMemoryPorts, createRedisPorts, type Ports } from '@chatplatform/api/ports';
import { createDb, type DbHandle } from '@chatplatform/db';
import { Redis } from 'ioredis';
import type { ServerConfig } from './env';

/** What buildApp may be handed instead of creating it (tests share a database or Redis between two apps). */
export interface Injected {
  db?: DbHandle;
  redis?: Redis;
  /** In-process ports of another app in this process (tests run two instances without Redis); not closed here. */
  ports?: Ports;
  keys?: KeySet;
  /** Where logs go instead of stdout (tests read them). */
  logStream?: { write(line: string): void };
}

export interface Resources {
  services: ApiServices;
  dbHandle: DbHandle;
  ports: Ports;
  redis: Redis | undefined;
  close(): Promise<void>;
}

export async function openResources(
  config: ServerConfig,
  logger: Logger,
  observer: ApiObserver,
  injected: Injected = {},
): Promise<Resources> {
  const ownsDb = !injected.db;
  const dbHandle =
    injected.db ??
    (config.database.kind === 'postgres'
      ? createDb({ kind: 'postgres', url: config.database.url, poolSize: config.database.poolSize })
      : createDb({ kind: 'pglite', dataDir: config.database.dataDir }));
  const started = Date.now();
  await dbHandle.migrate();
  logger.info(
    { database: dbHandle.kind, ms: Date.now() - started },
    dbHandle.kind === 'pglite'
      ? `embedded database (PGlite) at ${config.database.kind === 'pglite' ? config.database.dataDir : '(memory)'}: no DATABASE_URL set`
      : 'PostgreSQL ready, migrations applied',
  );

  const ownsRedis = !injected.redis && !!config.redisUrl;
  const redis =
    injected.redis ??
    (config.redisUrl
      ? new Redis(config.redisUrl, { maxRetriesPerRequest: 2, enableAutoPipelining: true })
      : undefined);
  const ownsPorts = !injected.ports;
  const ports =
    injected.ports ?? (redis ? createRedisPorts(redis, { ownsConnection: ownsRedis }) : createMemoryPorts());
  if (!redis) logger.info('in-process ports (nonces, rate limits, session cache, streams): no REDIS_URL set');

  let keys = injected.keys;
  if (!keys) {
    const loaded = await loadOrCreateKeys(config.keysDir);
    keys = loaded.keys;
    if (loaded.generated) logger.warn({ keysDir: config.keysDir }, 'generated a new RS256 key pair');
  }

  const services = createServices({ db: dbHandle.db, config: config.api, ports, keys, logger, observer });
  await syncAgentsFromConfig(dbHandle.db, config.api.ai, logger);
  // Stop signals, heartbeat, and the sweeper that marks replies of dead instances interrupted.
  await services.generation.start();
  logger.info(
    {
      models: services.generation.registry.list().map((m) => m.id),
      defaultModel: config.api.ai.defaultModel,
    },
    config.api.ai.providers.length === 0
      ? 'AI: built-in offline model local/demo only (set AI_BASE_URL, AI_API_KEY, AI_MODELS for a real model)'
      : 'AI providers configured',
  );
  logger.info(
    services.mailer.kind === 'smtp'
      ? { smtp: `${config.api.email.smtp?.host}:${config.api.email.smtp?.port}` }
      : {},
    services.mailer.kind === 'smtp'
      ? 'verification mail goes through SMTP'
      : 'no EMAIL_SMTP_SERVER set: verification mail is written to the log, not sent',
  );
  return {
    services,
    dbHandle,
    ports,
    redis,
    async close() {
      services.mailer.close();
      // Running replies end as `interrupted` (partial text kept, closing event sent) before the stores close.
      await services.generation.shutdown();
      if (ownsPorts) await ports.close();
      if (ownsDb) await dbHandle.close();
    },
  };
}

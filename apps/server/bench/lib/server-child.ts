/**
 * A benchmark server process, forked by server.ts: one or more apps built by the real buildApp() over one
 * shared pg pool, one Redis connection (or in-process ports) and one key set, each listening on loopback.
 * Load comes from the parent process, so the server has an event loop of its own as in production.
 *
 * Every app also gets the bare reference routes under /bench/bare (never in the product):
 *   GET /bench/bare/read?id=<uuid>      SELECT the user row through the same pg pool, no auth
 *   GET /bench/bare/auth-read           verify the Bearer token (the app's TokenService), then the same read
 *   GET /bench/bare/prepared-read?id=   the read as a named (server-side prepared) statement
 *   GET /bench/bare/authed-read         what authedProcedure does (token, session check, per-user rate
 *                                       limit), then the same read: a hand-written equivalent of user.profile
 *                                       (?orm=drizzle: the read through drizzle's getUserById, as the API does)
 */
import { randomBytes } from 'node:crypto';
import { createEphemeralKeys } from '@chatplatform/api';
import { createDb } from '@chatplatform/db';
import { getUserById } from '@chatplatform/db/queries';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { buildApp } from '../../src/app';
import { loadConfig } from '../../src/env';
import type { ChildMessage, ParentMessage, ServerSpec } from './server';

const USER_COLUMNS =
  'id, wallet_address, email, email_verified_at, display_name, ai_messages_limit, ai_messages_used, ' +
  'api_calls_limit, api_calls_used, created_at, updated_at';
const BEARER = /^Bearer (.+)$/;

interface UserRow {
  id: string;
  wallet_address: string;
  email: string | null;
  email_verified_at: Date | null;
  display_name: string | null;
  created_at: Date;
  updated_at: Date;
}

/** The same output shape as user.profile. */
const toOutput = (u: UserRow) => ({
  id: u.id,
  walletAddress: u.wallet_address,
  email: u.email,
  emailVerified: u.email_verified_at !== null,
  displayName: u.display_name,
  createdAt: u.created_at.toISOString(),
  updatedAt: u.updated_at.toISOString(),
});

type TokenCacheHolder = { verified: unknown };
const NO_CACHE = { get: () => undefined, set: () => {}, delete: () => false, size: 0 };

const send = (m: ChildMessage) => process.send?.(m);

async function start(spec: ServerSpec) {
  const db = createDb({ kind: 'postgres', url: spec.databaseUrl, poolSize: spec.poolSize ?? 20 });
  const pool = db.pool;
  if (!pool) throw new Error('no pg pool');
  const prefix = `bench:${randomBytes(4).toString('hex')}:`;
  const redis = spec.redisUrl
    ? new Redis(spec.redisUrl, { keyPrefix: prefix, maxRetriesPerRequest: 2, enableAutoPipelining: true })
    : undefined;
  const keys = await createEphemeralKeys();
  const apps = new Map<string, { app: FastifyInstance; cache: unknown }>();
  const urls: Record<string, string> = {};

  for (const [name, env] of Object.entries(spec.apps)) {
    const config = loadConfig({
      LOG_LEVEL: 'silent',
      ENVIRONMENT: 'production',
      DATABASE_URL: spec.databaseUrl,
      RATE_LIMIT_AUTH_PER_IP: '100000000',
      RATE_LIMIT_USER: '100000000',
      CORS_ORIGINS: 'http://localhost',
      ...env,
    });
    const app = await buildApp(config, { db, ...(redis ? { redis } : {}), keys });
    const services = app.resources.services;
    const tokens = services.tokens;
    app.get('/bench/bare/read', async (req, reply) => {
      const { rows } = await pool.query<UserRow>(`select ${USER_COLUMNS} from users where id = $1`, [
        (req.query as { id?: string }).id,
      ]);
      const row = rows[0];
      return row ? toOutput(row) : reply.code(404).send({ error: 'not found' });
    });
    app.get('/bench/bare/prepared-read', async (req, reply) => {
      const { rows } = await pool.query<UserRow>({
        name: 'bench_user_by_id',
        text: `select ${USER_COLUMNS} from users where id = $1`,
        values: [(req.query as { id?: string }).id],
      });
      const row = rows[0];
      return row ? toOutput(row) : reply.code(404).send({ error: 'not found' });
    });
    app.get('/bench/bare/auth-read', async (req, reply) => {
      const token = BEARER.exec(req.headers.authorization ?? '')?.[1];
      if (!token) return reply.code(401).send({ error: 'no token' });
      let userId: string;
      try {
        userId = (await tokens.verifyAccessToken(token)).userId;
      } catch {
        return reply.code(401).send({ error: 'bad token' });
      }
      const { rows } = await pool.query<UserRow>(`select ${USER_COLUMNS} from users where id = $1`, [userId]);
      const row = rows[0];
      return row ? toOutput(row) : reply.code(404).send({ error: 'not found' });
    });
    app.get('/bench/bare/authed-read', async (req, reply) => {
      // What authedProcedure does before the read: token, session still active, per-user rate limit.
      const token = BEARER.exec(req.headers.authorization ?? '')?.[1];
      if (!token) return reply.code(401).send({ error: 'no token' });
      let userId: string;
      try {
        const claims = await tokens.verifyAccessToken(token);
        await services.sessions.assertActive(claims.sessionId);
        userId = claims.userId;
      } catch {
        return reply.code(401).send({ error: 'bad token' });
      }
      const limit = await services.limiters.authedPerUser.consume(userId);
      if (!limit.allowed) return reply.code(429).send({ error: 'rate limited' });
      if ((req.query as { orm?: string }).orm === 'drizzle') {
        const u = await getUserById(db.db, { id: userId });
        if (!u) return reply.code(404).send({ error: 'not found' });
        return {
          id: u.id,
          walletAddress: u.walletAddress,
          email: u.email,
          emailVerified: u.emailVerifiedAt !== null,
          displayName: u.displayName,
          createdAt: u.createdAt.toISOString(),
          updatedAt: u.updatedAt.toISOString(),
        };
      }
      const { rows } = await pool.query<UserRow>(`select ${USER_COLUMNS} from users where id = $1`, [userId]);
      const row = rows[0];
      return row ? toOutput(row) : reply.code(404).send({ error: 'not found' });
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    if (!address || typeof address === 'string') throw new Error('no address');
    urls[name] = `http://127.0.0.1:${address.port}`;
    const holder = tokens as unknown as TokenCacheHolder;
    if (!('verified' in holder)) throw new Error('TokenService has no `verified` cache to switch off');
    apps.set(name, { app, cache: holder.verified });
  }

  return {
    urls,
    backend: `postgres+${redis ? 'redis' : 'in-process ports'}`,
    /** Switches the app's cache of verified access tokens on or off (off = an RS256 verify per request). */
    tokenCache(name: string, on: boolean) {
      const entry = apps.get(name);
      if (!entry) throw new Error(`no app ${name}`);
      (entry.app.resources.services.tokens as unknown as TokenCacheHolder).verified = on
        ? entry.cache
        : NO_CACHE;
    },
    async stop() {
      for (const { app } of apps.values()) await app.close();
      await db.close();
      if (redis) {
        let cursor = '0';
        const raw = redis.duplicate({ keyPrefix: '' });
        do {
          const [next, found] = await raw.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
          cursor = next;
          if (found.length) await raw.del(...found);
        } while (cursor !== '0');
        raw.disconnect();
        redis.disconnect();
      }
    },
  };
}

let server: Awaited<ReturnType<typeof start>> | undefined;

process.on('message', async (m: ParentMessage) => {
  try {
    if (m.kind === 'start') {
      server = await start(m.spec);
      send({ kind: 'ready', urls: server.urls, backend: server.backend });
    } else if (m.kind === 'tokenCache') {
      server?.tokenCache(m.app, m.on);
      send({ kind: 'ack', id: m.id });
    } else if (m.kind === 'cpu') {
      const u = process.cpuUsage();
      send({ kind: 'ack', id: m.id, cpuMicros: u.user + u.system });
    } else if (m.kind === 'stop') {
      await server?.stop();
      send({ kind: 'stopped' });
      process.exit(0);
    }
  } catch (err) {
    send({ kind: 'error', message: (err as Error).stack ?? String(err) });
  }
});
process.on('disconnect', () => process.exit(0));

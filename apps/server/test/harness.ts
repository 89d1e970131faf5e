import { randomUUID } from 'node:crypto';
import { type ApiConfig, logKey } from '@chatplatform/api';
import type { Message, MessageStatus } from '@chatplatform/db';
import { insertMessages } from '@chatplatform/db/queries';
import { createTestDb, createTestRedis } from '@chatplatform/testing/db';
import { newWallet } from '@chatplatform/testing/wallet';
import type { FastifyInstance } from 'fastify';
import type { PrivateKeyAccount } from 'viem/accounts';
import { buildApp } from '../src/app';
import { loadConfig, type ServerConfig } from '../src/env';
import { testKeys } from './keys';

/**
 * A real server on loopback (listen on port 0) over a fresh test database and Redis prefix. `env` feeds the
 * same loadConfig() that production uses; `api` patches the resulting API config.
 */
export async function startServer(
  opts: {
    env?: Record<string, string>;
    api?: (c: ApiConfig) => void;
    shareWith?: TestServer;
    logStream?: { write(line: string): void };
  } = {},
): Promise<TestServer> {
  const testDb = opts.shareWith ? undefined : await createTestDb();
  const testRedis = opts.shareWith ? undefined : createTestRedis();
  const config: ServerConfig = loadConfig({
    LOG_LEVEL: 'silent',
    ENVIRONMENT: 'test',
    RATE_LIMIT_AUTH_PER_IP: '100000',
    RATE_LIMIT_USER: '1000000',
    ...opts.env,
  });
  opts.api?.(config.api);
  const db = opts.shareWith?.app.resources.dbHandle ?? testDb?.handle;
  /** PostgreSQL's URL, for a process that joins this database; PGlite has none. */
  const databaseUrl = opts.shareWith?.databaseUrl ?? testDb?.url;
  const redis = opts.shareWith?.app.resources.redis ?? testRedis?.redis;
  const app = await buildApp(config, {
    ...(db ? { db } : {}),
    ...(redis ? { redis } : {}),
    // Without Redis, a second instance shares the first one's in-process ports (event logs, stop signals):
    // the stand-in for a shared Redis when the suite runs on the embedded backend.
    ...(!redis && opts.shareWith ? { ports: opts.shareWith.app.resources.ports } : {}),
    ...(opts.logStream ? { logStream: opts.logStream } : {}),
    keys: opts.shareWith?.app.resources.services.keys ?? (await testKeys()),
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('no address');
  const url = `http://127.0.0.1:${address.port}`;

  return {
    app,
    url,
    config,
    ...(databaseUrl ? { databaseUrl } : {}),
    async signIn(wallet: PrivateKeyAccount = newWallet(), chainId = 1) {
      const q = encodeURIComponent(JSON.stringify({ address: wallet.address, chainId }));
      const m = (await fetch(`${url}/trpc/auth.message?input=${q}`).then((r) => r.json())) as {
        result: { data: { message: string } };
      };
      const message: string = m.result.data.message;
      const signature = await wallet.signMessage({ message });
      const a = await fetch(`${url}/trpc/auth.authenticate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ message, signature }),
      }).then((r) => r.json() as Promise<{ result?: { data: SignInResult } }>);
      if (!a.result) throw new Error(`sign-in failed: ${JSON.stringify(a)}`);
      return {
        wallet,
        ...a.result.data,
      };
    },
    async close() {
      await app.close();
      if (!opts.shareWith) {
        await testDb?.cleanup();
        await testRedis?.cleanup();
      }
    },
  };
}

interface SignInResult {
  accessToken: string;
  refreshToken: string;
  user: { id: string };
}

export interface TestServer {
  app: FastifyInstance;
  url: string;
  config: ServerConfig;
  /** The test database's URL when it is PostgreSQL (another process can join it); absent on PGlite. */
  databaseUrl?: string;
  signIn(
    wallet?: PrivateKeyAccount,
    chainId?: number,
  ): Promise<{ wallet: PrivateKeyAccount; accessToken: string; refreshToken: string; user: { id: string } }>;
  close(): Promise<void>;
}

/**
 * A user message and its reply written straight into the database and the reply's event log, as an instance
 * would have left them: for states the API cannot produce on demand (what a killed instance leaves behind,
 * a reply too long to generate in a test). `events` are the log entries' data, appended in order.
 */
export async function seedReply(
  server: TestServer,
  opts: {
    chatId: string;
    userId: string;
    content: string;
    status: MessageStatus;
    heartbeatAt?: Date;
    events: string[];
  },
): Promise<Message> {
  const userMessageId = randomUUID();
  const [, reply] = await insertMessages(server.app.resources.dbHandle.db, [
    { id: userMessageId, chatId: opts.chatId, userId: opts.userId, role: 'USER', content: 'seeded' },
    {
      chatId: opts.chatId,
      userId: opts.userId,
      role: 'AI',
      content: opts.content,
      status: opts.status,
      parentId: userMessageId,
      modelUsed: 'local/demo',
      heartbeatAt: opts.heartbeatAt ?? null,
    },
  ]);
  if (!reply) throw new Error('no reply row');
  const log = server.app.resources.ports.events;
  // One connection keeps the appends in the order they are issued.
  await Promise.all(opts.events.map((data) => log.append(logKey(reply.id), data, 120)));
  return reply;
}

/** A sample's value in a server's /metrics text, by its exact series name (0 while the series has no sample). */
export async function readMetric(url: string, series: string): Promise<number> {
  const text = await fetch(`${url}/metrics`).then((r) => r.text());
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

/** The type of the reply's closing event in the event log, waiting up to `ms` for it; undefined if none came. */
export async function closingIn(srv: TestServer, messageId: string, ms = 2000): Promise<string | undefined> {
  const deadline = Date.now() + ms;
  do {
    const entries = await srv.app.resources.ports.events.read(logKey(messageId), null);
    const last = entries.at(-1);
    const type = last ? (JSON.parse(last.data) as { type: string }).type : undefined;
    if (type && type !== 'delta') return type;
    await new Promise((r) => setTimeout(r, 20));
  } while (Date.now() < deadline);
  return undefined;
}

/**
 * The server process of the streaming benchmark (forked by suites/streaming.ts): the real buildApp() with
 * the AI provider pointed at the parent's fake OpenAI-compatible server. It counts, at the client libraries,
 * every PostgreSQL statement (writes: INSERT/UPDATE/DELETE) and every Redis command it sends, and reports
 * them with its RSS on request.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { PerformanceObserver } from 'node:perf_hooks';
import { createEphemeralKeys } from '@chatplatform/api';
import { createMemoryPorts, createRedisPorts } from '@chatplatform/api/ports';
import { createDb } from '@chatplatform/db';
import { Redis } from 'ioredis';
import { buildApp } from '../../src/app';
import { loadConfig } from '../../src/env';
import { createInProcessModel, type InProcessPace } from './inproc-model';

export type StreamingParent =
  | {
      kind: 'start';
      databaseUrl: string;
      redisUrl?: string;
      env: Record<string, string>;
      /** A model that costs nothing to read (inproc-model.ts), registered as `id` beside the configured ones. */
      inProcess?: { id: string } & InProcessPace;
    }
  | { kind: 'stats'; id: number; gc?: boolean }
  /** Reads `streams` replies of `model` straight through the AI SDK provider, nothing else: its own cost. */
  | { kind: 'providerRead'; id: number; model: string; streams: number }
  | { kind: 'stop' };

export interface StreamingStats {
  pgStatements: number;
  pgWrites: number;
  pgTransactions: number;
  redisCommands: number;
  rss: number;
  /** V8 heap in use plus memory outside it held by JS objects (buffers), bytes. */
  heap: number;
  /** CPU time (user + system) the server process has used, microseconds. */
  cpuMicros: number;
  /** Garbage-collector pauses of the main thread so far: how many, and their total in milliseconds. */
  gcPauses: number;
  gcMs: number;
  /** The longest single pause since the previous stats request, milliseconds. */
  gcMaxMs: number;
  /** The longest stall of the main thread since the previous stats request (a 10 ms timer's lateness), ms. */
  stallMaxMs: number;
  /** How much of that stall's stretch the main thread ran, percent. */
  stallRanPercent: number;
  /**
   * Per reply (message id): when its first event was handed to the event log and when the log confirmed
   * it, as epoch milliseconds (performance.timeOrigin + now(), comparable across processes on this host).
   */
  firstAppends: Record<string, [number, number]>;
  /** Replies of the in-process model: the user message that asked, and when its first token was due (epoch ms). */
  firstTokensDue: Record<string, number>;
}

export type StreamingChild =
  | { kind: 'ready'; url: string; backend: string; node: string }
  | { kind: 'stats'; id: number; stats: StreamingStats }
  | {
      kind: 'providerRead';
      id: number;
      cpuMicros: number;
      mainThreadMicros: number;
      wallMs: number;
      textDeltas: number;
    }
  | { kind: 'error'; message: string };

const send = (m: StreamingChild) => process.send?.(m);
/** Every pause the collector makes stops the main thread: the tail of the first-token latency waits on them. */
const pauses = { gcPauses: 0, gcMs: 0, gcMaxMs: 0 };
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    pauses.gcPauses++;
    pauses.gcMs += e.duration;
    pauses.gcMaxMs = Math.max(pauses.gcMaxMs, e.duration);
  }
}).observe({ entryTypes: ['gc'] });
const counts = { pgStatements: 0, pgWrites: 0, pgTransactions: 0, redisCommands: 0 };
const firstAppends: Record<string, [number, number]> = {};
const firstTokensDue: Record<string, number> = {};
const epochNow = () => performance.timeOrigin + performance.now();

type Queryable = { query: (...args: never[]) => unknown };

function countClient(client: Queryable): void {
  const original = client.query.bind(client) as (...args: unknown[]) => unknown;
  (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    const first = args[0];
    const text = typeof first === 'string' ? first : ((first as { text?: string })?.text ?? '');
    const verb = text.trimStart().slice(0, 6).toLowerCase();
    counts.pgStatements++;
    if (verb === 'insert' || verb === 'update' || verb === 'delete') counts.pgWrites++;
    if (verb === 'commit') counts.pgTransactions++;
    return original(...args);
  };
}

let stop: (() => Promise<void>) | undefined;
type ProviderRead = Omit<Extract<StreamingChild, { kind: 'providerRead' }>, 'kind' | 'id'>;
let providerRead: ((model: string, streams: number) => Promise<ProviderRead>) | undefined;

const cpu = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

/** CPU time of the main (JS) thread alone, microseconds: Linux's per-thread counters (its tid is the pid). */
const mainThreadCpu = (): number => {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]); // utime + stime, fields 14 and 15 of stat(5)
    return (ticks * 1e6) / 100; // USER_HZ is 100 on Linux
  } catch {
    return Number.NaN;
  }
};

/** The main thread's own CPU time, microseconds: `process.threadCpuUsage` (Node 23.9+) or Linux's counters. */
const threadCpu = (): number => {
  const own = (process as { threadCpuUsage?: () => NodeJS.CpuUsage }).threadCpuUsage;
  if (!own) return mainThreadCpu();
  const u = own.call(process);
  return u.user + u.system;
};

/**
 * The longest stall of the main thread since the previous stats request: how late a 10 ms timer fired, and the
 * share of that stretch the thread spent running (JS or the collector's own work) rather than waiting for a
 * core. A collector pause shows in `gcMaxMs` too; a stall much longer than every pause, with the thread running
 * most of it, is the platform's (or the SDK's) own work; one where it barely ran is the machine's other processes.
 */
const STALL_TICK_MS = 10;
const stall = { stallMaxMs: 0, stallRanPercent: 0 };
let lastTick = performance.now();
let lastTickCpu = threadCpu();
setInterval(() => {
  const now = performance.now();
  const ran = threadCpu();
  const late = now - lastTick - STALL_TICK_MS;
  if (late > stall.stallMaxMs) {
    stall.stallMaxMs = late;
    stall.stallRanPercent = ((ran - lastTickCpu) / 10 / (now - lastTick)) | 0;
  }
  lastTick = now;
  lastTickCpu = ran;
}, STALL_TICK_MS).unref();

process.on('message', async (m: StreamingParent) => {
  try {
    if (m.kind === 'start') {
      const db = createDb({ kind: 'postgres', url: m.databaseUrl, poolSize: 20 });
      db.pool?.on('connect', (c) => countClient(c as unknown as Queryable));
      const keyPrefix = `bench:${randomBytes(4).toString('hex')}:`;
      const redis = m.redisUrl
        ? new Redis(m.redisUrl, {
            keyPrefix,
            maxRetriesPerRequest: 2,
            enableAutoPipelining: true,
          })
        : undefined;
      if (redis) {
        const original = redis.sendCommand.bind(redis);
        redis.sendCommand = ((...args: Parameters<typeof original>) => {
          counts.redisCommands++;
          return original(...args);
        }) as typeof redis.sendCommand;
      }
      const config = loadConfig({
        LOG_LEVEL: 'silent',
        ENVIRONMENT: 'production',
        DATABASE_URL: m.databaseUrl,
        RATE_LIMIT_AUTH_PER_IP: '100000000',
        RATE_LIMIT_USER: '100000000',
        CORS_ORIGINS: 'http://localhost',
        ...m.env,
      });
      // The app's own ports, with the event log's append timed: the first append of a reply is its first token
      // leaving the runner, which splits the added time to first token into server, log and delivery.
      const ports = redis ? createRedisPorts(redis) : createMemoryPorts();
      const append = ports.events.append.bind(ports.events);
      ports.events.append = async (key, data, ttl) => {
        const messageId = key.slice(key.indexOf(':') + 1);
        const calledAt = firstAppends[messageId] ? undefined : epochNow();
        const id = await append(key, data, ttl);
        if (calledAt !== undefined) firstAppends[messageId] = [calledAt, epochNow()];
        return id;
      };
      const app = await buildApp(config, {
        db,
        ...(redis ? { redis } : {}),
        ports,
        keys: await createEphemeralKeys(),
      });
      if (m.inProcess) {
        const { id, ...pace } = m.inProcess;
        app.resources.services.generation.registry.register(
          id,
          createInProcessModel(pace, (userText, due) => {
            firstTokensDue[userText] = due;
          }),
        );
      }
      await app.listen({ host: '127.0.0.1', port: 0 });
      const address = app.server.address();
      if (!address || typeof address === 'string') throw new Error('no address');
      providerRead = async (model, streams) => {
        const lm = app.resources.services.generation.registry.get(model);
        if (!lm) throw new Error(`no model ${model}`);
        let textDeltas = 0;
        const one = async () => {
          const { stream } = await lm.doStream({
            prompt: [{ role: 'user', content: [{ type: 'text', text: 'provider read' }] }],
          });
          for await (const part of stream as unknown as AsyncIterable<{ type: string }>)
            if (part.type === 'text-delta') textDeltas++;
        };
        const c0 = cpu();
        const m0 = mainThreadCpu();
        const t0 = performance.now();
        await Promise.all(Array.from({ length: streams }, one));
        return {
          cpuMicros: cpu() - c0,
          mainThreadMicros: mainThreadCpu() - m0,
          wallMs: performance.now() - t0,
          textDeltas,
        };
      };
      stop = async () => {
        await app.close();
        await ports.close();
        if (redis) {
          // The replies' event logs would otherwise stay in the shared Redis for their hour of TTL. SCAN matches
          // whole key names; commands add the client's prefix themselves.
          for await (const keys of redis.scanStream({ match: `${keyPrefix}*`, count: 1000 }) as AsyncIterable<
            string[]
          >)
            if (keys.length) await redis.unlink(...keys.map((k) => k.slice(keyPrefix.length)));
        }
        redis?.disconnect();
        await db.close();
      };
      send({
        kind: 'ready',
        url: `http://127.0.0.1:${address.port}`,
        backend: redis ? 'postgres+redis' : 'postgres+memory',
        node: process.version,
      });
    } else if (m.kind === 'stats') {
      if (m.gc) {
        const gc = (globalThis as { gc?: () => void }).gc;
        gc?.();
        await new Promise((r) => setTimeout(r, 50));
        gc?.();
      }
      send({
        kind: 'stats',
        id: m.id,
        stats: {
          ...counts,
          rss: process.memoryUsage().rss,
          heap: process.memoryUsage().heapUsed + process.memoryUsage().external,
          cpuMicros: cpu(),
          ...pauses,
          ...stall,
          firstAppends,
          firstTokensDue,
        },
      });
      pauses.gcMaxMs = 0;
      stall.stallMaxMs = 0;
      stall.stallRanPercent = 0;
    } else if (m.kind === 'providerRead') {
      if (!providerRead) throw new Error('not started');
      send({ kind: 'providerRead', id: m.id, ...(await providerRead(m.model, m.streams)) });
    } else if (m.kind === 'stop') {
      await stop?.();
      process.exit(0);
    }
  } catch (err) {
    send({ kind: 'error', message: (err as Error).stack ?? String(err) });
  }
});

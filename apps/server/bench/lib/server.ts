import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { stopChild } from './child';

/** What a benchmark server process runs: named apps (env overrides for loadConfig) over one pool and store. */
export interface ServerSpec {
  databaseUrl: string;
  /** Omit to run on the in-process ports. */
  redisUrl?: string;
  /** App name -> environment for loadConfig (LOG_LEVEL, DATABASE_URL and high rate limits are preset). */
  apps: Record<string, Record<string, string>>;
  /** pg pool size shared by all apps (default 20, the server's default). */
  poolSize?: number;
}

export type ParentMessage =
  | { kind: 'start'; spec: ServerSpec }
  | { kind: 'tokenCache'; app: string; on: boolean; id: number }
  | { kind: 'cpu'; id: number }
  | { kind: 'stop' };

export type ChildMessage =
  | { kind: 'ready'; urls: Record<string, string>; backend: string }
  | { kind: 'ack'; id: number; cpuMicros?: number }
  | { kind: 'stopped' }
  | { kind: 'error'; message: string };

export interface BenchServer {
  urls: Record<string, string>;
  backend: string;
  /** The app's cache of verified access tokens on or off (off: one RS256 verify per request). */
  tokenCache(app: string, on: boolean): Promise<void>;
  /** CPU time (user + system, microseconds) the server process has used so far. */
  cpuMicros(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Forks bench/lib/server-child.ts (through tsx) and starts the apps there. The caller generates load from
 * its own process, so the server's event loop is its own, as it would be in production.
 */
export async function startBenchServer(spec: ServerSpec): Promise<BenchServer> {
  const child: ChildProcess = fork(fileURLToPath(new URL('./server-child.ts', import.meta.url)), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let nextId = 0;
  const waiters = new Map<number, (cpuMicros: number) => void>();
  let failure: ((err: Error) => void) | undefined;
  child.on('message', (m: ChildMessage) => {
    if (m.kind === 'ack') waiters.get(m.id)?.(m.cpuMicros ?? 0);
    if (m.kind === 'error') failure?.(new Error(`benchmark server: ${m.message}`));
  });
  const ready = await new Promise<Extract<ChildMessage, { kind: 'ready' }>>((resolve, reject) => {
    failure = reject;
    child.once('exit', (code) => reject(new Error(`benchmark server exited with ${code}`)));
    child.on('message', (m: ChildMessage) => {
      if (m.kind === 'ready') resolve(m);
    });
    child.send({ kind: 'start', spec } satisfies ParentMessage);
  });
  const request = (m: Extract<ParentMessage, { id: number }>) =>
    new Promise<number>((resolve, reject) => {
      failure = reject;
      waiters.set(m.id, (cpu) => {
        waiters.delete(m.id);
        resolve(cpu);
      });
      child.send(m);
    });
  return {
    urls: ready.urls,
    backend: ready.backend,
    tokenCache(app, on) {
      return request({ kind: 'tokenCache', app, on, id: nextId++ }).then(() => undefined);
    },
    cpuMicros() {
      return request({ kind: 'cpu', id: nextId++ });
    },
    stop() {
      return stopChild(child, { kind: 'stop' } satisfies ParentMessage);
    },
  };
}

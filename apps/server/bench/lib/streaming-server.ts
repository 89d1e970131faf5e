import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { stopChild } from './child';
import { benchEnv } from './env';
import type { StreamingChild, StreamingParent, StreamingStats } from './streaming-child';

/**
 * The streaming suite's handle on its server process (streaming-child.ts, forked with BENCH_SERVER_NODE and
 * BENCH_SERVER_FLAGS): starts it, asks it for its counters or for a provider read, and stops it.
 */
export function startStreamingServer(spec: Extract<StreamingParent, { kind: 'start' }>) {
  const child: ChildProcess = fork(fileURLToPath(new URL('./streaming-child.ts', import.meta.url)), [], {
    execArgv: ['--import', 'tsx', '--expose-gc', ...benchEnv.BENCH_SERVER_FLAGS],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    ...(benchEnv.BENCH_SERVER_NODE ? { execPath: benchEnv.BENCH_SERVER_NODE } : {}),
  });
  let nextId = 0;
  const waiters = new Map<number, (s: StreamingStats) => void>();
  const readers = new Map<number, (r: Extract<StreamingChild, { kind: 'providerRead' }>) => void>();
  child.on('message', (m: StreamingChild) => {
    if (m.kind === 'stats') waiters.get(m.id)?.(m.stats);
    if (m.kind === 'providerRead') readers.get(m.id)?.(m);
    if (m.kind === 'error') console.error(`streaming server: ${m.message}`);
  });
  const ready = new Promise<{ url: string; backend: string; node: string }>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`streaming server exited with ${code}`)));
    child.on('message', (m: StreamingChild) => {
      if (m.kind === 'ready') resolve(m);
      if (m.kind === 'error') reject(new Error(m.message));
    });
    child.send(spec);
  });
  return {
    ready,
    stats(gc = false): Promise<StreamingStats> {
      const id = nextId++;
      return new Promise((resolve) => {
        waiters.set(id, resolve);
        child.send({ kind: 'stats', id, gc } satisfies StreamingParent);
      });
    },
    providerRead(model: string, streams: number) {
      const id = nextId++;
      return new Promise<Extract<StreamingChild, { kind: 'providerRead' }>>((resolve) => {
        readers.set(id, resolve);
        child.send({ kind: 'providerRead', id, model, streams } satisfies StreamingParent);
      });
    },
    stop(): Promise<void> {
      return stopChild(child, { kind: 'stop' } satisfies StreamingParent);
    },
  };
}

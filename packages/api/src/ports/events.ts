import { EventEmitter } from 'node:events';
import type { AnnouncedEntry, EventLog, LogEntry, LogWatch, SignalBus } from './types';

/** Stream ids "<ms>-<seq>" compared as number pairs. */
export function compareIds(a: string, b: string): number {
  const [am = 0, as = 0] = a.split('-').map(Number);
  const [bm = 0, bs = 0] = b.split('-').map(Number);
  return am - bm || as - bs;
}

/** At most this many announced entries wait in a watch; beyond, it forgets them and the follower reads. */
const MAX_ANNOUNCED = 1000;

/**
 * Local waiters per key, woken on every append announcement (shared by both implementations). An
 * announcement may carry its entry and the id before it, which the watch keeps for take().
 */
export class Watchers {
  private readonly byKey = new Map<string, Set<(entry?: AnnouncedEntry) => void>>();

  watch(key: string): LogWatch {
    let pending = false;
    let wake: (() => void) | null = null;
    let announced: AnnouncedEntry[] = [];
    let incomplete = false;
    const notify = (entry?: AnnouncedEntry) => {
      if (!entry || announced.length >= MAX_ANNOUNCED) incomplete = true;
      else announced.push(entry);
      if (wake) {
        const f = wake;
        wake = null;
        f();
      } else pending = true;
    };
    let set = this.byKey.get(key);
    if (!set) {
      set = new Set();
      this.byKey.set(key, set);
    }
    set.add(notify);
    return {
      next: (timeoutMs) => {
        if (pending) {
          pending = false;
          return Promise.resolve();
        }
        return new Promise<void>((resolve) => {
          const t = setTimeout(() => {
            wake = null;
            resolve();
          }, timeoutMs);
          wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
      },
      take: (afterId) => {
        const got = announced;
        const complete = !incomplete;
        announced = [];
        incomplete = false;
        if (!complete) return null;
        const fresh = afterId === null ? got : got.filter((e) => compareIds(e.id, afterId) > 0);
        if (fresh.length === 0) return null;
        let expected = afterId;
        for (const e of fresh) {
          if (e.prev !== expected) return null;
          expected = e.id;
        }
        return fresh.map(({ id, data }) => ({ id, data }));
      },
      close: () => {
        const s = this.byKey.get(key);
        s?.delete(notify);
        if (s?.size === 0) this.byKey.delete(key);
        if (wake) notify();
      },
    };
  }

  notify(key: string, entry?: AnnouncedEntry): void {
    const s = this.byKey.get(key);
    if (s) for (const f of s) f(entry);
  }

  get size(): number {
    return this.byKey.size;
  }
}

interface MemoryLog {
  entries: LogEntry[];
  expiresAt: number;
}

/** In-process event logs with the same id scheme and TTL semantics as the Redis Streams implementation. */
export class MemoryEventLog implements EventLog {
  private readonly logs = new Map<string, MemoryLog>();
  private readonly watchers = new Watchers();
  private lastMs = 0;
  private seq = 0;
  private readonly sweep: NodeJS.Timeout;

  constructor() {
    this.sweep = setInterval(() => {
      const now = Date.now();
      for (const [k, v] of this.logs) if (v.expiresAt <= now) this.logs.delete(k);
    }, 30_000);
    this.sweep.unref();
  }

  private nextId(): string {
    const now = Date.now();
    if (now > this.lastMs) {
      this.lastMs = now;
      this.seq = 0;
    } else this.seq++;
    return `${this.lastMs}-${this.seq}`;
  }

  private live(key: string): MemoryLog | undefined {
    const log = this.logs.get(key);
    if (log && log.expiresAt <= Date.now()) {
      this.logs.delete(key);
      return undefined;
    }
    return log;
  }

  async append(key: string, data: string, ttlSeconds: number): Promise<string> {
    let log = this.live(key);
    if (!log) {
      log = { entries: [], expiresAt: 0 };
      this.logs.set(key, log);
    }
    const id = this.nextId();
    const prev = log.entries.at(-1)?.id ?? null;
    log.entries.push({ id, data });
    log.expiresAt = Date.now() + ttlSeconds * 1000;
    this.watchers.notify(key, { prev, id, data });
    return id;
  }

  async read(key: string, afterId: string | null, limit = 10_000): Promise<LogEntry[]> {
    const entries = this.live(key)?.entries ?? [];
    let start = 0;
    if (afterId !== null) {
      start = entries.length;
      while (start > 0) {
        const prev = entries[start - 1];
        if (!prev || compareIds(prev.id, afterId) <= 0) break;
        start--;
      }
    }
    return entries.slice(start, start + limit);
  }

  watch(key: string): LogWatch {
    return this.watchers.watch(key);
  }

  close(): void {
    clearInterval(this.sweep);
  }
}

export class MemorySignalBus implements SignalBus {
  private readonly emitter = new EventEmitter().setMaxListeners(0);

  async publish(channel: string, message: string): Promise<void> {
    // Asynchronous like a network bus: the publisher's own code runs on before handlers do.
    setImmediate(() => this.emitter.emit(channel, message));
  }

  async subscribe(channel: string, handler: (message: string) => void): Promise<() => void> {
    this.emitter.on(channel, handler);
    return () => this.emitter.off(channel, handler);
  }
}

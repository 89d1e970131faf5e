import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { MemoryEventLog, MemorySignalBus } from './events';
import type {
  NonceStore,
  Ports,
  RateLimiter,
  RateLimiterFactory,
  SessionState,
  SessionStateStore,
} from './types';

/** A Map whose entries expire; bounded, oldest evicted first. */
export class ExpiringMap<V> {
  private readonly map = new Map<string, { value: V; expiresAt: number }>();
  constructor(private readonly maxEntries = 100_000) {}

  get(key: string): V | undefined {
    const entry = this.map.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.map.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(key: string, value: V, ttlMs: number): void {
    this.map.delete(key);
    if (this.map.size >= this.maxEntries) {
      const oldest = this.map.keys().next();
      if (!oldest.done) this.map.delete(oldest.value);
    }
    this.map.set(key, { value, expiresAt: Date.now() + ttlMs });
  }

  delete(key: string): boolean {
    return this.map.delete(key);
  }

  get size(): number {
    return this.map.size;
  }
}

class MemoryNonceStore implements NonceStore {
  private readonly map = new ExpiringMap<string>();
  async put(nonce: string, message: string, ttlSeconds: number) {
    this.map.set(nonce, message, ttlSeconds * 1000);
  }
  async peek(nonce: string) {
    return this.map.get(nonce) ?? null;
  }
  async take(nonce: string) {
    // Single-threaded: get + delete with no await between them is atomic.
    const value = this.map.get(nonce);
    if (value === undefined) return null;
    this.map.delete(nonce);
    return value;
  }
}

class MemorySessionStateStore implements SessionStateStore {
  private readonly map = new ExpiringMap<SessionState>();
  async get(sessionId: string) {
    return this.map.get(sessionId) ?? null;
  }
  async set(sessionId: string, state: SessionState, ttlSeconds: number) {
    this.map.set(sessionId, state, ttlSeconds * 1000);
  }
  async putActive(sessionId: string, ttlSeconds: number): Promise<SessionState> {
    const held = this.map.get(sessionId);
    if (held !== undefined) return held;
    this.map.set(sessionId, 'active', ttlSeconds * 1000);
    return 'active';
  }
}

export function toRateLimiter(
  limiter: RateLimiterMemory | import('rate-limiter-flexible').RateLimiterRedis,
): RateLimiter {
  return {
    async consume(key, points = 1) {
      try {
        const res = await limiter.consume(key, points);
        return { allowed: true, retryAfterMs: 0, remaining: res.remainingPoints };
      } catch (err) {
        if (err instanceof RateLimiterRes) {
          return { allowed: false, retryAfterMs: err.msBeforeNext, remaining: err.remainingPoints };
        }
        throw err;
      }
    },
  };
}

const memoryRateLimiters: RateLimiterFactory = {
  create(name, opts) {
    return toRateLimiter(
      new RateLimiterMemory({ keyPrefix: name, points: opts.points, duration: opts.durationSeconds }),
    );
  },
};

export function createMemoryPorts(): Ports {
  const events = new MemoryEventLog();
  return {
    kind: 'memory',
    nonces: new MemoryNonceStore(),
    sessionStates: new MemorySessionStateStore(),
    rateLimiters: memoryRateLimiters,
    events,
    signals: new MemorySignalBus(),
    async ping() {},
    async close() {
      events.close();
    },
  };
}

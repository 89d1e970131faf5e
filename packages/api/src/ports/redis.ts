import type { Redis } from 'ioredis';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import { RedisEventLog, RedisPubSub, RedisSignalBus } from './events-redis';
import { toRateLimiter } from './memory';
import type { NonceStore, Ports, RateLimiterFactory, SessionState, SessionStateStore } from './types';

class RedisNonceStore implements NonceStore {
  constructor(private readonly redis: Redis) {}
  async put(nonce: string, message: string, ttlSeconds: number) {
    await this.redis.set(`siwe:nonce:${nonce}`, message, 'EX', ttlSeconds);
  }
  async peek(nonce: string) {
    return this.redis.get(`siwe:nonce:${nonce}`);
  }
  async take(nonce: string) {
    // GETDEL is atomic on the server: exactly one concurrent caller sees the value.
    return this.redis.getdel(`siwe:nonce:${nonce}`);
  }
}

class RedisSessionStateStore implements SessionStateStore {
  constructor(private readonly redis: Redis) {}
  async get(sessionId: string) {
    const v = await this.redis.get(`session:${sessionId}`);
    return v === 'active' || v === 'revoked' ? (v as SessionState) : null;
  }
  async set(sessionId: string, state: SessionState, ttlSeconds: number) {
    await this.redis.set(`session:${sessionId}`, state, 'EX', Math.max(1, Math.ceil(ttlSeconds)));
  }
  async putActive(sessionId: string, ttlSeconds: number): Promise<SessionState> {
    const key = `session:${sessionId}`;
    // SET NX, then read what won (SET NX GET in one command needs Redis 7).
    const set = await this.redis.set(key, 'active', 'EX', Math.max(1, Math.ceil(ttlSeconds)), 'NX');
    if (set === 'OK') return 'active';
    const held = await this.redis.get(key);
    return held === 'active' ? 'active' : 'revoked';
  }
}

/**
 * Ports over one ioredis connection. `redis` may carry a keyPrefix (tests isolate themselves that way).
 * The caller owns the connection unless `ownsConnection` is set.
 */
export function createRedisPorts(redis: Redis, opts: { ownsConnection?: boolean } = {}): Ports {
  const rateLimiters: RateLimiterFactory = {
    create(name, o) {
      return toRateLimiter(
        new RateLimiterRedis({
          storeClient: redis,
          keyPrefix: `rl:${name}`,
          points: o.points,
          duration: o.durationSeconds,
        }),
      );
    },
  };
  // Pub/sub needs a connection of its own; the ports own it whoever owns `redis`.
  const pubsub = new RedisPubSub(redis);
  return {
    kind: 'redis',
    nonces: new RedisNonceStore(redis),
    sessionStates: new RedisSessionStateStore(redis),
    rateLimiters,
    events: new RedisEventLog(redis, pubsub),
    signals: new RedisSignalBus(pubsub),
    async ping() {
      await redis.ping();
    },
    async close() {
      await pubsub.close();
      if (opts.ownsConnection) await redis.quit().catch(() => redis.disconnect());
    },
  };
}

import type { Redis } from 'ioredis';
import { Watchers } from './events';
import type { AnnouncedEntry, EventLog, LogEntry, LogWatch, SignalBus } from './types';

/**
 * XADD + PEXPIRE + PUBLISH in one round trip and one command: one Redis command per event. The announcement
 * carries the entry and the id before it ("key\nprev\nid\ndata"; keys and ids have no newline, JSON data
 * none unescaped), so a follower whose cursor is that previous id emits it without reading the stream.
 */
const APPEND_LUA = `
local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
local prev = ''
if last[1] then prev = last[1][1] end
local id = redis.call('XADD', KEYS[1], '*', 'd', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PUBLISH', ARGV[3], ARGV[4] .. '\\n' .. prev .. '\\n' .. id .. '\\n' .. ARGV[1])
return id`;

/** Reads an announcement; one that is just a key (an older instance's) wakes followers without an entry. */
export function parseAnnouncement(message: string): { key: string; entry?: AnnouncedEntry } {
  const a = message.indexOf('\n');
  if (a < 0) return { key: message };
  const b = message.indexOf('\n', a + 1);
  const c = b < 0 ? -1 : message.indexOf('\n', b + 1);
  if (c < 0) return { key: message.slice(0, a) };
  const prev = message.slice(a + 1, b);
  return {
    key: message.slice(0, a),
    entry: { prev: prev === '' ? null : prev, id: message.slice(b + 1, c), data: message.slice(c + 1) },
  };
}

type AppendingRedis = Redis & {
  genAppend(key: string, data: string, ttlMs: string, channel: string, name: string): Promise<string>;
};

/**
 * Pub/sub for one instance over a second connection (a subscribed connection can do nothing else).
 * ioredis' keyPrefix does not apply to channels, so channels carry it explicitly: two apps sharing a
 * prefix share signals, two test files with different prefixes do not.
 */
export class RedisPubSub {
  private sub: Redis | undefined;
  private readonly handlers = new Map<string, Set<(message: string) => void>>();
  readonly prefix: string;

  constructor(private readonly redis: Redis) {
    this.prefix = typeof redis.options.keyPrefix === 'string' ? redis.options.keyPrefix : '';
  }

  channel(name: string): string {
    return `${this.prefix}${name}`;
  }

  async subscribe(name: string, handler: (message: string) => void): Promise<() => void> {
    const channel = this.channel(name);
    if (!this.sub) {
      // No keyPrefix on the subscriber: channel names are already absolute.
      this.sub = this.redis.duplicate({ keyPrefix: '', enableAutoPipelining: false });
      this.sub.on('error', () => {});
      this.sub.on('message', (ch: string, message: string) => {
        const set = this.handlers.get(ch);
        if (set) for (const h of set) h(message);
      });
    }
    let set = this.handlers.get(channel);
    if (!set) {
      set = new Set();
      this.handlers.set(channel, set);
      await this.sub.subscribe(channel);
    }
    set.add(handler);
    return () => {
      const s = this.handlers.get(channel);
      s?.delete(handler);
      if (s?.size === 0) {
        this.handlers.delete(channel);
        this.sub?.unsubscribe(channel).catch(() => {});
      }
    };
  }

  async publish(name: string, message: string): Promise<void> {
    await this.redis.publish(this.channel(name), message);
  }

  async close(): Promise<void> {
    const sub = this.sub;
    this.sub = undefined;
    if (sub) await sub.quit().catch(() => sub.disconnect());
  }
}

const EVENTS_CHANNEL = 'gen:appended';

/**
 * Event logs as Redis Streams (XADD ids are the tracked() ids; XRANGE with an exclusive start resumes), woken
 * through one pub/sub channel per deployment: each append publishes its key, each instance wakes its local
 * followers of that key. A lost notification only delays a follower until its next poll.
 */
export class RedisEventLog implements EventLog {
  private readonly watchers = new Watchers();
  private listening: Promise<unknown> | undefined;
  private readonly redis: AppendingRedis;

  constructor(
    redis: Redis,
    private readonly pubsub: RedisPubSub,
  ) {
    if (!('genAppend' in redis)) redis.defineCommand('genAppend', { numberOfKeys: 1, lua: APPEND_LUA });
    this.redis = redis as AppendingRedis;
  }

  private active = false;

  private ensureListening(): Promise<unknown> {
    this.listening ??= this.pubsub
      .subscribe(EVENTS_CHANNEL, (message) => {
        const { key, entry } = parseAnnouncement(message);
        this.watchers.notify(key, entry);
      })
      .then(() => {
        this.active = true;
      })
      .catch(() => {
        this.listening = undefined;
      });
    return this.listening;
  }

  async append(key: string, data: string, ttlSeconds: number): Promise<string> {
    return this.redis.genAppend(
      `ev:${key}`,
      data,
      String(ttlSeconds * 1000),
      this.pubsub.channel(EVENTS_CHANNEL),
      key,
    );
  }

  async read(key: string, afterId: string | null, limit = 10_000): Promise<LogEntry[]> {
    const rows = await this.redis.xrange(
      `ev:${key}`,
      afterId === null ? '-' : `(${afterId}`,
      '+',
      'COUNT',
      limit,
    );
    return rows.map(([id, fields]) => ({ id, data: fields[1] ?? '' }));
  }

  watch(key: string): LogWatch {
    const w = this.watchers.watch(key);
    if (this.active) return w;
    // Until this instance's subscription is active, appends are not announced to it: the first next() waits
    // for the subscription and then returns at once, so the caller reads again and misses nothing.
    const ready = this.ensureListening();
    let first = true;
    return {
      next: async (timeoutMs) => {
        if (!first) return w.next(timeoutMs);
        first = false;
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([ready, new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
        clearTimeout(timer);
      },
      take: (afterId) => w.take(afterId),
      close: () => w.close(),
    };
  }

  /** Resolves once this instance receives append notifications (tests and startup wait for it). */
  async ready(): Promise<void> {
    this.ensureListening();
    await this.listening;
  }
}

export class RedisSignalBus implements SignalBus {
  constructor(private readonly pubsub: RedisPubSub) {}
  publish(channel: string, message: string): Promise<void> {
    return this.pubsub.publish(`sig:${channel}`, message);
  }
  subscribe(channel: string, handler: (message: string) => void): Promise<() => void> {
    return this.pubsub.subscribe(`sig:${channel}`, handler);
  }
}

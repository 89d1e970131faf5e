/**
 * Small ports for state that is short-lived or shared between instances. Each has an in-process
 * implementation (single instance, embedded default) and a Redis one (many instances).
 */

/** Issued SIWE messages under their nonce, each consumable exactly once. */
export interface NonceStore {
  put(nonce: string, message: string, ttlSeconds: number): Promise<void>;
  /** The stored message, without consuming it. */
  peek(nonce: string): Promise<string | null>;
  /** Atomically returns and deletes: of concurrent callers at most one gets the message. */
  take(nonce: string): Promise<string | null>;
}

export type SessionState = 'active' | 'revoked';

/** A fast cache in front of the sessions table, so the per-request revocation check costs no query. */
export interface SessionStateStore {
  get(sessionId: string): Promise<SessionState | null>;
  set(sessionId: string, state: SessionState, ttlSeconds: number): Promise<void>;
  /**
   * Caches "active" unless a state is already there, and returns the state the store now holds. A revocation
   * written while the caller was reading the session from the database must win over that older read.
   */
  putActive(sessionId: string, ttlSeconds: number): Promise<SessionState>;
}

export interface RateLimitResult {
  allowed: boolean;
  /** When not allowed: milliseconds until a point frees up. */
  retryAfterMs: number;
  remaining: number;
}

export interface RateLimiter {
  consume(key: string, points?: number): Promise<RateLimitResult>;
}

export interface RateLimiterFactory {
  create(name: string, opts: { points: number; durationSeconds: number }): RateLimiter;
}

/** One entry of an event log; ids are "<ms>-<seq>" (Redis stream ids), increasing within a log. */
export interface LogEntry {
  id: string;
  data: string;
}

/** An entry as its append announces it: with the id it follows (null: it is the log's first). */
export interface AnnouncedEntry extends LogEntry {
  prev: string | null;
}

/** Resolves when the watched log may have grown (or after a timeout); register before reading. */
export interface LogWatch {
  /** Resolves at the next append after the previous call (at once if one happened since), or after `timeoutMs`. */
  next(timeoutMs: number): Promise<void>;
  /**
   * The entries announced since the last call that follow `afterId` with no gap, oldest first, so the caller
   * need not read them; null when that is not known (nothing announced, a gap, an announcement without its
   * entry): then read the log.
   */
  take(afterId: string | null): LogEntry[] | null;
  close(): void;
}

/**
 * Append-only event logs (one per AI reply) readable from any instance: Redis Streams with a TTL, or in
 * process. Ids are usable as tRPC tracked() ids; reading after an id gives exactly what followed it.
 */
export interface EventLog {
  /** Appends and refreshes the log's TTL; returns the new entry's id. */
  append(key: string, data: string, ttlSeconds: number): Promise<string>;
  /** Entries strictly after `afterId` (all when null), oldest first, at most `limit`. */
  read(key: string, afterId: string | null, limit?: number): Promise<LogEntry[]>;
  watch(key: string): LogWatch;
}

/** Fire-and-forget signals to every instance (stop requests): Redis pub/sub, or in process. */
export interface SignalBus {
  publish(channel: string, message: string): Promise<void>;
  /** Resolves once the subscription is active; the returned function unsubscribes. */
  subscribe(channel: string, handler: (message: string) => void): Promise<() => void>;
}

/** Everything the API keeps outside PostgreSQL. */
export interface Ports {
  kind: 'memory' | 'redis';
  nonces: NonceStore;
  sessionStates: SessionStateStore;
  rateLimiters: RateLimiterFactory;
  events: EventLog;
  signals: SignalBus;
  /** Round trip to the backing store; throws when unreachable. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

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

/** Everything the API keeps outside PostgreSQL. */
export interface Ports {
  kind: 'memory' | 'redis';
  nonces: NonceStore;
  sessionStates: SessionStateStore;
  rateLimiters: RateLimiterFactory;
  /** Round trip to the backing store; throws when unreachable. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

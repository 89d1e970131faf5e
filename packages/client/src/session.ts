import type { StoredSession, TokenStorage } from './storage';

/** The token pair the server hands out on sign-in and refresh (`auth.authenticate`, `auth.refresh`). */
export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  /** Access token lifetime in seconds. */
  expiresIn: number;
}

export type SignedOutReason = 'signed-out' | 'refresh-rejected' | 'other-tab';

export interface SessionEvent {
  session: StoredSession | null;
  /** Set when the session ended: why. */
  reason?: SignedOutReason;
}

export interface AuthSessionOptions {
  storage: TokenStorage;
  /** Exchanges a refresh token for a new pair (calls `auth.refresh`). */
  refresh: (refreshToken: string) => Promise<TokenPair>;
  /** Refresh when the access token has less than this left. Default 60 s (at most a third of its lifetime). */
  leewayMs?: number;
  /** Refresh in the background shortly before expiry, even while idle. Default true. */
  autoRefresh?: boolean;
  /**
   * Runs the refresh under a lock shared with other tabs, so only one tab rotates the refresh token and the
   * others adopt its result. Defaults to the Web Locks API where present, otherwise no cross-tab lock (the
   * server's grace window still accepts two tabs refreshing together).
   */
  lock?: <T>(fn: () => Promise<T>) => Promise<T>;
  now?: () => number;
}

/** An error from `auth.refresh` that means the session is over (not a network failure). */
export function isAuthRejection(err: unknown): boolean {
  const data = (err as { data?: { code?: unknown } } | null)?.data;
  return data?.code === 'UNAUTHORIZED' || data?.code === 'BAD_REQUEST';
}

function webLock<T>(fn: () => Promise<T>): Promise<T> {
  const locks = (globalThis.navigator as Navigator | undefined)?.locks;
  if (!locks) return fn();
  return locks.request('chatplatform.refresh', fn) as Promise<T>;
}

/**
 * The client's view of a session: the current tokens, silent refresh before expiry, one refresh at a time
 * (concurrent callers share it), and the same session in every tab.
 */
export class AuthSession {
  private state: StoredSession | null;
  private inflight: Promise<string | null> | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private readonly listeners = new Set<(e: SessionEvent) => void>();
  private readonly unsubscribeStorage: () => void;
  private readonly leewayMs: number;
  private readonly autoRefresh: boolean;
  private readonly lock: <T>(fn: () => Promise<T>) => Promise<T>;
  private readonly now: () => number;

  constructor(private readonly opts: AuthSessionOptions) {
    this.leewayMs = opts.leewayMs ?? 60_000;
    this.autoRefresh = opts.autoRefresh ?? true;
    this.lock = opts.lock ?? webLock;
    this.now = opts.now ?? Date.now;
    this.state = opts.storage.load();
    this.unsubscribeStorage =
      opts.storage.subscribe?.((next) => {
        const hadSession = this.state !== null;
        this.state = next;
        this.schedule();
        this.emit({ session: next, ...(hadSession && !next ? { reason: 'other-tab' as const } : {}) });
      }) ?? (() => {});
    this.schedule();
  }

  /** The tokens held now, or null when signed out. */
  get current(): StoredSession | null {
    return this.state;
  }

  get isSignedIn(): boolean {
    return this.state !== null;
  }

  /** Called with every change: sign-in, refresh (here or in another tab), sign-out. Returns unsubscribe. */
  subscribe(listener: (e: SessionEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Stores a pair just received from `auth.authenticate` or `auth.refresh`. */
  setTokens(pair: TokenPair): StoredSession {
    const now = this.now();
    const next: StoredSession = {
      accessToken: pair.accessToken,
      refreshToken: pair.refreshToken,
      accessIssuedAt: now,
      accessExpiresAt: now + pair.expiresIn * 1000,
    };
    this.apply(next);
    return next;
  }

  /** Forgets the session here and in every tab. Call `auth.logout` first to end it on the server. */
  clear(reason: SignedOutReason = 'signed-out'): void {
    if (this.state === null) return;
    this.apply(null, reason);
  }

  /**
   * The access token to send now; refreshes first when it is about to expire. Null when signed out.
   * Throws only when a needed refresh failed for a reason other than the session being over (e.g. offline).
   */
  async getAccessToken(): Promise<string | null> {
    const s = this.state;
    if (!s) return null;
    if (!this.isNearExpiry(s)) return s.accessToken;
    return this.refreshNow();
  }

  /**
   * Refreshes now, once: concurrent calls share one request. `rejected` is the access token the server just
   * refused; if another tab already replaced it, that newer token is adopted instead of refreshing again.
   * Resolves to the new access token, or null when the session is over (then it is cleared).
   */
  refreshNow(rejected?: string): Promise<string | null> {
    if (this.inflight) return this.inflight;
    const run = this.lock(async () => {
      const stored = this.opts.storage.load() ?? this.state;
      if (!stored) {
        if (this.state) this.apply(null, 'other-tab');
        return null;
      }
      // Another tab (or an earlier call) may already hold a fresh token: adopt it rather than rotate again.
      const usable = rejected === undefined || stored.accessToken !== rejected;
      if (usable && !this.isNearExpiry(stored)) {
        if (stored.accessToken !== this.state?.accessToken) this.apply(stored);
        return stored.accessToken;
      }
      let pair: TokenPair;
      try {
        pair = await this.opts.refresh(stored.refreshToken);
      } catch (err) {
        if (isAuthRejection(err)) {
          // Another tab may have rotated the token while we asked: its result wins.
          const latest = this.opts.storage.load();
          if (latest && latest.refreshToken !== stored.refreshToken) {
            this.apply(latest);
            return latest.accessToken;
          }
          this.apply(null, 'refresh-rejected');
          return null;
        }
        throw err;
      }
      return this.setTokens(pair).accessToken;
    });
    this.inflight = run.finally(() => {
      this.inflight = null;
    });
    return this.inflight;
  }

  /** Stops the background timer and the cross-tab listener. */
  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.unsubscribeStorage();
    this.listeners.clear();
  }

  /** When to refresh: `leewayMs` before expiry, but never earlier than two thirds into the token's life. */
  private dueAt(s: StoredSession): number {
    const lifetime = Math.max(0, s.accessExpiresAt - s.accessIssuedAt);
    return s.accessExpiresAt - Math.min(this.leewayMs, lifetime / 3);
  }

  private isNearExpiry(s: StoredSession): boolean {
    return this.now() >= this.dueAt(s);
  }

  private apply(next: StoredSession | null, reason?: SignedOutReason): void {
    this.state = next;
    this.opts.storage.save(next);
    this.schedule();
    this.emit({ session: next, ...(reason && !next ? { reason } : {}) });
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const s = this.state;
    if (!this.autoRefresh || !s) return;
    // A little jitter (after the due time, still well before expiry) so two tabs rarely fire together (the lock and the server's grace window cover it if they do).
    const jitter = Math.floor(Math.random() * 2000);
    const delay = Math.max(0, this.dueAt(s) - this.now() + jitter);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.refreshNow().catch(() => {
        // Offline or the server is down: try again in a while; a request will also retry on demand.
        if (this.state && !this.timer) this.timer = setTimeout(() => this.schedule(), 15_000);
      });
    }, delay);
    // In Node, a pending refresh must not keep the process alive.
    (this.timer as { unref?: () => void }).unref?.();
  }

  private emit(e: SessionEvent): void {
    for (const l of this.listeners) l(e);
  }
}

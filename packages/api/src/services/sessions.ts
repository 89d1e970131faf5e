import type { Database, User } from '@chatplatform/db';
import {
  createSession,
  findOrCreateUserByWallet,
  getSessionById,
  insertRefreshToken,
  lockRefreshToken,
  markRefreshTokenRotated,
  revokeSession,
  revokeUserSessions,
} from '@chatplatform/db/queries';
import type { ApiConfig } from '../config';
import { AppError, unauthorized } from '../errors';
import type { SessionStateStore } from '../ports/types';
import { hashRefreshToken, newRefreshToken, type TokenService } from './tokens';

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
}

/** How long a session's state may be served from the fast store before PostgreSQL is asked again. */
const ACTIVE_STATE_TTL_SECONDS = 300;

/** A session checked again in the background while something long-lived runs on it (see SessionService.watch). */
export interface SessionWatch {
  /** Aborts once the session is found signed out or revoked, or when the parent signal aborts. */
  readonly signal: AbortSignal;
  /** The UNAUTHORIZED error (reason SESSION_REVOKED) once the session was found inactive; null until then. */
  readonly revoked: AppError | null;
  /** Ends the checks; idempotent. */
  stop(): void;
}

/** Sessions and their refresh-token families; revocation visible to every instance at once. */
export class SessionService {
  constructor(
    private readonly db: Database,
    private readonly tokens: TokenService,
    private readonly states: SessionStateStore,
    private readonly config: ApiConfig,
  ) {}

  async signIn(params: {
    walletAddress: string;
    userAgent?: string | null;
    ip?: string | null;
  }): Promise<TokenPair & { user: User; isNewUser: boolean }> {
    const expiresAt = new Date(Date.now() + this.config.tokens.sessionTtlSeconds * 1000);
    const { user, isNew, session, refresh } = await this.db.transaction(async (tx) => {
      const { user, isNew } = await findOrCreateUserByWallet(tx, {
        walletAddress: params.walletAddress,
        limits: {
          aiMessagesLimit: this.config.limits.defaultAiMessagesLimit,
          apiCallsLimit: this.config.limits.defaultApiCallsLimit,
        },
      });
      const session = await createSession(tx, {
        userId: user.id,
        expiresAt,
        userAgent: params.userAgent?.slice(0, 512) ?? null,
        ip: params.ip ?? null,
      });
      const refresh = newRefreshToken();
      await insertRefreshToken(tx, { sessionId: session.id, tokenHash: refresh.hash, expiresAt });
      return { user, isNew, session, refresh };
    });
    await this.states.set(session.id, 'active', ACTIVE_STATE_TTL_SECONDS);
    const access = await this.tokens.signAccessToken({ userId: user.id, sessionId: session.id });
    return {
      accessToken: access.token,
      refreshToken: refresh.token,
      tokenType: 'Bearer',
      expiresIn: access.expiresIn,
      user,
      isNewUser: isNew,
    };
  }

  /**
   * Exchanges a refresh token for a new pair. A token already exchanged is accepted again only within the
   * grace window (two tabs refreshing together); after it, the reuse is treated as theft and the whole
   * family (the session) is revoked.
   */
  async refresh(refreshToken: string): Promise<TokenPair> {
    const hash = hashRefreshToken(refreshToken);
    const outcome = await this.db.transaction(async (tx) => {
      const row = await lockRefreshToken(tx, { tokenHash: hash });
      if (!row) return { kind: 'invalid' as const };
      const { token, session } = row;
      const now = Date.now();
      if (session.revokedAt) return { kind: 'revoked' as const };
      if (session.expiresAt.getTime() <= now || token.expiresAt.getTime() <= now)
        return { kind: 'expired' as const };
      if (
        token.rotatedAt &&
        now - token.rotatedAt.getTime() > this.config.tokens.refreshGraceSeconds * 1000
      ) {
        return { kind: 'reused' as const, sessionId: session.id };
      }
      if (!token.rotatedAt) await markRefreshTokenRotated(tx, { id: token.id });
      const next = newRefreshToken();
      await insertRefreshToken(tx, {
        sessionId: session.id,
        tokenHash: next.hash,
        expiresAt: session.expiresAt,
      });
      return { kind: 'ok' as const, session, refresh: next.token };
    });

    switch (outcome.kind) {
      case 'invalid':
        throw unauthorized('REFRESH_INVALID', 'The refresh token is not valid.');
      case 'revoked':
        throw unauthorized('SESSION_REVOKED', 'This session has been signed out.');
      case 'expired':
        throw unauthorized('SESSION_EXPIRED', 'This session has expired; sign in again.');
      case 'reused':
        await this.revoke(outcome.sessionId, 'refresh_token_reuse');
        throw unauthorized(
          'REFRESH_REUSED',
          'This refresh token was already used; the session has been revoked.',
        );
      case 'ok': {
        const access = await this.tokens.signAccessToken({
          userId: outcome.session.userId,
          sessionId: outcome.session.id,
        });
        return {
          accessToken: access.token,
          refreshToken: outcome.refresh,
          tokenType: 'Bearer',
          expiresIn: access.expiresIn,
        };
      }
    }
  }

  async revoke(sessionId: string, reason: string): Promise<void> {
    await revokeSession(this.db, { id: sessionId, reason });
    await this.states.set(sessionId, 'revoked', this.config.tokens.accessTtlSeconds + 60);
  }

  async revokeAll(userId: string, reason: string): Promise<number> {
    const ids = await revokeUserSessions(this.db, { userId, reason });
    await Promise.all(
      ids.map((id) => this.states.set(id, 'revoked', this.config.tokens.accessTtlSeconds + 60)),
    );
    return ids.length;
  }

  /** Throws unless the session is active. Served from the fast store; PostgreSQL on a miss. */
  async assertActive(sessionId: string): Promise<void> {
    let state = await this.states.get(sessionId);
    if (state === null) {
      const session = await getSessionById(this.db, { id: sessionId });
      const active = !!session && !session.revokedAt && session.expiresAt.getTime() > Date.now();
      if (active) {
        const ttl = Math.min(
          ACTIVE_STATE_TTL_SECONDS,
          Math.floor(((session?.expiresAt.getTime() ?? 0) - Date.now()) / 1000),
        );
        // Not a plain set: a logout that landed after the read above has cached "revoked", and it stays.
        state = await this.states.putActive(sessionId, Math.max(1, ttl));
      } else {
        state = 'revoked';
        await this.states.set(sessionId, state, this.config.tokens.accessTtlSeconds + 60);
      }
    }
    if (state !== 'active') throw unauthorized('SESSION_REVOKED', 'This session has been signed out.');
  }

  /** The open watches, one shared check per session and interval (see watch). */
  private readonly checks = new Map<string, SharedCheck>();

  /**
   * Checks `sessionId` again every `everyMs` while a long-lived request (an open message.stream) runs on it, off
   * that request's own path: once the session is signed out or revoked, `revoked` holds the UNAUTHORIZED error and
   * `signal` aborts, so the holder ends at once whether it is delivering or idle, and never waits on a check.
   * A check that fails for another reason (the store unreachable for a moment) is tried again at the next tick:
   * the session was active when the request began. The checks end with `stop()` or when `parent` aborts.
   *
   * Every watch of one session on this instance shares one check (one store read per `everyMs`, however many
   * streams a person has open); the check ends with the last of them.
   */
  watch(sessionId: string, parent: AbortSignal | undefined, everyMs: number): SessionWatch {
    const own = new AbortController();
    const signal = parent ? AbortSignal.any([parent, own.signal]) : own.signal;
    let revoked: AppError | null = null;
    let stopped = false;
    const key = `${everyMs}:${sessionId}`;
    const watcher = (err: AppError) => {
      revoked = err;
      stop();
      own.abort(err);
    };
    const stop = () => {
      if (stopped) return;
      stopped = true;
      parent?.removeEventListener('abort', stop);
      const check = this.checks.get(key);
      if (check?.watchers.delete(watcher) && check.watchers.size === 0) {
        clearTimeout(check.timer);
        this.checks.delete(key);
      }
    };
    const handle: SessionWatch = {
      signal,
      get revoked() {
        return revoked;
      },
      stop,
    };
    if (parent?.aborted) {
      stopped = true;
      return handle;
    }
    parent?.addEventListener('abort', stop, { once: true });
    let check = this.checks.get(key);
    if (!check) {
      const created: SharedCheck = { watchers: new Set(), timer: undefined };
      const schedule = () => {
        if (this.checks.get(key) !== created) return;
        created.timer = setTimeout(run, everyMs);
        // An open stream keeps the process busy through its socket, not through this timer.
        created.timer.unref?.();
      };
      const run = () => {
        this.assertActive(sessionId).then(schedule, (err: unknown) => {
          if (this.checks.get(key) !== created) return;
          if (!(err instanceof AppError && err.code === 'UNAUTHORIZED')) return schedule();
          this.checks.delete(key);
          for (const w of created.watchers) w(err);
        });
      };
      check = created;
      this.checks.set(key, check);
      schedule();
    }
    check.watchers.add(watcher);
    return handle;
  }
}

/** One session's background check, shared by the watches open on it. */
interface SharedCheck {
  readonly watchers: Set<(revoked: AppError) => void>;
  timer: ReturnType<typeof setTimeout> | undefined;
}

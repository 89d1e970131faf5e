import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Executor } from '../client';
import { type RefreshToken, refreshTokens, type Session, sessions } from '../schema/sessions';
import { statement } from './prepared';

export async function createSession(
  db: Executor,
  params: { userId: string; expiresAt: Date; userAgent?: string | null; ip?: string | null },
): Promise<Session> {
  const [row] = await db
    .insert(sessions)
    .values({
      userId: params.userId,
      expiresAt: params.expiresAt,
      userAgent: params.userAgent ?? null,
      ip: params.ip ?? null,
    })
    .returning();
  if (!row) throw new Error('insert returned no session');
  return row;
}

const sessionById = statement('session_by_id', (db) =>
  db
    .select()
    .from(sessions)
    .where(eq(sessions.id, sql.placeholder('id')))
    .limit(1),
);

export async function getSessionById(db: Executor, params: { id: string }): Promise<Session | undefined> {
  const [row] = await sessionById(db, params);
  return row;
}

/** Marks one session revoked; returns whether it was active before. */
export async function revokeSession(db: Executor, params: { id: string; reason: string }): Promise<boolean> {
  const rows = await db
    .update(sessions)
    .set({ revokedAt: sql`now()`, revokedReason: params.reason })
    .where(and(eq(sessions.id, params.id), isNull(sessions.revokedAt)))
    .returning({ id: sessions.id });
  return rows.length > 0;
}

/** Revokes every active session of a user; returns the ids that were revoked. */
export async function revokeUserSessions(
  db: Executor,
  params: { userId: string; reason: string },
): Promise<string[]> {
  const rows = await db
    .update(sessions)
    .set({ revokedAt: sql`now()`, revokedReason: params.reason })
    .where(and(eq(sessions.userId, params.userId), isNull(sessions.revokedAt)))
    .returning({ id: sessions.id });
  return rows.map((r) => r.id);
}

export async function insertRefreshToken(
  db: Executor,
  params: { sessionId: string; tokenHash: string; expiresAt: Date },
): Promise<RefreshToken> {
  const [row] = await db.insert(refreshTokens).values(params).returning();
  if (!row) throw new Error('insert returned no refresh token');
  return row;
}

/** The refresh token with its session, locked for update (rotation must be serialised per token). */
export async function lockRefreshToken(
  db: Executor,
  params: { tokenHash: string },
): Promise<{ token: RefreshToken; session: Session } | undefined> {
  const [row] = await db
    .select({ token: refreshTokens, session: sessions })
    .from(refreshTokens)
    .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
    .where(eq(refreshTokens.tokenHash, params.tokenHash))
    .for('update', { of: refreshTokens })
    .limit(1);
  return row;
}

export async function markRefreshTokenRotated(db: Executor, params: { id: string }): Promise<void> {
  await db
    .update(refreshTokens)
    .set({ rotatedAt: sql`now()` })
    .where(and(eq(refreshTokens.id, params.id), isNull(refreshTokens.rotatedAt)));
}

export async function touchSession(db: Executor, params: { id: string }): Promise<void> {
  await db.update(sessions).set({ lastUsedAt: sql`now()` }).where(eq(sessions.id, params.id));
}

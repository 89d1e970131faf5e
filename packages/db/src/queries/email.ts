import { and, desc, eq, gte, isNotNull, isNull, lt, ne, sql } from 'drizzle-orm';
import type { Executor } from '../client';
import { type EmailVerification, emailVerifications } from '../schema/email';
import { type User, users } from '../schema/users';

/** Whether a user other than `userId` has verified this address (compared case-insensitively). */
export async function isEmailVerifiedByOtherUser(
  db: Executor,
  params: { email: string; userId: string },
): Promise<boolean> {
  const [row] = await db
    .select({ id: users.id })
    .from(users)
    .where(
      and(
        sql`lower(${users.email}) = lower(${params.email})`,
        isNotNull(users.emailVerifiedAt),
        ne(users.id, params.userId),
      ),
    )
    .limit(1);
  return row !== undefined;
}

/** The id is chosen by the caller because the code hash is keyed with it. */
export async function createEmailVerification(
  db: Executor,
  params: { id: string; userId: string; email: string; codeHash: string; expiresAt: Date; createdAt?: Date },
): Promise<EmailVerification> {
  const [row] = await db.insert(emailVerifications).values(params).returning();
  if (!row) throw new Error('insert returned no email verification');
  return row;
}

export async function deleteEmailVerification(db: Executor, params: { id: string }): Promise<void> {
  await db.delete(emailVerifications).where(eq(emailVerifications.id, params.id));
}

/**
 * Issues a verification unless the user asked too recently: at most one per `minIntervalMs` and `maxPerHour`
 * per rolling hour. Decided under the user's row lock, so parallel requests cannot both slip through.
 */
export async function issueEmailVerification(
  db: Executor,
  params: {
    id: string;
    userId: string;
    email: string;
    codeHash: string;
    expiresAt: Date;
    minIntervalMs: number;
    maxPerHour: number;
  },
): Promise<
  { status: 'issued'; verification: EmailVerification } | { status: 'throttled'; retryAfterMs: number }
> {
  return db.transaction(async (tx) => {
    await tx.select({ id: users.id }).from(users).where(eq(users.id, params.userId)).for('update');
    // The application clock throughout (created_at is set from it too), so the arithmetic is consistent.
    const nowMs = Date.now();
    const recent = await tx
      .select({ createdAt: emailVerifications.createdAt })
      .from(emailVerifications)
      .where(
        and(
          eq(emailVerifications.userId, params.userId),
          gte(emailVerifications.createdAt, new Date(nowMs - 3_600_000)),
        ),
      )
      .orderBy(desc(emailVerifications.createdAt));
    let waitMs = 0;
    const newest = recent[0];
    if (newest) waitMs = Math.max(waitMs, newest.createdAt.getTime() + params.minIntervalMs - nowMs);
    if (recent.length >= params.maxPerHour) {
      const oldestCounted = recent[params.maxPerHour - 1] ?? newest;
      if (oldestCounted) waitMs = Math.max(waitMs, oldestCounted.createdAt.getTime() + 3_600_000 - nowMs);
    }
    if (waitMs > 0) return { status: 'throttled' as const, retryAfterMs: waitMs };
    const verification = await createEmailVerification(tx, {
      id: params.id,
      userId: params.userId,
      email: params.email,
      codeHash: params.codeHash,
      expiresAt: params.expiresAt,
      createdAt: new Date(nowMs),
    });
    return { status: 'issued' as const, verification };
  });
}

/**
 * The user's newest verification, if it is still open (not consumed, not expired). Issuing a new code
 * supersedes every older one: only the newest can be verified.
 */
export async function getOpenEmailVerification(
  db: Executor,
  params: { userId: string },
): Promise<EmailVerification | undefined> {
  const [row] = await db
    .select()
    .from(emailVerifications)
    .where(eq(emailVerifications.userId, params.userId))
    .orderBy(desc(emailVerifications.createdAt), desc(emailVerifications.id))
    .limit(1);
  if (!row || row.consumedAt !== null || row.expiresAt.getTime() <= Date.now()) return undefined;
  return row;
}

/**
 * Spends one attempt, atomically: returns the attempt count after this one, or undefined when no attempt is
 * left (or the verification was consumed meanwhile). Concurrent guesses cannot exceed `maxAttempts`.
 */
export async function spendEmailVerificationAttempt(
  db: Executor,
  params: { id: string; maxAttempts: number },
): Promise<number | undefined> {
  const [row] = await db
    .update(emailVerifications)
    .set({ attempts: sql`${emailVerifications.attempts} + 1` })
    .where(
      and(
        eq(emailVerifications.id, params.id),
        lt(emailVerifications.attempts, params.maxAttempts),
        isNull(emailVerifications.consumedAt),
      ),
    )
    .returning({ attempts: emailVerifications.attempts });
  return row?.attempts;
}

function isUniqueViolation(err: unknown): boolean {
  for (let e: unknown = err, i = 0; e && i < 5; i++) {
    if (typeof e === 'object' && e !== null && 'code' in e && (e as { code?: unknown }).code === '23505')
      return true;
    e = typeof e === 'object' && e !== null && 'cause' in e ? (e as { cause?: unknown }).cause : undefined;
  }
  return false;
}

/**
 * Consumes the verification and makes its address the user's verified email, in one transaction.
 * 'conflict' when another user verified the same address first (the partial unique index decides, so two
 * users racing for one address cannot both win); 'used' when the verification was consumed meanwhile.
 */
export async function confirmEmailVerification(
  db: Executor,
  params: { id: string; userId: string },
): Promise<{ status: 'verified'; user: User } | { status: 'conflict' } | { status: 'used' }> {
  try {
    return await db.transaction(async (tx) => {
      const [v] = await tx
        .update(emailVerifications)
        .set({ consumedAt: sql`now()` })
        .where(
          and(
            eq(emailVerifications.id, params.id),
            eq(emailVerifications.userId, params.userId),
            isNull(emailVerifications.consumedAt),
          ),
        )
        .returning();
      if (!v) return { status: 'used' as const };
      const [user] = await tx
        .update(users)
        .set({ email: v.email, emailVerifiedAt: sql`now()`, updatedAt: sql`now()` })
        .where(eq(users.id, params.userId))
        .returning();
      if (!user) return { status: 'used' as const };
      return { status: 'verified' as const, user };
    });
  } catch (err) {
    if (isUniqueViolation(err)) return { status: 'conflict' };
    throw err;
  }
}

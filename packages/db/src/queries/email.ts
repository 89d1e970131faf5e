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
  params: { id: string; userId: string; email: string; codeHash: string; expiresAt: Date },
): Promise<EmailVerification> {
  const [row] = await db.insert(emailVerifications).values(params).returning();
  if (!row) throw new Error('insert returned no email verification');
  return row;
}

export async function deleteEmailVerification(db: Executor, params: { id: string }): Promise<void> {
  await db.delete(emailVerifications).where(eq(emailVerifications.id, params.id));
}

/** How many codes were issued to the user since `since`, and when the newest was (for resend throttling). */
export async function countEmailVerificationsSince(
  db: Executor,
  params: { userId: string; since: Date },
): Promise<{ count: number; latestAt: Date | null }> {
  const [row] = await db
    .select({
      count: sql<number>`count(*)::int`,
      latestAt: sql<string | null>`max(${emailVerifications.createdAt})`,
    })
    .from(emailVerifications)
    .where(
      and(eq(emailVerifications.userId, params.userId), gte(emailVerifications.createdAt, params.since)),
    );
  return {
    count: Number(row?.count ?? 0),
    latestAt: row?.latestAt ? new Date(row.latestAt) : null,
  };
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

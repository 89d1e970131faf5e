import { eq, sql } from 'drizzle-orm';
import type { Executor } from '../client';
import { type User, users } from '../schema/users';
import { statement } from './prepared';
import { getUserById } from './users';

export type QuotaLimitName = 'ai_messages' | 'api_calls';

export type ReserveResult =
  | { ok: true; user: User }
  | { ok: false; limit: QuotaLimitName; used: number; max: number }
  | { ok: false; limit: null };

/**
 * Reserves usage in one conditional UPDATE (never read-then-write): the row is changed only if every counter
 * stays within its limit, so concurrent reservations can never push `used` past `limit`. The row stays
 * locked until the caller's transaction ends. On refusal, names the limit that was exhausted.
 */
export async function reserveQuota(
  db: Executor,
  params: { userId: string; aiMessages: number; apiCalls: number },
): Promise<ReserveResult> {
  const { aiMessages } = params;
  const [row] = await reserve(db, params);
  if (row) return { ok: true, user: row };
  const u = await getUserById(db, { id: params.userId });
  if (!u) return { ok: false, limit: null };
  if (u.aiMessagesUsed + aiMessages > u.aiMessagesLimit)
    return { ok: false, limit: 'ai_messages', used: u.aiMessagesUsed, max: u.aiMessagesLimit };
  return { ok: false, limit: 'api_calls', used: u.apiCallsUsed, max: u.apiCallsLimit };
}

const addAi = sql.placeholder('aiMessages');
const addApi = sql.placeholder('apiCalls');
const reserve = statement('reserve_quota', (db) =>
  db
    .update(users)
    .set({
      aiMessagesUsed: sql`${users.aiMessagesUsed} + ${addAi}`,
      apiCallsUsed: sql`${users.apiCallsUsed} + ${addApi}`,
    })
    .where(
      sql`${users.id} = ${sql.placeholder('userId')}
        and ${users.aiMessagesUsed} + ${addAi} <= ${users.aiMessagesLimit}
        and ${users.apiCallsUsed} + ${addApi} <= ${users.apiCallsLimit}`,
    )
    .returning(),
);

/** Gives reserved usage back (never below zero). */
export async function refundQuota(
  db: Executor,
  params: { userId: string; aiMessages: number; apiCalls: number },
): Promise<void> {
  await db
    .update(users)
    .set({
      aiMessagesUsed: sql`greatest(${users.aiMessagesUsed} - ${params.aiMessages}, 0)`,
      apiCallsUsed: sql`greatest(${users.apiCallsUsed} - ${params.apiCalls}, 0)`,
    })
    .where(eq(users.id, params.userId));
}

/** Operator: sets a user's limits (either or both). */
export async function setUserLimits(
  db: Executor,
  params: { userId: string; aiMessagesLimit?: number; apiCallsLimit?: number },
): Promise<User | undefined> {
  const [row] = await db
    .update(users)
    .set({
      ...(params.aiMessagesLimit !== undefined ? { aiMessagesLimit: params.aiMessagesLimit } : {}),
      ...(params.apiCallsLimit !== undefined ? { apiCallsLimit: params.apiCallsLimit } : {}),
      updatedAt: sql`now()`,
    })
    .where(eq(users.id, params.userId))
    .returning();
  return row;
}

/** Operator: sets usage counters back to zero (either or both). */
export async function resetUserUsage(
  db: Executor,
  params: { userId: string; aiMessages: boolean; apiCalls: boolean },
): Promise<User | undefined> {
  const [row] = await db
    .update(users)
    .set({
      ...(params.aiMessages ? { aiMessagesUsed: 0 } : {}),
      ...(params.apiCalls ? { apiCallsUsed: 0 } : {}),
      updatedAt: sql`now()`,
    })
    .where(eq(users.id, params.userId))
    .returning();
  return row;
}

/** Operator lookup by wallet address typed in any letter case (a scan: for the admin CLI, not for requests). */
export async function getUserByWalletAnyCase(
  db: Executor,
  params: { walletAddress: string },
): Promise<User | undefined> {
  const [row] = await db
    .select()
    .from(users)
    .where(sql`lower(${users.walletAddress}) = lower(${params.walletAddress})`)
    .limit(1);
  return row;
}

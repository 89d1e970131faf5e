import { eq, sql } from 'drizzle-orm';
import type { Executor } from '../client';
import { type User, users } from '../schema/users';
import { statement } from './prepared';

export interface DefaultLimits {
  aiMessagesLimit: number;
  apiCallsLimit: number;
}

/** Sign-up on first sight of a wallet, otherwise the existing user. `walletAddress` must be canonical (EIP-55). */
export async function findOrCreateUserByWallet(
  db: Executor,
  params: { walletAddress: string; limits: DefaultLimits },
): Promise<{ user: User; isNew: boolean }> {
  const [inserted] = await db
    .insert(users)
    .values({ walletAddress: params.walletAddress, ...params.limits })
    .onConflictDoNothing({ target: users.walletAddress })
    .returning();
  if (inserted) return { user: inserted, isNew: true };
  const existing = await getUserByWallet(db, { walletAddress: params.walletAddress });
  if (!existing) throw new Error('user vanished between insert and select');
  return { user: existing, isNew: false };
}

const userById = statement('user_by_id', (db) =>
  db
    .select()
    .from(users)
    .where(eq(users.id, sql.placeholder('id')))
    .limit(1),
);

export async function getUserById(db: Executor, params: { id: string }): Promise<User | undefined> {
  const [row] = await userById(db, params);
  return row;
}

export async function getUserByWallet(
  db: Executor,
  params: { walletAddress: string },
): Promise<User | undefined> {
  const [row] = await db.select().from(users).where(eq(users.walletAddress, params.walletAddress)).limit(1);
  return row;
}

export async function updateUserProfile(
  db: Executor,
  params: { id: string; displayName?: string | null },
): Promise<User | undefined> {
  const [row] = await db
    .update(users)
    .set({
      ...(params.displayName !== undefined ? { displayName: params.displayName } : {}),
      updatedAt: sql`now()`,
    })
    .where(eq(users.id, params.id))
    .returning();
  return row;
}

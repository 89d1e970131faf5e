import type { Executor } from '@chatplatform/db';
import { refundQuota, reserveQuota } from '@chatplatform/db/queries';
import { AppError, notFound } from '../errors';

/** What one AI reply costs: the reply itself and the one model request made for it. */
export const REPLY_COST = { aiMessages: 1, apiCalls: 1 } as const;

const LIMIT_TEXT = { ai_messages: 'AI messages', api_calls: 'API calls' } as const;

/**
 * Reserves one reply's quota inside the caller's transaction (a conditional UPDATE, so the counters never
 * pass their limits under any concurrency). Exhausted: TOO_MANY_REQUESTS, reason QUOTA_EXCEEDED, and
 * `details.limit` says which limit; the caller's transaction rolls back, so nothing is written.
 */
export async function reserveReply(tx: Executor, userId: string): Promise<void> {
  const r = await reserveQuota(tx, { userId, ...REPLY_COST });
  if (r.ok) return;
  if (r.limit === null) throw notFound('User');
  throw new AppError(
    'TOO_MANY_REQUESTS',
    'QUOTA_EXCEEDED',
    `You have used all ${r.max} of your ${LIMIT_TEXT[r.limit]}.`,
    { details: { limit: r.limit, used: r.used, max: r.max } },
  );
}

/**
 * Gives a reply's quota back when it failed before producing anything. The API call is returned only when
 * no request reached the provider (an unknown model, say): a request that was made counts, answered or not.
 */
export async function refundReply(
  db: Executor,
  userId: string,
  opts: { requestMade: boolean },
): Promise<void> {
  await refundQuota(db, { userId, aiMessages: REPLY_COST.aiMessages, apiCalls: opts.requestMade ? 0 : 1 });
}

import { sql } from 'drizzle-orm';
import { check, integer, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { id, timestamps, tstz } from './_columns';

export const users = pgTable(
  'users',
  {
    id: id(),
    /** EIP-55 checksummed form: the one canonical spelling of an address. */
    walletAddress: text().notNull(),
    email: text(),
    emailVerifiedAt: tstz(),
    displayName: text(),
    aiMessagesLimit: integer().notNull(),
    aiMessagesUsed: integer().notNull().default(0),
    apiCallsLimit: integer().notNull(),
    apiCallsUsed: integer().notNull().default(0),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('users_wallet_address_key').on(t.walletAddress),
    // A verified address belongs to one user only; unverified claims may collide until verified.
    uniqueIndex('users_verified_email_key')
      .on(sql`lower(${t.email})`)
      .where(sql`${t.emailVerifiedAt} is not null`),
    check('users_ai_messages_used_nonneg', sql`${t.aiMessagesUsed} >= 0`),
    check('users_api_calls_used_nonneg', sql`${t.apiCallsUsed} >= 0`),
    check('users_limits_nonneg', sql`${t.aiMessagesLimit} >= 0 and ${t.apiCallsLimit} >= 0`),
  ],
);

export type User = typeof users.$inferSelect;
export type NewUser = typeof users.$inferInsert;

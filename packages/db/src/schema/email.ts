import { index, integer, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { id, tstz } from './_columns';
import { users } from './users';

/** A pending proof that a user controls an email address. */
export const emailVerifications = pgTable(
  'email_verifications',
  {
    id: id(),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    email: text().notNull(),
    /** SHA-256 (hex) of the code, keyed with the verification id. */
    codeHash: text().notNull(),
    attempts: integer().notNull().default(0),
    createdAt: tstz().notNull().defaultNow(),
    expiresAt: tstz().notNull(),
    consumedAt: tstz(),
  },
  (t) => [index('email_verifications_user_id_created_at_idx').on(t.userId, t.createdAt)],
);

export type EmailVerification = typeof emailVerifications.$inferSelect;

import { sql } from 'drizzle-orm';
import { boolean, check, index, integer, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { id, timestamps } from './_columns';
import { agents } from './agents';
import { users } from './users';

export const chats = pgTable(
  'chats',
  {
    id: id(),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    agentId: uuid().references(() => agents.id, { onDelete: 'set null' }),
    title: text().notNull(),
    /** True once the title was set by the user or generated; a new chat is titled from its first message. */
    titleLocked: boolean().notNull().default(false),
    messageCount: integer().notNull().default(0),
    ...timestamps,
  },
  (t) => [
    // Keyset pagination: most recently updated first, id as the tie-breaker.
    index('chats_user_id_updated_at_id_idx').on(t.userId, t.updatedAt.desc(), t.id.desc()),
    check('chats_message_count_nonneg', sql`${t.messageCount} >= 0`),
  ],
);

export type Chat = typeof chats.$inferSelect;

import { sql } from 'drizzle-orm';
import { type AnyPgColumn, bigint, index, integer, pgEnum, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { id, timestamps, tstz } from './_columns';
import { chats } from './chats';
import { users } from './users';

export const messageRole = pgEnum('message_role', ['USER', 'AI']);
export const messageStatus = pgEnum('message_status', [
  'done',
  'streaming',
  'stopped',
  'error',
  'interrupted',
]);

export const messages = pgTable(
  'messages',
  {
    id: id(),
    /** Insertion order within the platform; the keyset for message pages (stable under equal timestamps). */
    seq: bigint({ mode: 'number' }).generatedAlwaysAsIdentity().notNull(),
    chatId: uuid()
      .notNull()
      .references(() => chats.id, { onDelete: 'cascade' }),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    role: messageRole().notNull(),
    content: text().notNull(),
    status: messageStatus().notNull().default('done'),
    /** For an AI message: the user message it answers (regenerations share it). */
    parentId: uuid().references((): AnyPgColumn => messages.id, { onDelete: 'set null' }),
    agentId: uuid(),
    modelUsed: text(),
    tokensUsed: integer(),
    promptTokens: integer(),
    completionTokens: integer(),
    finishReason: text(),
    errorMessage: text(),
    timeToFirstTokenMs: integer(),
    durationMs: integer(),
    /** Last sign of life from the instance generating this message (status streaming). */
    heartbeatAt: tstz(),
    ...timestamps,
  },
  (t) => [
    index('messages_chat_id_seq_idx').on(t.chatId, t.seq),
    index('messages_parent_id_idx').on(t.parentId),
    index('messages_streaming_heartbeat_idx').on(t.heartbeatAt).where(sql`${t.status} = 'streaming'`),
  ],
);

export type Message = typeof messages.$inferSelect;
export type MessageRole = (typeof messageRole.enumValues)[number];
export type MessageStatus = (typeof messageStatus.enumValues)[number];

import { and, asc, desc, eq, gt, lt, ne, sql } from 'drizzle-orm';
import type { Executor } from '../client';
import type { Chat } from '../schema/chats';
import { type Message, type MessageRole, type MessageStatus, messages } from '../schema/messages';
import { bumpChatForUser, lockChatForUser } from './chats';
import { statement } from './prepared';

export interface NewMessageParams {
  chatId: string;
  /** The chat's owner (also for AI messages): ownership checks read messages.user_id. */
  userId: string;
  role: MessageRole;
  content: string;
  status?: MessageStatus;
  parentId?: string | null;
  agentId?: string | null;
  modelUsed?: string | null;
  heartbeatAt?: Date | null;
}

/** The row for a new message, defaults filled in (an id only when the caller chose one). */
export function messageValues(params: NewMessageParams & { id?: string }) {
  return {
    ...(params.id ? { id: params.id } : {}),
    chatId: params.chatId,
    userId: params.userId,
    role: params.role,
    content: params.content,
    status: params.status ?? 'done',
    parentId: params.parentId ?? null,
    agentId: params.agentId ?? null,
    modelUsed: params.modelUsed ?? null,
    heartbeatAt: params.heartbeatAt ?? null,
  };
}

/**
 * Inserts a message into a chat the user owns, bumping the chat's message_count and updated_at in the same
 * transaction (under the chat's row lock). Returns undefined, writing nothing, when the chat is not the user's.
 */
export async function insertMessage(
  db: Executor,
  params: NewMessageParams,
): Promise<{ message: Message; chat: Chat } | undefined> {
  return db.transaction(async (tx) => {
    const chat = await bumpChatForUser(tx, { chatId: params.chatId, userId: params.userId, messageDelta: 1 });
    if (!chat) return undefined;
    const [message] = await tx.insert(messages).values(messageValues(params)).returning();
    if (!message) throw new Error('insert returned no message');
    return { message, chat };
  });
}

const messageForUser = statement('message_for_user', (db) =>
  db
    .select()
    .from(messages)
    .where(and(eq(messages.id, sql.placeholder('id')), eq(messages.userId, sql.placeholder('userId'))))
    .limit(1),
);

export async function getMessageForUser(
  db: Executor,
  params: { id: string; userId: string },
): Promise<Message | undefined> {
  const [row] = await messageForUser(db, params);
  return row;
}

/** Deletes a message the user owns (whatever its status), decrementing its chat's count; returns whether it existed. */
export async function deleteMessageForUser(
  db: Executor,
  params: { id: string; userId: string },
): Promise<boolean> {
  const r = await removeMessageForUser(db, { ...params, allowStreaming: true });
  return r === 'deleted';
}

/**
 * Deletes a message the user owns. The chat row is locked first (same order as insertMessage), then the
 * message is deleted and the count decremented only if the delete removed a row, so two concurrent deletes
 * of one message cannot decrement twice. A message still being generated (status streaming) is refused
 * unless `allowStreaming`: the generator would otherwise keep writing into a row the user believes gone.
 */
export async function removeMessageForUser(
  db: Executor,
  params: { id: string; userId: string; allowStreaming?: boolean },
): Promise<'deleted' | 'not_found' | 'streaming'> {
  return db.transaction(async (tx) => {
    const target = await getMessageForUser(tx, params);
    if (!target) return 'not_found';
    const chat = await lockChatForUser(tx, { id: target.chatId, userId: params.userId });
    if (!chat) return 'not_found';
    const deleted = await tx
      .delete(messages)
      .where(
        and(
          eq(messages.id, params.id),
          eq(messages.userId, params.userId),
          params.allowStreaming ? undefined : ne(messages.status, 'streaming'),
        ),
      )
      .returning({ id: messages.id });
    if (deleted.length === 0) {
      const still = await getMessageForUser(tx, params);
      return still?.status === 'streaming' ? 'streaming' : 'not_found';
    }
    await bumpChatForUser(tx, { chatId: target.chatId, userId: params.userId, messageDelta: -1 });
    return 'deleted';
  });
}

export type MessageDirection = 'older' | 'newer';

/**
 * One page of a chat's messages by keyset on seq (the (chat_id, seq) index), always returned oldest first.
 * `older`: the `limit` messages just before `cursorSeq` (or the latest ones); `newer`: just after it (or the
 * first ones). seq is taken while the chat row is locked (insertMessage), so within a chat it grows in commit
 * order: a reader paging `newer` while messages are added sees no gap and no duplicate.
 * The caller checks that the chat is the user's.
 */
export async function listMessagesForChat(
  db: Executor,
  params: { chatId: string; limit: number; direction: MessageDirection; cursorSeq?: number },
): Promise<{ messages: Message[]; hasMore: boolean }> {
  const { chatId, limit, direction, cursorSeq } = params;
  const page = messagePages[direction][cursorSeq === undefined ? 'edge' : 'beyond'];
  const rows = await page(db, { chatId, limit: limit + 1, cursorSeq });
  const kept = rows.slice(0, limit);
  if (direction === 'older') kept.reverse();
  return { messages: kept, hasMore: rows.length > limit };
}

/** A page of a chat's messages: from the latest (older) or the first (newer), or beyond a cursor's seq. */
const messagePage = (direction: MessageDirection, cursor: boolean) =>
  statement(`messages_${direction}${cursor ? '_than' : ''}`, (db) => {
    const older = direction === 'older';
    const seq = sql.placeholder('cursorSeq');
    return db
      .select()
      .from(messages)
      .where(
        and(
          eq(messages.chatId, sql.placeholder('chatId')),
          cursor ? (older ? lt(messages.seq, seq) : gt(messages.seq, seq)) : undefined,
        ),
      )
      .orderBy(older ? desc(messages.seq) : asc(messages.seq))
      .limit(sql.placeholder('limit'));
  });
const messagePages = {
  older: { edge: messagePage('older', false), beyond: messagePage('older', true) },
  newer: { edge: messagePage('newer', false), beyond: messagePage('newer', true) },
};

/**
 * Replaces the content of one of the user's own USER messages. AI messages are immutable: they record what a
 * model said. The chat row is locked first (the order every writer uses) and its updated_at moves forward.
 */
export async function updateUserMessageForUser(
  db: Executor,
  params: { id: string; userId: string; content: string },
): Promise<
  { status: 'updated'; message: Message } | { status: 'not_found' } | { status: 'not_user_message' }
> {
  return db.transaction(async (tx) => {
    const target = await getMessageForUser(tx, params);
    if (!target) return { status: 'not_found' as const };
    if (target.role !== 'USER') return { status: 'not_user_message' as const };
    const chat = await bumpChatForUser(tx, { chatId: target.chatId, userId: params.userId, messageDelta: 0 });
    if (!chat) return { status: 'not_found' as const };
    const [row] = await tx
      .update(messages)
      .set({ content: params.content, updatedAt: sql`now()` })
      .where(and(eq(messages.id, params.id), eq(messages.userId, params.userId), eq(messages.role, 'USER')))
      .returning();
    if (!row) return { status: 'not_found' as const };
    return { status: 'updated' as const, message: row };
  });
}

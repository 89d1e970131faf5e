import { and, eq } from 'drizzle-orm';
import type { Executor } from '../client';
import type { Chat } from '../schema/chats';
import { type Message, type MessageRole, type MessageStatus, messages } from '../schema/messages';
import { bumpChatForUser } from './chats';

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
    const [message] = await tx
      .insert(messages)
      .values({
        chatId: params.chatId,
        userId: params.userId,
        role: params.role,
        content: params.content,
        status: params.status ?? 'done',
        parentId: params.parentId ?? null,
        agentId: params.agentId ?? null,
        modelUsed: params.modelUsed ?? null,
        heartbeatAt: params.heartbeatAt ?? null,
      })
      .returning();
    if (!message) throw new Error('insert returned no message');
    return { message, chat };
  });
}

export async function getMessageForUser(
  db: Executor,
  params: { id: string; userId: string },
): Promise<Message | undefined> {
  const [row] = await db
    .select()
    .from(messages)
    .where(and(eq(messages.id, params.id), eq(messages.userId, params.userId)))
    .limit(1);
  return row;
}

/** Deletes a message the user owns, decrementing its chat's count; returns whether it existed. */
export async function deleteMessageForUser(
  db: Executor,
  params: { id: string; userId: string },
): Promise<boolean> {
  return db.transaction(async (tx) => {
    const target = await getMessageForUser(tx, params);
    if (!target) return false;
    // Lock the chat first (same order as insertMessage) so concurrent writers cannot skew the count.
    await bumpChatForUser(tx, { chatId: target.chatId, userId: params.userId, messageDelta: -1 });
    const deleted = await tx
      .delete(messages)
      .where(and(eq(messages.id, params.id), eq(messages.userId, params.userId)))
      .returning({ id: messages.id });
    return deleted.length > 0;
  });
}

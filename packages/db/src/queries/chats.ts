import { and, eq, sql } from 'drizzle-orm';
import type { Executor } from '../client';
import { type Chat, chats } from '../schema/chats';

/** Ownership is part of every lookup: another user's chat is indistinguishable from a missing one. */
export async function getChatForUser(
  db: Executor,
  params: { id: string; userId: string },
): Promise<Chat | undefined> {
  const [row] = await db
    .select()
    .from(chats)
    .where(and(eq(chats.id, params.id), eq(chats.userId, params.userId)))
    .limit(1);
  return row;
}

export async function createChat(
  db: Executor,
  params: { userId: string; title: string; agentId?: string | null; titleLocked?: boolean },
): Promise<Chat> {
  const [row] = await db
    .insert(chats)
    .values({
      userId: params.userId,
      title: params.title,
      agentId: params.agentId ?? null,
      titleLocked: params.titleLocked ?? false,
    })
    .returning();
  if (!row) throw new Error('insert returned no chat');
  return row;
}

/**
 * Takes the chat's row lock and bumps its counters; returns undefined when the chat is missing or not the
 * user's. Every write that adds or removes messages goes through this inside its transaction, so
 * message_count and updated_at stay exact under concurrent writers.
 */
export async function bumpChatForUser(
  db: Executor,
  params: { chatId: string; userId: string; messageDelta: number },
): Promise<Chat | undefined> {
  const [row] = await db
    .update(chats)
    .set({
      messageCount: sql`greatest(${chats.messageCount} + ${params.messageDelta}, 0)`,
      updatedAt: sql`greatest(now(), ${chats.updatedAt} + interval '1 millisecond')`,
    })
    .where(and(eq(chats.id, params.chatId), eq(chats.userId, params.userId)))
    .returning();
  return row;
}

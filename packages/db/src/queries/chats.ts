import { and, eq, sql } from 'drizzle-orm';
import type { Executor } from '../client';
import { type Chat, chats } from '../schema/chats';
import { messages } from '../schema/messages';
import { shareLockAgentForUser } from './agents';
import { statement } from './prepared';

/** Ownership is part of every lookup: another user's chat is indistinguishable from a missing one. */
const chatForUser = statement('chat_for_user', (db) =>
  db
    .select()
    .from(chats)
    .where(and(eq(chats.id, sql.placeholder('id')), eq(chats.userId, sql.placeholder('userId'))))
    .limit(1),
);

export async function getChatForUser(
  db: Executor,
  params: { id: string; userId: string },
): Promise<Chat | undefined> {
  const [row] = await chatForUser(db, params);
  return row;
}

export async function createChat(
  db: Executor,
  params: { userId: string; title: string; agentId?: string | null; titleLocked?: boolean },
): Promise<Chat> {
  const [row] = await insertChat(db, {
    userId: params.userId,
    title: params.title,
    agentId: params.agentId ?? null,
    titleLocked: params.titleLocked ?? false,
  });
  if (!row) throw new Error('insert returned no chat');
  return row;
}

const insertChat = statement('insert_chat', (db) =>
  db
    .insert(chats)
    .values({
      userId: sql.placeholder('userId'),
      title: sql.placeholder('title'),
      agentId: sql.placeholder('agentId'),
      titleLocked: sql.placeholder('titleLocked'),
    })
    .returning(),
);

/**
 * Takes the chat's row lock and bumps its counters; returns undefined when the chat is missing or not the
 * user's. Every write that adds or removes messages goes through this inside its transaction, so
 * message_count and updated_at stay exact under concurrent writers. With `firstTitle` (a send), a chat that
 * had no messages and no chosen title gets it as its generated title, locked so later messages never rename
 * the chat: all in the same one statement.
 */
export async function bumpChatForUser(
  db: Executor,
  params: { chatId: string; userId: string; messageDelta: number; firstTitle?: string },
): Promise<Chat | undefined> {
  const [row] = await (params.firstTitle === undefined ? bumpChat : bumpChatTitled)(db, params);
  return row;
}

const retitle = sql`(not ${chats.titleLocked} and ${chats.messageCount} = 0)`;
const bumpChatQuery = (titled: boolean) => (db: Executor) =>
  db
    .update(chats)
    .set({
      messageCount: sql`greatest(${chats.messageCount} + ${sql.placeholder('messageDelta')}, 0)`,
      updatedAt: sql`greatest(now(), ${chats.updatedAt} + interval '1 millisecond')`,
      ...(titled
        ? {
            title: sql`case when ${retitle} then ${sql.placeholder('firstTitle')}::text else ${chats.title} end`,
            titleLocked: sql`${chats.titleLocked} or ${retitle}`,
          }
        : {}),
    })
    .where(and(eq(chats.id, sql.placeholder('chatId')), eq(chats.userId, sql.placeholder('userId'))))
    .returning();
const bumpChat = statement('bump_chat', bumpChatQuery(false));
const bumpChatTitled = statement('bump_chat_titled', bumpChatQuery(true));

/** Position of a chat in a user's list (most recently updated first, id breaking ties). */
export interface ChatKey {
  updatedAt: Date;
  id: string;
}

/**
 * One page of a user's chats, most recently updated first, strictly after `after` in that order. Keyset
 * pagination on the (user_id, updated_at desc, id desc) index: the cost of a page does not grow with the
 * number of chats or with the depth of the page.
 */
export async function listChatsForUser(
  db: Executor,
  params: { userId: string; limit: number; after?: ChatKey },
): Promise<{ chats: Chat[]; hasMore: boolean }> {
  const { userId, limit, after } = params;
  const rows = await (after
    ? chatsAfter(db, { userId, limit: limit + 1, afterAt: after.updatedAt.toISOString(), afterId: after.id })
    : chatsFirst(db, { userId, limit: limit + 1 }));
  return { chats: rows.slice(0, limit), hasMore: rows.length > limit };
}

/** The first page of a user's chats, and a page after a (updated_at, id) key. */
const chatPage = (after: boolean) => (db: Executor) =>
  db
    .select()
    .from(chats)
    .where(
      and(
        eq(chats.userId, sql.placeholder('userId')),
        after
          ? sql`(${chats.updatedAt}, ${chats.id}) < (${sql.placeholder('afterAt')}::timestamptz, ${sql.placeholder('afterId')}::uuid)`
          : undefined,
      ),
    )
    // NULLS LAST to match the index exactly (drizzle's .desc() builds it DESC NULLS LAST; both columns are
    // NOT NULL, so the order is the same, but only a matching ORDER BY lets PostgreSQL read the index in order
    // instead of sorting every chat of the user).
    .orderBy(sql`${chats.updatedAt} desc nulls last`, sql`${chats.id} desc nulls last`)
    .limit(sql.placeholder('limit'));
const chatsFirst = statement('chats_first', chatPage(false));
const chatsAfter = statement('chats_after', chatPage(true));

/**
 * Creates a chat, bound to `agentId` when given. The agent must be visible to the user; it is share-locked
 * until the insert commits, so a concurrent agent delete cannot leave a dangling reference (or a 500 from
 * the foreign key). Returns undefined, writing nothing, when the agent is not visible.
 */
export async function createChatForUser(
  db: Executor,
  params: { userId: string; title: string; agentId?: string | null; titleLocked?: boolean },
): Promise<Chat | undefined> {
  const agentId = params.agentId ?? null;
  const base = { userId: params.userId, title: params.title, titleLocked: params.titleLocked ?? false };
  if (agentId === null) return createChat(db, base);
  return db.transaction(async (tx) => {
    if (!(await shareLockAgentForUser(tx, { id: agentId, userId: params.userId }))) return undefined;
    return createChat(tx, { ...base, agentId });
  });
}

/** Renames a chat the user owns and locks its title (no automatic titling afterwards). */
export async function updateChatTitleForUser(
  db: Executor,
  params: { id: string; userId: string; title: string },
): Promise<Chat | undefined> {
  const [row] = await db
    .update(chats)
    .set({
      title: params.title,
      titleLocked: true,
      updatedAt: sql`greatest(now(), ${chats.updatedAt} + interval '1 millisecond')`,
    })
    .where(and(eq(chats.id, params.id), eq(chats.userId, params.userId)))
    .returning();
  return row;
}

/**
 * Locks a chat the user owns (FOR UPDATE) inside the caller's transaction; undefined when there is none. Writes
 * that add or remove a chat's messages take this lock first, so they run one at a time per chat.
 */
export async function lockChatForUser(
  tx: Executor,
  params: { id: string; userId: string },
): Promise<{ id: string } | undefined> {
  const [chat] = await tx
    .select({ id: chats.id })
    .from(chats)
    .where(and(eq(chats.id, params.id), eq(chats.userId, params.userId)))
    .for('update')
    .limit(1);
  return chat;
}

/** What deleteChatForUser did: deleted, found nothing, or found replies still being generated (deleted nothing). */
export type ChatDeleteResult =
  | { status: 'deleted' }
  | { status: 'not_found' }
  | { status: 'streaming'; replyIds: string[] };

/**
 * Deletes a chat the user owns; its messages go with it (foreign key cascade). Quota counters live on the
 * user row and are not touched: deleting never gives usage back.
 *
 * Refused (nothing deleted) while a reply in the chat is still being generated: the per-user concurrency cap
 * counts `streaming` rows, so deleting one would free a slot while its generator still holds a provider
 * request. The caller stops those replies and retries (GenerationService.deleteChat). The chat row is locked
 * first, as send and regenerate lock it before inserting a reply, so no reply can start between the check and
 * the delete. A reply whose heartbeat is older than `staleBefore` has no generator (the sweeper's own test, see
 * listStaleStreaming) and does not hold the delete back. `replyIds` lists every streaming reply of the chat.
 */
export async function deleteChatForUser(
  db: Executor,
  params: { id: string; userId: string; staleBefore: Date },
): Promise<ChatDeleteResult> {
  return db.transaction(async (tx) => {
    const chat = await lockChatForUser(tx, params);
    if (!chat) return { status: 'not_found' };
    const streaming = await tx
      .select({ id: messages.id, heartbeatAt: messages.heartbeatAt })
      .from(messages)
      .where(and(eq(messages.chatId, chat.id), eq(messages.status, 'streaming')));
    const running = streaming.some((m) => m.heartbeatAt === null || m.heartbeatAt >= params.staleBefore);
    if (running) return { status: 'streaming', replyIds: streaming.map((m) => m.id) };
    await tx.delete(chats).where(eq(chats.id, chat.id));
    return { status: 'deleted' };
  });
}

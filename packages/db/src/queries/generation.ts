import { randomUUID } from 'node:crypto';
import { and, desc, eq, inArray, lt, lte, sql } from 'drizzle-orm';
import type { Executor } from '../client';
import { type Message, type MessageStatus, messages } from '../schema/messages';
import { messageValues, type NewMessageParams } from './messages';
import { statement, value } from './prepared';

/** Messages of the user still being generated (the per-user concurrency cap counts them). */
export async function countStreamingForUser(db: Executor, params: { userId: string }): Promise<number> {
  const [row] = await streamingForUser(db, params);
  return row?.n ?? 0;
}

const streamingForUser = statement('streaming_for_user', (db) =>
  db
    .select({ n: sql<number>`count(*)::int` })
    .from(messages)
    .where(and(eq(messages.userId, sql.placeholder('userId')), eq(messages.status, 'streaming'))),
);

export async function getMessageById(db: Executor, params: { id: string }): Promise<Message | undefined> {
  const [row] = await db.select().from(messages).where(eq(messages.id, params.id)).limit(1);
  return row;
}

/** The chat's messages up to and including `uptoSeq`, newest first, at most `limit`. */
export async function listHistoryForChat(
  db: Executor,
  params: { chatId: string; uptoSeq: number; limit: number },
): Promise<Message[]> {
  return historyForChat(db, params);
}

const historyForChat = statement('history_for_chat', (db) =>
  db
    .select()
    .from(messages)
    .where(and(eq(messages.chatId, sql.placeholder('chatId')), lte(messages.seq, sql.placeholder('uptoSeq'))))
    .orderBy(desc(messages.seq))
    .limit(sql.placeholder('limit')),
);

export interface FinishedReply {
  id: string;
  status: Exclude<MessageStatus, 'streaming'>;
  content: string;
  modelUsed: string;
  promptTokens: number | null;
  completionTokens: number | null;
  finishReason: string | null;
  errorMessage: string | null;
  timeToFirstTokenMs: number | null;
  durationMs: number | null;
}

/**
 * Writes the end of a reply in one statement, only while the message is still streaming: a reply already
 * ended (say, marked interrupted by a sweeper) is not overwritten. Returns the row when it was written.
 */
export async function finishAssistantMessage(db: Executor, r: FinishedReply): Promise<Message | undefined> {
  const total =
    r.promptTokens === null && r.completionTokens === null
      ? null
      : (r.promptTokens ?? 0) + (r.completionTokens ?? 0);
  const [row] = await finishReply(db, { ...r, tokensUsed: total });
  return row;
}

const finishReply = statement('finish_reply', (db) =>
  db
    .update(messages)
    .set({
      status: value('status'),
      content: value('content'),
      modelUsed: value('modelUsed'),
      promptTokens: value('promptTokens'),
      completionTokens: value('completionTokens'),
      tokensUsed: value('tokensUsed'),
      finishReason: value('finishReason'),
      errorMessage: value('errorMessage'),
      timeToFirstTokenMs: value('timeToFirstTokenMs'),
      durationMs: value('durationMs'),
      heartbeatAt: null,
      updatedAt: sql`now()`,
    })
    .where(and(eq(messages.id, sql.placeholder('id')), eq(messages.status, 'streaming')))
    .returning(),
);

/** One write per interval for all of an instance's running replies. */
export async function touchHeartbeats(db: Executor, params: { ids: string[] }): Promise<void> {
  if (params.ids.length === 0) return;
  await db
    .update(messages)
    .set({ heartbeatAt: sql`now()` })
    .where(and(inArray(messages.id, params.ids), eq(messages.status, 'streaming')));
}

/** Streaming messages whose generator has not been heard from since `before`. */
export async function listStaleStreaming(
  db: Executor,
  params: { before: Date; limit: number },
): Promise<Message[]> {
  return db
    .select()
    .from(messages)
    .where(and(eq(messages.status, 'streaming'), lt(messages.heartbeatAt, params.before)))
    .limit(params.limit);
}

/** Marks a stale reply interrupted with the text that reached the event log; only one caller wins. */
export async function markInterrupted(
  db: Executor,
  params: { id: string; before: Date; content: string; errorMessage: string },
): Promise<Message | undefined> {
  const [row] = await db
    .update(messages)
    .set({
      status: 'interrupted',
      content: params.content,
      errorMessage: params.errorMessage,
      heartbeatAt: null,
      updatedAt: sql`now()`,
    })
    .where(
      and(
        eq(messages.id, params.id),
        eq(messages.status, 'streaming'),
        lt(messages.heartbeatAt, params.before),
      ),
    )
    .returning();
  return row;
}

/**
 * Inserts messages into a chat in one statement, in order (so their seq follows the list). The caller has
 * claimed the chat (bumpChatForUser) in the same transaction. Ids may be given, so a reply can name its
 * parent inserted by the same statement.
 */
export async function insertMessages(
  db: Executor,
  rows: Array<NewMessageParams & { id?: string }>,
): Promise<Message[]> {
  const prepared = rows.length === 1 ? insertOne : rows.length === 2 ? insertTwo : undefined;
  const inserted = prepared
    ? await prepared(db, placeholderValues(rows))
    : await db.insert(messages).values(rows.map(messageValues)).returning();
  return [...inserted].sort((a, b) => a.seq - b.seq);
}

/** Every column messageValues() sets, and the id: a prepared insert has one shape, so each is always bound. */
const NEW_MESSAGE_COLUMNS = [
  'id',
  'chatId',
  'userId',
  'role',
  'content',
  'status',
  'parentId',
  'agentId',
  'modelUsed',
  'heartbeatAt',
] as const satisfies ReadonlyArray<keyof typeof messages.$inferInsert>;

/**
 * The prepared inserts of one message (a regeneration) and of two (a send: the user's message and the reply
 * that answers it). Row i binds `<column><i>`; heartbeatAt goes as text (an ISO string or null), since a bare
 * placeholder would pass null through the column's Date encoder.
 */
const insertRows = (n: number) =>
  statement(`insert_messages_${n}`, (db) =>
    db
      .insert(messages)
      .values(
        Array.from(
          { length: n },
          (_, i) =>
            Object.fromEntries(
              NEW_MESSAGE_COLUMNS.map((c) => [
                c,
                c === 'heartbeatAt' ? value(`${c}${i}`) : sql.placeholder(`${c}${i}`),
              ]),
            ) as unknown as typeof messages.$inferInsert,
        ),
      )
      .returning(),
  );
const insertOne = insertRows(1);
const insertTwo = insertRows(2);

function placeholderValues(rows: Array<NewMessageParams & { id?: string }>): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  rows.forEach((row, i) => {
    // The id the column's default would give (a random UUID), when the caller named none.
    const v = { ...messageValues(row), id: row.id ?? randomUUID() };
    for (const c of NEW_MESSAGE_COLUMNS)
      values[`${c}${i}`] = c === 'heartbeatAt' ? (v.heartbeatAt?.toISOString() ?? null) : v[c];
  });
  return values;
}

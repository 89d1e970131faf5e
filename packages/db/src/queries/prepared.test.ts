import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type DbHandle } from '../client';
import { createAgent } from './agents';
import { bumpChatForUser, createChat, createChatForUser, listChatsForUser } from './chats';
import {
  countStreamingForUser,
  finishAssistantMessage,
  insertMessages,
  listHistoryForChat,
} from './generation';
import { getMessageForUser, listMessagesForChat, messageValues } from './messages';
import { findOrCreateUserByWallet } from './users';

const limits = { aiMessagesLimit: 5, apiCallsLimit: 50 };
// The PostgreSQL half needs the real server (CI sets TEST_DATABASE_URL); PGlite always runs.
const adminUrl = process.env.TEST_DATABASE_URL;

interface Backend {
  handle: DbHandle;
  cleanup(): Promise<void>;
}

async function pglite(): Promise<Backend> {
  const handle = createDb({ kind: 'pglite' });
  await handle.migrate();
  return { handle, cleanup: () => handle.close() };
}

async function postgres(url: string): Promise<Backend> {
  const name = `chatplatform_prep_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`create database "${name}"`);
  const u = new URL(url);
  u.pathname = `/${name}`;
  // One connection: the statements it has prepared can be read back from pg_prepared_statements.
  const handle = createDb({ kind: 'postgres', url: u.toString(), poolSize: 1 });
  await handle.migrate();
  return {
    handle,
    async cleanup() {
      await handle.close();
      await admin.query(`drop database if exists "${name}" with (force)`);
      await admin.end();
    },
  };
}

const backends: Array<[string, () => Promise<Backend>]> = [['PGlite', pglite]];
if (adminUrl) backends.push(['PostgreSQL', () => postgres(adminUrl)]);

describe.each(backends)('statements prepared once per handle, on %s', (name, open) => {
  let backend: Backend;
  let userId: string;
  let otherUserId: string;
  let chatId: string;

  beforeAll(async () => {
    backend = await open();
    const { db } = backend.handle;
    userId = (await findOrCreateUserByWallet(db, { walletAddress: `0x${name}a`, limits })).user.id;
    otherUserId = (await findOrCreateUserByWallet(db, { walletAddress: `0x${name}b`, limits })).user.id;
    chatId = (await createChat(db, { userId, title: 'prepared' })).id;
  });
  afterAll(() => backend.cleanup());

  it('binds new values on every call and keeps ownership in the statement', async () => {
    const { db } = backend.handle;
    const [first, second] = await insertMessages(db, [
      messageValues({ chatId, userId, role: 'USER', content: 'one' }),
      messageValues({ chatId, userId, role: 'USER', content: 'two' }),
    ]);
    if (!first || !second) throw new Error('insert returned no rows');
    expect((await getMessageForUser(db, { id: first.id, userId }))?.content).toBe('one');
    expect((await getMessageForUser(db, { id: second.id, userId }))?.content).toBe('two');
    expect(await getMessageForUser(db, { id: second.id, userId: otherUserId })).toBeUndefined();
    expect(await getMessageForUser(db, { id: randomUUID(), userId })).toBeUndefined();
    const history = await listHistoryForChat(db, { chatId, uptoSeq: first.seq, limit: 10 });
    expect(history.map((m) => m.content)).toEqual(['one']);
    // PostgreSQL holds each named statement once on the handle's one connection, however often it ran.
    if (name === 'PostgreSQL') {
      const { rows } = (await backend.handle.pool?.query<{ name: string }>(
        `select name from pg_prepared_statements order by name`,
      )) ?? { rows: [] };
      expect(rows).toEqual([
        { name: 'history_for_chat' },
        { name: 'insert_chat' },
        { name: 'insert_messages_2' },
        { name: 'message_for_user' },
      ]);
    }
  });

  it('runs on the transaction inside one: it sees the transaction`s own rows, the handle does not', async () => {
    const { db } = backend.handle;
    const id = randomUUID();
    await db.transaction(async (tx) => {
      await insertMessages(tx, [messageValues({ id, chatId, userId, role: 'USER', content: 'uncommitted' })]);
      expect((await getMessageForUser(tx, { id, userId }))?.content).toBe('uncommitted');
      // PGlite has one connection, so a read outside the transaction would wait for it: PostgreSQL only.
      if (name === 'PostgreSQL') {
        const outside = createDb({
          kind: 'postgres',
          url: backend.handle.pool?.options.connectionString ?? '',
        });
        try {
          expect(await getMessageForUser(outside.db, { id, userId })).toBeUndefined();
        } finally {
          await outside.close();
        }
      }
    });
    expect((await getMessageForUser(db, { id, userId }))?.content).toBe('uncommitted');
  });

  it('writes every value of a finished reply, once, and only while it is streaming', async () => {
    const { db } = backend.handle;
    const heartbeatAt = new Date(Date.UTC(2026, 10, 24, 12, 0, 0, 123));
    const [reply] = await insertMessages(db, [
      messageValues({
        chatId,
        userId,
        role: 'AI',
        content: '',
        status: 'streaming',
        modelUsed: 'm',
        heartbeatAt,
      }),
    ]);
    if (!reply) throw new Error('insert returned no row');
    expect(reply.heartbeatAt).toEqual(heartbeatAt);
    const finished = {
      id: reply.id,
      status: 'done' as const,
      content: 'the whole reply',
      modelUsed: 'local/demo',
      promptTokens: 7,
      completionTokens: 5,
      finishReason: 'stop',
      errorMessage: null,
      timeToFirstTokenMs: 12,
      durationMs: 340,
    };
    expect(await finishAssistantMessage(db, finished)).toMatchObject({
      ...finished,
      tokensUsed: 12,
      heartbeatAt: null,
    });
    expect(await finishAssistantMessage(db, { ...finished, content: 'overwritten' })).toBeUndefined();
    expect((await getMessageForUser(db, { id: reply.id, userId }))?.content).toBe('the whole reply');
  });

  it('serves a transaction from its connection`s statements, also after one that rolled back', async () => {
    const { db } = backend.handle;
    const id = randomUUID();
    await expect(
      db.transaction(async (tx) => {
        await insertMessages(tx, [
          messageValues({ id, chatId, userId, role: 'AI', content: '', status: 'streaming' }),
        ]);
        // First run of this statement on the connection: PostgreSQL parses it inside this transaction.
        expect(await countStreamingForUser(tx, { userId })).toBe(1);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await getMessageForUser(db, { id, userId })).toBeUndefined();
    const after = await db.transaction(async (tx) => ({
      streaming: await countStreamingForUser(tx, { userId }),
      chat: await bumpChatForUser(tx, { chatId, userId, messageDelta: 0 }),
    }));
    expect(after.streaming).toBe(0);
    expect(after.chat?.id).toBe(chatId);
    if (name === 'PostgreSQL') {
      const { rows } = (await backend.handle.pool?.query<{ name: string }>(
        `select name from pg_prepared_statements where name in ('streaming_for_user', 'bump_chat') order by name`,
      )) ?? { rows: [] };
      expect(rows).toEqual([{ name: 'bump_chat' }, { name: 'streaming_for_user' }]);
    }
  });

  it('pages bind their limit and cursor anew, and a chat takes its agent inside the transaction', async () => {
    const { db } = backend.handle;
    const { id: pagedUser } = (await findOrCreateUserByWallet(db, { walletAddress: `0x${name}c`, limits }))
      .user;
    const agent = await createAgent(db, {
      ownerId: pagedUser,
      name: 'mine',
      description: '',
      systemPrompt: 'be brief',
      model: 'local/demo',
      temperature: 0.5,
      maxOutputTokens: 64,
    });
    // Another user's agent is refused by the same statement, with nothing written.
    expect(
      await createChatForUser(db, { userId: otherUserId, title: 'no', agentId: agent.id }),
    ).toBeUndefined();
    const titles = ['c1', 'c2', 'c3', 'c4', 'c5'];
    for (const title of titles) await createChatForUser(db, { userId: pagedUser, title, agentId: agent.id });
    const first = await listChatsForUser(db, { userId: pagedUser, limit: 2 });
    expect(first.chats.map((c) => c.title)).toEqual(['c5', 'c4']);
    expect(first.hasMore).toBe(true);
    const last = first.chats.at(-1);
    if (!last) throw new Error('no chats');
    const rest = await listChatsForUser(db, { userId: pagedUser, limit: 10, after: last });
    expect(rest.chats.map((c) => c.title)).toEqual(['c3', 'c2', 'c1']);
    expect(rest.hasMore).toBe(false);
    expect(rest.chats.every((c) => c.agentId === agent.id)).toBe(true);
    expect((await listChatsForUser(db, { userId: otherUserId, limit: 10 })).chats).toEqual([]);

    const chat = first.chats[0];
    if (!chat) throw new Error('no chat');
    await insertMessages(
      db,
      ['m1', 'm2', 'm3', 'm4'].map((content) =>
        messageValues({ chatId: chat.id, userId: pagedUser, role: 'USER', content }),
      ),
    );
    const page = async (direction: 'older' | 'newer', limit: number, cursorSeq?: number) => {
      const r = await listMessagesForChat(db, { chatId: chat.id, limit, direction, cursorSeq });
      return [r.messages.map((m) => m.content), r.hasMore];
    };
    const all = await listMessagesForChat(db, { chatId: chat.id, limit: 10, direction: 'newer' });
    const seqOf = (content: string) => all.messages.find((m) => m.content === content)?.seq;
    expect(await page('older', 2)).toEqual([['m3', 'm4'], true]);
    expect(await page('older', 5, seqOf('m3'))).toEqual([['m1', 'm2'], false]);
    expect(await page('newer', 3)).toEqual([['m1', 'm2', 'm3'], true]);
    expect(await page('newer', 3, seqOf('m2'))).toEqual([['m3', 'm4'], false]);
    if (name === 'PostgreSQL') {
      const { rows } = (await backend.handle.pool?.query<{ name: string }>(
        `select name from pg_prepared_statements where name like 'chats_%' or name like 'messages_%' or name = 'agent_lock_for_user' order by name`,
      )) ?? { rows: [] };
      expect(rows.map((r) => r.name)).toEqual([
        'agent_lock_for_user',
        'chats_after',
        'chats_first',
        'messages_newer',
        'messages_newer_than',
        'messages_older',
        'messages_older_than',
      ]);
    }
  });
});

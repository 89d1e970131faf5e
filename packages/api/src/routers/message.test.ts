import { randomUUID } from 'node:crypto';
import { insertMessage } from '@chatplatform/db/queries';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness, type SignedIn } from '../../test/harness';
import { failure } from '../../test/trpc-error';

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ config: { messages: { maxContentLength: 100 } } });
});
afterAll(async () => h?.cleanup());

async function chatWith(u: SignedIn, n: number) {
  const chat = await u.caller.chat.create();
  const ids: string[] = [];
  for (let i = 0; i < n; i++)
    ids.push((await u.caller.message.create({ chatId: chat.id, content: `m${i}` })).id);
  return { chat, ids };
}

describe('message: create and read', () => {
  it('stores a user message with every field of the seed and room for the agents’ fields', async () => {
    const a = await h.signIn();
    const chat = await a.caller.chat.create();
    const m = await a.caller.message.create({ chatId: chat.id, content: 'Hello there' });
    expect(m).toMatchObject({
      chatId: chat.id,
      userId: a.userId,
      role: 'USER',
      content: 'Hello there',
      status: 'done',
      parentId: null,
      modelUsed: null,
      tokensUsed: null,
      promptTokens: null,
      completionTokens: null,
      finishReason: null,
      errorMessage: null,
      timeToFirstTokenMs: null,
      durationMs: null,
    });
    expect(await a.caller.message.byId({ id: m.id })).toEqual(m);
  });

  it('caps content at the configured length (BAD_REQUEST on content) and writes nothing', async () => {
    const a = await h.signIn();
    const chat = await a.caller.chat.create();
    await a.caller.message.create({ chatId: chat.id, content: 'x'.repeat(100) });
    const f = await failure(a.caller.message.create({ chatId: chat.id, content: 'x'.repeat(101) }));
    expect(f.code).toBe('BAD_REQUEST');
    expect(f.fields).toEqual(['content']);
    expect(f.message).toMatch(/at most 100 characters[\s\S]*content/);
    expect((await a.caller.chat.byId({ id: chat.id })).messageCount).toBe(1);
  });

  it.each([
    ['empty content', ''],
    ['blank content', '  \n\t '],
    ['a NUL character', 'a\u0000b'],
    ['a lone surrogate', 'a\uD800b'],
  ])('refuses %s with BAD_REQUEST on content', async (_what, content) => {
    const a = await h.signIn();
    const chat = await a.caller.chat.create();
    const f = await failure(a.caller.message.create({ chatId: chat.id, content }));
    expect(f.code).toBe('BAD_REQUEST');
    expect(f.fields).toContain('content');
    expect((await a.caller.chat.byId({ id: chat.id })).messageCount).toBe(0);
  });

  it('keeps multi-line text, emoji and tabs as written', async () => {
    const a = await h.signIn();
    const chat = await a.caller.chat.create();
    const content = 'line one\n\tline two 👋🏽 — ünïcödé';
    expect((await a.caller.message.create({ chatId: chat.id, content })).content).toBe(content);
  });

  it('chatFull returns the chat and its latest page; recent returns the last messages oldest first', async () => {
    const a = await h.signIn();
    const { chat, ids } = await chatWith(a, 7);
    const full = await a.caller.message.chatFull({ chatId: chat.id, limit: 5 });
    expect(full.chat).toMatchObject({ id: chat.id, messageCount: 7 });
    expect(full.messages.items.map((m) => m.id)).toEqual(ids.slice(2));
    expect(full.messages.hasMore).toBe(true);
    const recent = await a.caller.message.recent({ chatId: chat.id, limit: 3 });
    expect(recent.map((m) => m.id)).toEqual(ids.slice(4));
  });
});

describe('message: keyset pagination', () => {
  it('pages older from the end and newer from the start, each page oldest first, covering every message once', async () => {
    const a = await h.signIn();
    const { chat, ids } = await chatWith(a, 12);
    const older: string[][] = [];
    let cursor: string | undefined;
    for (;;) {
      const p = await a.caller.message.listByChat({ chatId: chat.id, limit: 5, cursor });
      older.push(p.items.map((m) => m.id));
      cursor = p.nextCursor ?? undefined;
      if (!p.hasMore) break;
    }
    expect(older).toEqual([ids.slice(7), ids.slice(2, 7), ids.slice(0, 2)]);

    const newer: string[] = [];
    cursor = undefined;
    for (;;) {
      const p = await a.caller.message.listByChat({ chatId: chat.id, limit: 5, cursor, direction: 'newer' });
      newer.push(...p.items.map((m) => m.id));
      cursor = p.nextCursor ?? undefined;
      if (!p.hasMore) break;
    }
    expect(newer).toEqual(ids);
    // The cursor of the last page still works: it is where a live reader resumes.
    await a.caller.message.create({ chatId: chat.id, content: 'later' });
    const next = await a.caller.message.listByChat({ chatId: chat.id, cursor, direction: 'newer' });
    expect(next.items.map((m) => m.content)).toEqual(['later']);
  });

  it('has no duplicate and no gap when messages arrive while a reader pages newer', async () => {
    const a = await h.signIn();
    const { chat } = await chatWith(a, 5);
    const writers = Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        a.caller.message.create({ chatId: chat.id, content: `live ${i}` }),
      ),
    );
    const seen: string[] = [];
    let cursor: string | undefined;
    let done = false;
    void writers.then(() => {
      done = true;
    });
    // Follow the chat forward, resuming from each page's nextCursor, until a page read after the writers
    // finished says there is no more.
    for (let guard = 0; guard < 1000; guard++) {
      const finished = done;
      const p = await a.caller.message.listByChat({ chatId: chat.id, limit: 3, cursor, direction: 'newer' });
      seen.push(...p.items.map((m) => m.id));
      cursor = p.nextCursor ?? cursor;
      if (finished && !p.hasMore) break;
    }
    await writers;
    const all = await a.caller.message.listByChat({ chatId: chat.id, limit: 100, direction: 'newer' });
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(all.items.map((m) => m.id));
  });

  it.each([
    ['a garbage cursor', { cursor: 'not a cursor!' }, 'cursor'],
    [
      'a chat cursor',
      {
        cursor: Buffer.from(`{"k":"c","u":"2030-01-01T00:00:00Z","i":"${randomUUID()}"}`).toString(
          'base64url',
        ),
      },
      'cursor',
    ],
    ['a negative seq', { cursor: Buffer.from('{"k":"m","s":-1}').toString('base64url') }, 'cursor'],
    ['an unknown direction', { direction: 'sideways' }, 'direction'],
    ['limit 1000', { limit: 1000 }, 'limit'],
    ['a string limit', { limit: 'ten' }, 'limit'],
    ['an invalid chat id', { chatId: 'abc' }, 'chatId'],
  ])('refuses %s with BAD_REQUEST naming the field', async (_what, patch, field) => {
    const a = await h.signIn();
    const chat = await a.caller.chat.create();
    const f = await failure(a.caller.message.listByChat({ chatId: chat.id, ...patch } as never));
    expect(f.code).toBe('BAD_REQUEST');
    expect(f.fields).toContain(field);
  });
});

describe('message: edit and delete', () => {
  it('edits the author’s own USER message and moves the chat’s updated_at forward', async () => {
    const a = await h.signIn();
    const { chat, ids } = await chatWith(a, 1);
    const before = await a.caller.chat.byId({ id: chat.id });
    const id = ids[0] ?? '';
    const m = await a.caller.message.update({ id, content: 'edited' });
    expect(m.content).toBe('edited');
    expect((await a.caller.message.byId({ id })).content).toBe('edited');
    const after = await a.caller.chat.byId({ id: chat.id });
    expect(after.messageCount).toBe(1);
    expect(Date.parse(after.updatedAt)).toBeGreaterThan(Date.parse(before.updatedAt));
  });

  it('refuses to edit an AI message (FORBIDDEN, AI_MESSAGE_IMMUTABLE) and leaves it as it was', async () => {
    const a = await h.signIn();
    const chat = await a.caller.chat.create();
    const r = await insertMessage(h.db, {
      chatId: chat.id,
      userId: a.userId,
      role: 'AI',
      content: 'I am the model',
    });
    if (!r) throw new Error('no AI message');
    const f = await failure(a.caller.message.update({ id: r.message.id, content: 'rewritten' }));
    expect(f).toMatchObject({ code: 'FORBIDDEN', reason: 'AI_MESSAGE_IMMUTABLE' });
    expect((await a.caller.message.byId({ id: r.message.id })).content).toBe('I am the model');
  });

  it('refuses to delete a reply that is still streaming (CONFLICT) and deletes it once it has ended', async () => {
    const a = await h.signIn();
    const chat = await a.caller.chat.create();
    const r = await insertMessage(h.db, {
      chatId: chat.id,
      userId: a.userId,
      role: 'AI',
      content: 'partial',
      status: 'streaming',
    });
    if (!r) throw new Error('no AI message');
    const f = await failure(a.caller.message.delete({ id: r.message.id }));
    expect(f).toMatchObject({ code: 'CONFLICT', reason: 'MESSAGE_STREAMING' });
    expect((await a.caller.chat.byId({ id: chat.id })).messageCount).toBe(1);
    const { messages, eq } = await import('@chatplatform/db');
    await h.db.update(messages).set({ status: 'stopped' }).where(eq(messages.id, r.message.id));
    expect(await a.caller.message.delete({ id: r.message.id })).toEqual({ success: true, id: r.message.id });
    expect((await a.caller.chat.byId({ id: chat.id })).messageCount).toBe(0);
  });

  it('deletes a message, decrements the count once, and a second delete is NOT_FOUND', async () => {
    const a = await h.signIn();
    const { chat, ids } = await chatWith(a, 3);
    const id = ids[1] ?? '';
    await a.caller.message.delete({ id });
    expect((await failure(a.caller.message.delete({ id }))).code).toBe('NOT_FOUND');
    expect((await a.caller.chat.byId({ id: chat.id })).messageCount).toBe(2);
    const rest = await a.caller.message.listByChat({ chatId: chat.id });
    expect(rest.items.map((m) => m.id)).toEqual([ids[0], ids[2]]);
  });

  it('posting to a missing chat is NOT_FOUND and writes nothing', async () => {
    const a = await h.signIn();
    const f = await failure(a.caller.message.create({ chatId: randomUUID(), content: 'hi' }));
    expect(f.code).toBe('NOT_FOUND');
  });
});

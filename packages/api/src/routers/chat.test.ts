import { randomUUID } from 'node:crypto';
import { agents, chats, eq, users } from '@chatplatform/db';
import { insertMessage } from '@chatplatform/db/queries';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../../test/harness';
import { failure } from '../../test/trpc-error';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => h?.cleanup());

describe('chat: create, read, rename, delete', () => {
  it('creates a chat with the default title, unlocked, owned by the caller, bound to no agent', async () => {
    const a = await h.signIn();
    const chat = await a.caller.chat.create();
    expect(chat).toMatchObject({ title: 'New chat', titleLocked: false, agentId: null, messageCount: 0 });
    expect(await a.caller.chat.byId({ id: chat.id })).toEqual(chat);
  });

  it('keeps a title given at creation and locks it', async () => {
    const a = await h.signIn();
    const chat = await a.caller.chat.create({ title: '  Trip to Lisbon  ' });
    expect(chat).toMatchObject({ title: 'Trip to Lisbon', titleLocked: true });
  });

  it('binds a chat to a platform agent or the caller’s own agent; another user’s agent is NOT_FOUND', async () => {
    const a = await h.signIn();
    const b = await h.signIn();
    const [platform] = await h.db
      .insert(agents)
      .values({ name: 'Platform', model: 'local/demo', slug: `p-${randomUUID()}` })
      .returning();
    const [own] = await h.db
      .insert(agents)
      .values({ name: 'Mine', model: 'local/demo', ownerId: a.userId })
      .returning();
    const [theirs] = await h.db
      .insert(agents)
      .values({ name: 'Theirs', model: 'local/demo', ownerId: b.userId })
      .returning();
    if (!platform || !own || !theirs) throw new Error('agents not inserted');
    expect((await a.caller.chat.create({ agentId: platform.id })).agentId).toBe(platform.id);
    expect((await a.caller.chat.create({ agentId: own.id })).agentId).toBe(own.id);
    const before = (await a.caller.chat.list({ limit: 100 })).items.length;
    const f = await failure(a.caller.chat.create({ agentId: theirs.id }));
    const g = await failure(a.caller.chat.create({ agentId: randomUUID() }));
    expect(f.code).toBe('NOT_FOUND');
    expect({ ...f, error: undefined }).toEqual({ ...g, error: undefined });
    expect((await a.caller.chat.list({ limit: 100 })).items.length).toBe(before);
  });

  it('renames a chat, locks its title and moves it to the top of the list', async () => {
    const a = await h.signIn();
    const first = await a.caller.chat.create();
    const second = await a.caller.chat.create();
    const renamed = await a.caller.chat.update({ id: first.id, title: 'Groceries' });
    expect(renamed).toMatchObject({ id: first.id, title: 'Groceries', titleLocked: true });
    expect(Date.parse(renamed.updatedAt)).toBeGreaterThan(Date.parse(first.updatedAt));
    const list = await a.caller.chat.list();
    expect(list.items.map((c) => c.id)).toEqual([first.id, second.id]);
  });

  it('deletes a chat with its messages and gives no quota back', async () => {
    const a = await h.signIn();
    const chat = await a.caller.chat.create();
    const m = await a.caller.message.create({ chatId: chat.id, content: 'hello' });
    await h.db.update(users).set({ aiMessagesUsed: 3 }).where(eq(users.id, a.userId));
    expect(await a.caller.chat.delete({ id: chat.id })).toEqual({ success: true, id: chat.id });
    expect((await failure(a.caller.chat.byId({ id: chat.id }))).code).toBe('NOT_FOUND');
    expect((await failure(a.caller.message.byId({ id: m.id }))).code).toBe('NOT_FOUND');
    expect((await failure(a.caller.chat.delete({ id: chat.id }))).code).toBe('NOT_FOUND');
    expect((await a.caller.user.limits()).aiMessages.used).toBe(3);
  });
});

describe('chat: keyset pagination', () => {
  it('walks every chat exactly once, most recently updated first, across pages', async () => {
    const a = await h.signIn();
    const created: string[] = [];
    for (let i = 0; i < 23; i++) created.push((await a.caller.chat.create({ title: `chat ${i}` })).id);
    const seen: { id: string; updatedAt: string }[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await a.caller.chat.list({ limit: 5, cursor });
      seen.push(...page.items.map((c) => ({ id: c.id, updatedAt: c.updatedAt })));
      cursor = page.nextCursor ?? undefined;
      pages++;
    } while (cursor);
    expect(pages).toBe(5);
    // Every chat exactly once, in (updated_at desc, id desc) order: chats created in the same millisecond
    // (fast embedded runs) tie on updated_at and are ordered by id, not by creation.
    expect(seen.map((c) => c.id).sort()).toEqual([...created].sort());
    const expected = [...seen].sort((x, y) =>
      x.updatedAt === y.updatedAt ? (x.id < y.id ? 1 : -1) : x.updatedAt < y.updatedAt ? 1 : -1,
    );
    expect(seen).toEqual(expected);
  });

  it('orders chats with equal updated_at by id, with no duplicate or gap between pages', async () => {
    const a = await h.signIn();
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push((await a.caller.chat.create()).id);
    const same = new Date('2030-01-01T00:00:00.000Z');
    await h.db.update(chats).set({ updatedAt: same }).where(eq(chats.userId, a.userId));
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await a.caller.chat.list({ limit: 2, cursor });
      seen.push(...page.items.map((c) => c.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual([...ids].sort().reverse());
  });

  it('recent returns the most recently updated chats, a chat with a new message first', async () => {
    const a = await h.signIn();
    const one = await a.caller.chat.create();
    await a.caller.chat.create();
    await a.caller.chat.create();
    await a.caller.message.create({ chatId: one.id, content: 'bump' });
    const recent = await a.caller.chat.recent({ limit: 2 });
    expect(recent).toHaveLength(2);
    expect(recent[0]?.id).toBe(one.id);
    expect(recent[0]?.messageCount).toBe(1);
  });

  it.each([
    ['a cursor that is not base64url', { cursor: '***' }, 'cursor'],
    ['a message cursor', { cursor: Buffer.from('{"k":"m","s":1}').toString('base64url') }, 'cursor'],
    [
      'a cursor with a bad date',
      { cursor: Buffer.from('{"k":"c","u":"x","i":"y"}').toString('base64url') },
      'cursor',
    ],
    ['limit 0', { limit: 0 }, 'limit'],
    ['limit 101', { limit: 101 }, 'limit'],
    ['a negative limit', { limit: -5 }, 'limit'],
    ['a fractional limit', { limit: 2.5 }, 'limit'],
    ['an unknown field', { offset: 10 }, ''],
  ])('refuses %s with BAD_REQUEST naming the field', async (_what, input, field) => {
    const a = await h.signIn();
    const f = await failure(a.caller.chat.list(input as never));
    expect(f.code).toBe('BAD_REQUEST');
    expect(f.fields).toContain(field);
  });
});

describe('chat: counters stay exact under concurrent writers', () => {
  it('50 parallel message.create into one chat give message_count 50 and 50 messages', async () => {
    const a = await h.signIn();
    const chat = await a.caller.chat.create();
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => a.caller.message.create({ chatId: chat.id, content: `m${i}` })),
    );
    const after = await a.caller.chat.byId({ id: chat.id });
    expect(after.messageCount).toBe(50);
    const all = await a.caller.message.listByChat({ chatId: chat.id, limit: 100 });
    expect(all.items).toHaveLength(50);
    expect(new Set(all.items.map((m) => m.id))).toEqual(new Set(results.map((m) => m.id)));
    // updated_at moved forward with every write and is not older than the newest message.
    const newest = Math.max(...results.map((m) => Date.parse(m.createdAt)));
    expect(Date.parse(after.updatedAt)).toBeGreaterThanOrEqual(newest);
  });

  it('parallel creates and deletes (each message deleted twice at once) leave the count equal to the rows', async () => {
    const a = await h.signIn();
    const chat = await a.caller.chat.create();
    const made = await Promise.all(
      Array.from({ length: 20 }, (_, i) => a.caller.message.create({ chatId: chat.id, content: `x${i}` })),
    );
    const toDelete = made.slice(0, 10);
    const outcomes = await Promise.allSettled([
      ...toDelete.flatMap((m) => [
        a.caller.message.delete({ id: m.id }),
        a.caller.message.delete({ id: m.id }),
      ]),
      ...Array.from({ length: 10 }, (_, i) => a.caller.message.create({ chatId: chat.id, content: `y${i}` })),
    ]);
    const deletesOk = outcomes.slice(0, 20).filter((o) => o.status === 'fulfilled').length;
    expect(deletesOk).toBe(10);
    const after = await a.caller.chat.byId({ id: chat.id });
    const rows = await a.caller.message.listByChat({ chatId: chat.id, limit: 100 });
    expect(rows.items).toHaveLength(20);
    expect(after.messageCount).toBe(20);
  });

  it('counts AI messages inserted by the generation layer too', async () => {
    const a = await h.signIn();
    const chat = await a.caller.chat.create();
    await insertMessage(h.db, {
      chatId: chat.id,
      userId: a.userId,
      role: 'AI',
      content: 'hi',
      status: 'done',
    });
    expect((await a.caller.chat.byId({ id: chat.id })).messageCount).toBe(1);
  });
});

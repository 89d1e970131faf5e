import { randomUUID } from 'node:crypto';
import { insertMessage } from '@chatplatform/db/queries';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness, type SignedIn } from '../../test/harness';
import { snapshotUser } from '../../test/snapshot';
import { failure } from '../../test/trpc-error';

let h: Harness;
let a: SignedIn;
let b: SignedIn;
const ids = { chat: '', userMessage: '', aiMessage: '' };

beforeAll(async () => {
  h = await createHarness();
  a = await h.signIn();
  b = await h.signIn();
  const chat = await a.caller.chat.create({ title: 'A private chat' });
  const m = await a.caller.message.create({ chatId: chat.id, content: 'A private message' });
  const ai = await insertMessage(h.db, {
    chatId: chat.id,
    userId: a.userId,
    role: 'AI',
    content: 'A private reply',
    parentId: m.id,
  });
  ids.chat = chat.id;
  ids.userMessage = m.id;
  ids.aiMessage = ai?.message.id ?? '';
  // B has data of its own, so "not found" cannot be explained by B having nothing.
  const own = await b.caller.chat.create();
  await b.caller.message.create({ chatId: own.id, content: 'mine' });
});
afterAll(async () => h?.cleanup());

type Call = (u: SignedIn, id: string) => Promise<unknown>;

/** Every procedure that takes a chat or message id, with the kind of id it takes. */
const matrix: [string, 'chat' | 'userMessage' | 'aiMessage', Call][] = [
  ['chat.byId', 'chat', (u, id) => u.caller.chat.byId({ id })],
  ['chat.update', 'chat', (u, id) => u.caller.chat.update({ id, title: 'hijacked' })],
  ['chat.delete', 'chat', (u, id) => u.caller.chat.delete({ id })],
  ['message.create', 'chat', (u, id) => u.caller.message.create({ chatId: id, content: 'injected' })],
  ['message.listByChat', 'chat', (u, id) => u.caller.message.listByChat({ chatId: id })],
  ['message.chatFull', 'chat', (u, id) => u.caller.message.chatFull({ chatId: id })],
  ['message.recent', 'chat', (u, id) => u.caller.message.recent({ chatId: id })],
  ['message.byId (user message)', 'userMessage', (u, id) => u.caller.message.byId({ id })],
  ['message.byId (AI message)', 'aiMessage', (u, id) => u.caller.message.byId({ id })],
  ['message.update (user message)', 'userMessage', (u, id) => u.caller.message.update({ id, content: 'x' })],
  ['message.update (AI message)', 'aiMessage', (u, id) => u.caller.message.update({ id, content: 'x' })],
  ['message.delete (user message)', 'userMessage', (u, id) => u.caller.message.delete({ id })],
  ['message.delete (AI message)', 'aiMessage', (u, id) => u.caller.message.delete({ id })],
];

describe('ownership matrix (tRPC): another user’s chat or message is NOT_FOUND, exactly like a missing one', () => {
  it.each(matrix)('%s', async (_name, kind, call) => {
    const before = await snapshotUser(h, a.userId);
    const theirs = await failure(call(b, ids[kind]));
    const missing = await failure(call(b, randomUUID()));
    expect(theirs.code).toBe('NOT_FOUND');
    const shape = (f: typeof theirs) => ({
      code: f.code,
      reason: f.reason,
      message: f.message,
      fields: f.fields,
    });
    expect(shape(theirs)).toEqual(shape(missing));
    expect(await snapshotUser(h, a.userId)).toEqual(before);
  });

  it('the owner still reaches every one of them afterwards: the refusals were about B, not the resources', async () => {
    expect((await a.caller.chat.byId({ id: ids.chat })).messageCount).toBe(2);
    expect((await a.caller.message.listByChat({ chatId: ids.chat })).items.map((m) => m.id)).toEqual([
      ids.userMessage,
      ids.aiMessage,
    ]);
    expect((await a.caller.message.byId({ id: ids.aiMessage })).content).toBe('A private reply');
  });
});

import { randomUUID } from 'node:crypto';
import { insertMessage } from '@chatplatform/db/queries';
import { TRPCError } from '@trpc/server';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import { createHarness, type Harness, type SignedIn } from '../../test/harness';
import { snapshotUser } from '../../test/snapshot';
import { encodeChatCursor, encodeMessageCursor } from '../schemas/cursor';

/**
 * Property: whatever input reaches a procedure, the answer is a typed error or a success, never
 * INTERNAL_SERVER_ERROR, and nothing of another user's changes. The attacker B holds real ids of the
 * victim A among the generated values.
 */
let h: Harness;
let a: SignedIn;
let b: SignedIn;
let victimIds: string[] = [];
let ownIds: string[] = [];

beforeAll(async () => {
  h = await createHarness();
  a = await h.signIn();
  b = await h.signIn();
  await a.caller.user.updateProfile({ displayName: 'Victim' });
  const chat = await a.caller.chat.create({ title: 'victim chat' });
  const m = await a.caller.message.create({ chatId: chat.id, content: 'victim message' });
  const ai = await insertMessage(h.db, { chatId: chat.id, userId: a.userId, role: 'AI', content: 'reply' });
  const streaming = await insertMessage(h.db, {
    chatId: chat.id,
    userId: a.userId,
    role: 'AI',
    content: 'partial',
    status: 'streaming',
  });
  const agent = await a.caller.agent.create({ name: 'victim agent', systemPrompt: 'secret' });
  victimIds = [chat.id, m.id, ai?.message.id ?? '', streaming?.message.id ?? '', agent.id];
  const own = await b.caller.chat.create();
  const mine = await b.caller.message.create({ chatId: own.id, content: 'mine' });
  const ownAgent = await b.caller.agent.create({ name: 'mine' });
  ownIds = [own.id, mine.id, ownAgent.id];
});
afterAll(async () => h?.cleanup());

const text = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }),
  fc.constantFrom('', ' ', '\u0000', '\uD800', 'a'.repeat(20_000), '0x', '{}', 'null'),
);
const number = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -1, 1, 100, 101, Number.MAX_SAFE_INTEGER, Number.NaN, Number.POSITIVE_INFINITY),
  fc.bigInt().map(String),
);
const ids = () =>
  fc.constantFrom(...victimIds, ...ownIds, randomUUID(), '00000000-0000-0000-0000-000000000000');
const cursors = () =>
  fc.oneof(
    text,
    fc.constantFrom(
      encodeChatCursor({ updatedAt: new Date(), id: randomUUID() }),
      encodeMessageCursor(0),
      encodeMessageCursor(Number.MAX_SAFE_INTEGER),
      Buffer.from('{"k":"c","u":"0000-01-01T00:00:00Z","i":"00000000-0000-0000-0000-000000000000"}').toString(
        'base64url',
      ),
      Buffer.from('{"k":"m","s":1e308}').toString('base64url'),
    ),
  );
const value = () => fc.oneof(ids(), text, number, fc.boolean(), fc.constant(null), fc.anything());

/** A record over the procedure's own field names (any may be missing or of the wrong type) or anything at all. */
function inputs(fields: Record<string, fc.Arbitrary<unknown>>) {
  const typed = fc.record(
    Object.fromEntries(
      Object.entries(fields).map(([k, v]) => [k, fc.oneof({ weight: 3, arbitrary: v }, value())]),
    ),
    { requiredKeys: [] },
  );
  return fc.oneof(
    { weight: 6, arbitrary: typed },
    { weight: 1, arbitrary: fc.tuple(typed, fc.string(), value()).map(([r, k, v]) => ({ ...r, [k]: v })) },
    { weight: 1, arbitrary: fc.anything() },
    { weight: 1, arbitrary: fc.constantFrom(undefined, null, [], 'x', 0) },
  );
}

/** An agent's fields: any text (NUL and lone surrogates included), models on and off the allow list. */
const agentFields = () => ({
  name: text,
  description: text,
  systemPrompt: text,
  model: fc.oneof(text, fc.constantFrom('local/demo', 'openai/gpt-unknown')),
  temperature: fc.oneof(number, fc.constantFrom(1e-50, 5e-324, 1e-7, 0.5)),
  maxOutputTokens: number,
});

type Proc = (u: SignedIn, input: unknown) => Promise<unknown>;
/** name, generated inputs, the call, and one valid input (so every body is reached at least once). */
const procedures: [string, () => fc.Arbitrary<unknown>, Proc, () => unknown][] = [
  ['user.profile', () => inputs({}), (u, i) => u.caller.user.profile(i as never), () => undefined],
  ['user.limits', () => inputs({}), (u, i) => u.caller.user.limits(i as never), () => undefined],
  [
    'user.updateProfile',
    () => inputs({ displayName: text }),
    (u, i) => u.caller.user.updateProfile(i as never),
    () => ({ displayName: 'Mallory' }),
  ],
  [
    'user.byWallet',
    () => inputs({ address: fc.oneof(text, fc.constant(a.wallet.address.toLowerCase())) }),
    (u, i) => u.caller.user.byWallet(i as never),
    () => ({ address: a.wallet.address }),
  ],
  [
    'auth.addEmail',
    () =>
      inputs({
        email: fc.oneof(
          fc.stringMatching(/^[a-z0-9][a-z0-9._+-]{0,15}@[a-z0-9]{1,10}\.[a-z]{2,5}$/),
          fc.emailAddress(),
          text,
        ),
      }),
    (u, i) => u.caller.auth.addEmail(i as never),
    () => ({ email: 'mallory@example.test' }),
  ],
  [
    'auth.verifyEmail',
    () => inputs({ code: fc.oneof(fc.stringMatching(/^\d{6}$/), text) }),
    (u, i) => u.caller.auth.verifyEmail(i as never),
    () => ({ code: '123456' }),
  ],
  [
    'chat.create',
    () => inputs({ title: text, agentId: ids() }),
    (u, i) => u.caller.chat.create(i as never),
    () => ({}),
  ],
  [
    'chat.list',
    () => inputs({ cursor: cursors(), limit: number }),
    (u, i) => u.caller.chat.list(i as never),
    () => ({ limit: 5 }),
  ],
  ['chat.recent', () => inputs({ limit: number }), (u, i) => u.caller.chat.recent(i as never), () => ({})],
  [
    'chat.byId',
    () => inputs({ id: ids() }),
    (u, i) => u.caller.chat.byId(i as never),
    () => ({ id: ownIds[0] }),
  ],
  [
    'chat.update',
    () => inputs({ id: ids(), title: text }),
    (u, i) => u.caller.chat.update(i as never),
    () => ({ id: ownIds[0], title: 'renamed' }),
  ],
  [
    'chat.delete',
    () => inputs({ id: ids() }),
    (u, i) => u.caller.chat.delete(i as never),
    () => ({ id: randomUUID() }),
  ],
  [
    'message.create',
    () => inputs({ chatId: ids(), content: text }),
    (u, i) => u.caller.message.create(i as never),
    () => ({ chatId: ownIds[0], content: 'hello' }),
  ],
  [
    'message.listByChat',
    () =>
      inputs({
        chatId: ids(),
        cursor: cursors(),
        limit: number,
        direction: fc.constantFrom('older', 'newer', 'up', ''),
      }),
    (u, i) => u.caller.message.listByChat(i as never),
    () => ({ chatId: ownIds[0], direction: 'newer' }),
  ],
  [
    'message.chatFull',
    () => inputs({ chatId: ids(), limit: number }),
    (u, i) => u.caller.message.chatFull(i as never),
    () => ({ chatId: ownIds[0] }),
  ],
  [
    'message.recent',
    () => inputs({ chatId: ids(), limit: number }),
    (u, i) => u.caller.message.recent(i as never),
    () => ({ chatId: ownIds[0], limit: 3 }),
  ],
  [
    'message.byId',
    () => inputs({ id: ids() }),
    (u, i) => u.caller.message.byId(i as never),
    () => ({ id: ownIds[1] }),
  ],
  [
    'message.update',
    () => inputs({ id: ids(), content: text }),
    (u, i) => u.caller.message.update(i as never),
    () => ({ id: ownIds[1], content: 'edited' }),
  ],
  [
    'message.delete',
    () => inputs({ id: ids() }),
    (u, i) => u.caller.message.delete(i as never),
    () => ({ id: randomUUID() }),
  ],
  ['agent.list', () => inputs({}), (u, i) => u.caller.agent.list(i as never), () => undefined],
  [
    'agent.byId',
    () => inputs({ id: ids() }),
    (u, i) => u.caller.agent.byId(i as never),
    () => ({ id: ownIds[2] }),
  ],
  [
    'agent.create',
    () => inputs(agentFields()),
    (u, i) => u.caller.agent.create(i as never),
    () => ({ name: 'Helper', description: 'd', systemPrompt: 'Be brief.' }),
  ],
  [
    'agent.update',
    () => inputs({ id: ids(), ...agentFields() }),
    (u, i) => u.caller.agent.update(i as never),
    () => ({ id: ownIds[2], description: 'changed' }),
  ],
  [
    'agent.delete',
    () => inputs({ id: ids() }),
    (u, i) => u.caller.agent.delete(i as never),
    () => ({ id: randomUUID() }),
  ],
];

describe('generated inputs at every procedure: never a 500, never a change to another user’s data', () => {
  it.each(procedures)('%s', async (_name, arbitrary, call, valid) => {
    const before = await snapshotUser(h, a.userId);
    let pastValidation = 0;
    await fc.assert(
      fc.asyncProperty(arbitrary(), async (input) => {
        try {
          await call(b, input);
          pastValidation++;
        } catch (err) {
          expect(err).toBeInstanceOf(TRPCError);
          expect((err as TRPCError).code).not.toBe('INTERNAL_SERVER_ERROR');
          if (!(err instanceof TRPCError && err.cause instanceof ZodError)) pastValidation++;
        }
      }),
      { numRuns: 60, examples: [[valid()]] },
    );
    // Inputs did reach the procedure body, not only the input schema.
    expect(pastValidation).toBeGreaterThan(0);
    expect(await snapshotUser(h, a.userId)).toEqual(before);
  });
});

describe('agent fields that PostgreSQL cannot store as given', () => {
  it.each([
    ['a NUL in the system prompt', { systemPrompt: 'a\u0000b' }, /systemPrompt/],
    ['a lone surrogate in the description', { description: 'a\uD800b' }, /description/],
    ['a control character in the description', { description: 'bell\u0007' }, /description/],
  ])('refuses %s with BAD_REQUEST naming the field, and stores nothing', async (_name, fields, field) => {
    const before = await snapshotUser(h, b.userId);
    const create = b.caller.agent.create({ name: 'x', ...fields });
    await expect(create).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(field),
    });
    const update = b.caller.agent.update({ id: ownIds[2] ?? '', ...fields });
    await expect(update).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(field),
    });
    expect(await snapshotUser(h, b.userId)).toEqual(before);
  });

  it.each([1e-50, 5e-324, 0.0009])(
    'refuses the temperature %s, which a PostgreSQL real cannot hold as given',
    async (temperature) => {
      const create = b.caller.agent.create({ name: 'x', temperature });
      await expect(create).rejects.toMatchObject({
        code: 'BAD_REQUEST',
        message: expect.stringMatching(/temperature/),
      });
      const update = b.caller.agent.update({ id: ownIds[2] ?? '', temperature });
      await expect(update).rejects.toMatchObject({
        code: 'BAD_REQUEST',
        message: expect.stringMatching(/temperature/),
      });
      const zero = await b.caller.agent.create({ name: 'cold', temperature: 0 });
      expect(zero.temperature).toBe(0);
      await b.caller.agent.delete({ id: zero.id });
    },
  );

  it('keeps tabs and newlines, and trims the description', async () => {
    const agent = await b.caller.agent.create({
      name: 'multi-line',
      description: '  two\tparts  ',
      systemPrompt: 'line one\nline two\r\n',
    });
    expect(agent.description).toBe('two\tparts');
    expect(agent.systemPrompt).toBe('line one\nline two\r\n');
    await b.caller.agent.delete({ id: agent.id });
  });
});

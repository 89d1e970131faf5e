import { getUserById, setUserLimits } from '@chatplatform/db/queries';
import { type FakeOpenAI, startFakeOpenAI } from '@chatplatform/testing/fake-openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAdmin } from '../src/admin';
import { type Client, clientFor, streamReply, until } from './ai-client';
import { closingIn, startServer, type TestServer } from './harness';

let server: TestServer;
let fake: FakeOpenAI;

beforeAll(async () => {
  fake = await startFakeOpenAI({ reply: 'short reply', interTokenDelayMs: 1 });
  fake.setBehavior('slow', { reply: 'a b c d e f g h i j k l m n o p', interTokenDelayMs: 150 });
  fake.setBehavior('hang', { reply: 'never finished', failure: 'hangMidStream', failAfterTokens: 1 });
  server = await startServer({
    env: {
      AI_BASE_URL: fake.baseURL,
      AI_MODELS: 'fast,slow,hang',
      AI_DEFAULT_MODEL: 'openai/fast',
      AI_MAX_CONCURRENT_PER_USER: '100',
      DATABASE_POOL_SIZE: '20',
    },
  });
});
afterAll(async () => {
  await server?.close();
  await fake?.close();
});

const db = () => server.app.resources.services.db;

const data = (err: unknown) =>
  (err as { data?: { code?: string; reason?: string; details?: Record<string, unknown> } }).data;

async function user(): Promise<{ client: Client; userId: string; wallet: string }> {
  const s = await server.signIn();
  return { client: clientFor(server.url, s.accessToken), userId: s.user.id, wallet: s.wallet.address };
}

describe('quota: reserved atomically, never overspent', () => {
  it('50 parallel sends with 10 AI messages remaining give exactly 10 replies; the rest are refused with nothing written', async () => {
    const { client, userId } = await user();
    await setUserLimits(db(), { userId, aiMessagesLimit: 10 });
    const chat = await client.chat.create.mutate({});
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) =>
        client.message.send.mutate({ chatId: chat.id, content: `message ${i}` }),
      ),
    );
    const ok = results.filter((r) => r.status === 'fulfilled');
    const refused = results.flatMap((r) => (r.status === 'rejected' ? [data(r.reason)] : []));
    expect(ok).toHaveLength(10);
    expect(refused).toHaveLength(40);
    for (const d of refused)
      expect(d).toMatchObject({
        code: 'TOO_MANY_REQUESTS',
        reason: 'QUOTA_EXCEEDED',
        details: { limit: 'ai_messages', used: 10, max: 10 },
      });
    const u = await getUserById(db(), { id: userId });
    expect(u?.aiMessagesUsed).toBe(10);
    expect(u?.apiCallsUsed).toBe(10);
    expect((await client.chat.byId.query({ id: chat.id })).messageCount).toBe(20);
    // Let the 10 replies finish before the file ends.
    for (const r of ok) {
      if (r.status === 'fulfilled') await streamReply(client, r.value.assistantMessage.id);
    }
  });

  it('an exhausted api_calls limit refuses the send naming api_calls, and writes nothing', async () => {
    const { client, userId } = await user();
    await setUserLimits(db(), { userId, apiCallsLimit: 0 });
    const chat = await client.chat.create.mutate({});
    const err = await client.message.send.mutate({ chatId: chat.id, content: 'hi' }).catch((e) => e);
    expect(data(err)).toMatchObject({
      code: 'TOO_MANY_REQUESTS',
      reason: 'QUOTA_EXCEEDED',
      details: { limit: 'api_calls', used: 0, max: 0 },
    });
    expect((await client.chat.byId.query({ id: chat.id })).messageCount).toBe(0);
    expect((await client.chat.byId.query({ id: chat.id })).title).toBe(chat.title);
    const u = await getUserById(db(), { id: userId });
    expect(u).toMatchObject({ aiMessagesUsed: 0, apiCallsUsed: 0 });
  });

  it('regenerate is refused the same way when the quota is spent', async () => {
    const { client, userId } = await user();
    await setUserLimits(db(), { userId, aiMessagesLimit: 1 });
    const chat = await client.chat.create.mutate({});
    const sent = await client.message.send.mutate({ chatId: chat.id, content: 'only one' });
    await streamReply(client, sent.assistantMessage.id);
    const err = await client.message.regenerate
      .mutate({ messageId: sent.assistantMessage.id })
      .catch((e) => e);
    expect(data(err)).toMatchObject({ reason: 'QUOTA_EXCEEDED', details: { limit: 'ai_messages' } });
    expect((await client.chat.byId.query({ id: chat.id })).messageCount).toBe(2);
  });

  it('deleting chats and messages gives no quota back', async () => {
    const { client } = await user();
    const chat = await client.chat.create.mutate({});
    const sent = await client.message.send.mutate({ chatId: chat.id, content: 'to be deleted' });
    await streamReply(client, sent.assistantMessage.id);
    const before = await client.user.limits.query();
    await client.message.delete.mutate({ id: sent.assistantMessage.id });
    await client.chat.delete.mutate({ id: chat.id });
    expect(await client.user.limits.query()).toEqual(before);
    expect(before.aiMessages.used).toBe(1);
  });

  it('caps concurrent generations per user: the next send is refused until one ends, and writes nothing', async () => {
    const cfg = server.config.api.ai;
    const previous = cfg.maxConcurrentPerUser;
    cfg.maxConcurrentPerUser = 2; // the running config object is shared with the services
    try {
      const { client } = await user();
      const agent = await client.agent.create.mutate({ name: 'slow', model: 'openai/slow' });
      const chat = await client.chat.create.mutate({ agentId: agent.id });
      const a = await client.message.send.mutate({ chatId: chat.id, content: 'one' });
      await client.message.send.mutate({ chatId: chat.id, content: 'two' });
      const before = await client.user.limits.query();
      const err = await client.message.send.mutate({ chatId: chat.id, content: 'three' }).catch((e) => e);
      expect(data(err)).toMatchObject({
        code: 'TOO_MANY_REQUESTS',
        reason: 'CONCURRENCY_LIMIT',
        details: { max: 2 },
      });
      expect(await client.user.limits.query()).toEqual(before);
      expect((await client.chat.byId.query({ id: chat.id })).messageCount).toBe(4);
      await client.message.stop.mutate({ messageId: a.assistantMessage.id });
      await until(
        async () => (await client.message.byId.query({ id: a.assistantMessage.id })).status === 'stopped',
      );
      const third = await client.message.send.mutate({ chatId: chat.id, content: 'three' });
      expect(third.assistantMessage.status).toBe('streaming');
    } finally {
      cfg.maxConcurrentPerUser = previous;
    }
  });

  it('deleting a chat mid-reply stops the reply before it returns: the cap is never bypassed', async () => {
    const cfg = server.config.api.ai;
    const previous = cfg.maxConcurrentPerUser;
    cfg.maxConcurrentPerUser = 1;
    const runner = server.app.resources.services.generation.runner;
    try {
      const { client } = await user();
      // Sends one token, then holds the provider request open until the client aborts it.
      const agent = await client.agent.create.mutate({ name: 'hangs', model: 'openai/hang' });
      const other = await client.chat.create.mutate({});
      for (let i = 0; i < 3; i++) {
        const chat = await client.chat.create.mutate({ agentId: agent.id });
        const sent = await client.message.send.mutate({ chatId: chat.id, content: `round ${i}` });
        const refused = await client.message.send.mutate({ chatId: other.id, content: 'no' }).catch((e) => e);
        expect(data(refused)).toMatchObject({ code: 'TOO_MANY_REQUESTS', reason: 'CONCURRENCY_LIMIT' });
        const ticks = await streamReply(client, sent.assistantMessage.id, { cutAfterDeltas: 1 });
        expect(ticks.text.length).toBeGreaterThan(0);
        await client.chat.delete.mutate({ id: chat.id });
        // The delete stopped the reply (message.stop's path): it does not run on, orphaned, holding the request.
        expect(await closingIn(server, sent.assistantMessage.id)).toBe('stopped');
        await until(async () => !runner.isRunning(sent.assistantMessage.id));
        await expect(client.message.byId.query({ id: sent.assistantMessage.id })).rejects.toMatchObject({
          data: { code: 'NOT_FOUND' },
        });
      }
      // Three replies were reserved and none given back; the one slot is free again.
      expect((await client.user.limits.query()).aiMessages.used).toBe(3);
      const ok = await client.message.send.mutate({ chatId: other.id, content: 'now' });
      expect((await streamReply(client, ok.assistantMessage.id)).closing?.type).toBe('done');
    } finally {
      cfg.maxConcurrentPerUser = previous;
    }
  });
});

describe('admin CLI (pnpm admin)', () => {
  function run(args: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    return runAdmin(args, { db: db(), out: (l) => out.push(l), err: (l) => err.push(l) }).then((code) => ({
      code,
      out: out.join('\n'),
      err: err.join('\n'),
    }));
  }

  it('shows a user by wallet address in any case, sets limits and resets usage', async () => {
    const { client, userId, wallet } = await user();
    const chat = await client.chat.create.mutate({});
    const sent = await client.message.send.mutate({ chatId: chat.id, content: 'count me' });
    await streamReply(client, sent.assistantMessage.id);

    const shown = await run(['show', wallet.toLowerCase()]);
    expect(shown.code).toBe(0);
    expect(shown.out).toContain(userId);
    expect(shown.out).toMatch(/ai messages 1 used of 100/);

    const set = await run(['set-limits', userId, '--ai-messages', '5', '--api-calls', '7']);
    expect(set.code).toBe(0);
    expect(await client.user.limits.query()).toMatchObject({
      aiMessages: { limit: 5, used: 1 },
      apiCalls: { limit: 7, used: 1 },
    });

    const reset = await run(['reset-usage', wallet, '--ai-messages']);
    expect(reset.code).toBe(0);
    expect(await client.user.limits.query()).toMatchObject({
      aiMessages: { used: 0 },
      apiCalls: { used: 1 },
    });
    await run(['reset-usage', wallet]);
    expect(await client.user.limits.query()).toMatchObject({
      aiMessages: { used: 0 },
      apiCalls: { used: 0 },
    });
  });

  it('refuses bad usage with exit code 64 and an unknown user with 1, changing nothing', async () => {
    const { client, userId } = await user();
    const before = await client.user.limits.query();
    expect((await run([])).code).toBe(64);
    expect((await run(['frobnicate', userId])).code).toBe(64);
    expect((await run(['set-limits', userId])).code).toBe(64);
    expect((await run(['set-limits', userId, '--ai-messages', '-3'])).code).toBe(64);
    expect((await run(['set-limits', userId, '--ai-messages', 'lots'])).code).toBe(64);
    const missing = await run(['show', '0x0000000000000000000000000000000000000001']);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/no user/);
    expect(await client.user.limits.query()).toEqual(before);
  });

  it('checks every argument before touching the database: range, user form, stray options', async () => {
    const { client, userId, wallet } = await user();
    const before = await client.user.limits.query();
    const cases: Array<[string[], RegExp]> = [
      [['set-limits', userId, '--ai-messages', '2147483648'], /from 0 to 2147483647/],
      [['set-limits', userId, '--api-calls', '9007199254740991'], /from 0 to 2147483647/],
      [['set-limits', 'nobody', '--ai-messages', 'abc'], /neither a wallet address .* nor a user id/],
      [['show', '--help'], /name a user/],
      [['show', wallet, 'extra'], /show takes no "extra"/],
      [['reset-usage', wallet, '--ai-messages', '5'], /reset-usage takes no "5"/],
      [['set-limits', wallet, '--ai-messages', '5', '--everything'], /takes no "--everything"/],
    ];
    for (const [args, message] of cases) {
      const r = await run(args);
      expect(r.code, args.join(' ')).toBe(64);
      expect(r.err, args.join(' ')).toMatch(message);
    }
    expect(await client.user.limits.query()).toEqual(before);
    const max = await run(['set-limits', wallet, '--ai-messages', '2147483647']);
    expect(max.code).toBe(0);
    expect((await client.user.limits.query()).aiMessages.limit).toBe(2147483647);
  });
});

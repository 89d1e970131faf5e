import { demoReply } from '@chatplatform/api';
import { type FakeOpenAI, startFakeOpenAI, tokensOf } from '@chatplatform/testing/fake-openai';
import { TRPCClientError } from '@trpc/client';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Client, clientFor, streamReply, until } from './ai-client';
import { readMetric, startServer, type TestServer } from './harness';

const LONG = Array.from({ length: 60 }, (_, i) => `word${i}`).join(' ');

let server: TestServer;
let fake: FakeOpenAI;

beforeAll(async () => {
  fake = await startFakeOpenAI({
    reply: 'The quick brown fox jumps over the lazy dog.',
    interTokenDelayMs: 1,
  });
  fake.setBehavior('slow', { reply: LONG, interTokenDelayMs: 40 });
  fake.setBehavior('many', { reply: LONG, interTokenDelayMs: 2 });
  fake.setBehavior('glacial', { reply: LONG, interTokenDelayMs: 100 });
  fake.setBehavior('sleepy', { reply: 'Worth the wait.', firstTokenDelayMs: 4000, interTokenDelayMs: 1 });
  server = await startServer({
    env: {
      AI_BASE_URL: fake.baseURL,
      AI_API_KEY: 'sk-test-key',
      AI_MODELS: 'fast,slow,many,glacial,sleepy',
      AI_DEFAULT_MODEL: 'openai/fast',
      AI_DEMO_WORD_DELAY_MS: '1',
      AI_COALESCE_MS: '30',
      AI_MAX_CONCURRENT_PER_USER: '10',
    },
  });
});
afterAll(async () => {
  await server?.close();
  await fake?.close();
});

async function user(): Promise<{ client: Client; userId: string }> {
  const s = await server.signIn();
  return { client: clientFor(server.url, s.accessToken), userId: s.user.id };
}

async function agentChat(client: Client, model: string, systemPrompt = 'Be brief.') {
  const agent = await client.agent.create.mutate({ name: `agent ${model}`, model, systemPrompt });
  return client.chat.create.mutate({ agentId: agent.id });
}

const reason = (err: unknown) => (err as { data?: { reason?: string; code?: string } }).data;

describe('message.send + message.stream', () => {
  it('returns both messages at once, streams deltas whose concatenation is the stored reply, records the run', async () => {
    const { client } = await user();
    const chat = await client.chat.create.mutate({});
    const sent = await client.message.send.mutate({ chatId: chat.id, content: 'Tell me about foxes' });
    expect(sent.userMessage.role).toBe('USER');
    expect(sent.userMessage.content).toBe('Tell me about foxes');
    expect(sent.assistantMessage).toMatchObject({
      role: 'AI',
      status: 'streaming',
      parentId: sent.userMessage.id,
    });

    const r = await streamReply(client, sent.assistantMessage.id);
    expect(r.closing?.type).toBe('done');
    expect(r.text).toBe('The quick brown fox jumps over the lazy dog.');
    const stored = await client.message.byId.query({ id: sent.assistantMessage.id });
    expect(stored.content).toBe(r.text);
    expect(stored).toMatchObject({ status: 'done', modelUsed: 'openai/fast', finishReason: 'stop' });
    expect(stored.completionTokens).toBe(tokensOf(r.text).length);
    expect(stored.promptTokens).toBeGreaterThan(0);
    expect(stored.tokensUsed).toBe((stored.promptTokens ?? 0) + (stored.completionTokens ?? 0));
    expect(stored.timeToFirstTokenMs).not.toBeNull();
    expect(stored.durationMs).not.toBeNull();
    expect(r.closing).toMatchObject({
      type: 'done',
      model: 'openai/fast',
      usage: { totalTokens: stored.tokensUsed },
    });
  });

  it('sends the system prompt and the history to the model, with the API key, never the client’s URL', async () => {
    const { client } = await user();
    const chat = await agentChat(client, 'openai/fast', 'You are a pirate.');
    const first = await client.message.send.mutate({ chatId: chat.id, content: 'first question' });
    await streamReply(client, first.assistantMessage.id);
    const before = fake.requests.length;
    const second = await client.message.send.mutate({ chatId: chat.id, content: 'second question' });
    await streamReply(client, second.assistantMessage.id);
    const req = fake.requests
      .slice(before)
      .find((r) => JSON.stringify(r.messages).includes('second question'));
    expect(req?.authorization).toBe('Bearer sk-test-key');
    expect(req?.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
    expect(req?.messages[0]?.content).toBe('You are a pirate.');
    expect(req?.messages[2]?.content).toBe('The quick brown fox jumps over the lazy dog.');
  });

  it('coalesces deltas: fewer events than tokens, same text', async () => {
    const { client } = await user();
    const chat = await agentChat(client, 'openai/many');
    const sent = await client.message.send.mutate({ chatId: chat.id, content: 'count' });
    const r = await streamReply(client, sent.assistantMessage.id);
    const deltas = r.events.filter((e) => e.event.type === 'delta').length;
    expect(r.text).toBe(LONG);
    expect(deltas).toBeLessThan(tokensOf(LONG).length);
  });

  it('replays a finished reply from the start, and from lastEventId with no duplicate and no gap', async () => {
    const { client } = await user();
    const chat = await agentChat(client, 'openai/many');
    const sent = await client.message.send.mutate({ chatId: chat.id, content: 'replay me' });
    const live = await streamReply(client, sent.assistantMessage.id);
    const replay = await streamReply(client, sent.assistantMessage.id);
    expect(replay.events).toEqual(live.events);
    const cutAt = Math.floor(live.events.length / 2);
    const lastSeen = live.events[cutAt - 1];
    const rest = await streamReply(client, sent.assistantMessage.id, { lastEventId: lastSeen?.id });
    expect([...live.events.slice(0, cutAt), ...rest.events]).toEqual(live.events);
  });

  it('resumes a live reply after a cut connection: the client’s text equals the stored text', async () => {
    const { client } = await user();
    const chat = await agentChat(client, 'openai/slow');
    const sent = await client.message.send.mutate({ chatId: chat.id, content: 'go slowly' });
    const part1 = await streamReply(client, sent.assistantMessage.id, { cutAfterDeltas: 2 });
    expect(part1.error).toBeUndefined();
    expect(part1.cut).toBe(true);
    const part2 = await streamReply(client, sent.assistantMessage.id, {
      lastEventId: part1.events.at(-1)?.id,
    });
    expect(part2.closing?.type).toBe('done');
    const stored = await client.message.byId.query({ id: sent.assistantMessage.id });
    expect(part1.text + part2.text).toBe(stored.content);
    expect(stored.content).toBe(LONG);
  });

  it('keeps generating when nobody listens, and stores the reply', async () => {
    const { client } = await user();
    const chat = await agentChat(client, 'openai/many');
    const sent = await client.message.send.mutate({ chatId: chat.id, content: 'no subscriber' });
    const stored = await until(async () => {
      const m = await client.message.byId.query({ id: sent.assistantMessage.id });
      return m.status !== 'streaming' && m;
    });
    expect(stored).toMatchObject({ status: 'done', content: LONG });
  });

  it('titles a new chat from its first message and leaves a titled chat alone', async () => {
    const { client } = await user();
    const chat = await client.chat.create.mutate({});
    await client.message.send.mutate({
      chatId: chat.id,
      content: 'How do I bake sourdough bread at home without a starter kit?\nMore details here',
    });
    const titled = await client.chat.byId.query({ id: chat.id });
    expect(titled.title).toBe('How do I bake sourdough bread at home…');
    const named = await client.chat.create.mutate({ title: 'My own title' });
    await client.message.send.mutate({ chatId: named.id, content: 'something else entirely' });
    expect((await client.chat.byId.query({ id: named.id })).title).toBe('My own title');
  });

  it('streams the built-in offline model local/demo word by word', async () => {
    const { client } = await user();
    const chat = await agentChat(client, 'local/demo');
    const sent = await client.message.send.mutate({ chatId: chat.id, content: 'hi demo' });
    const r = await streamReply(client, sent.assistantMessage.id);
    expect(r.text).toBe(demoReply('hi demo'));
    const stored = await client.message.byId.query({ id: sent.assistantMessage.id });
    expect(stored).toMatchObject({ status: 'done', modelUsed: 'local/demo', content: r.text });
  });
});

describe('message.stop and message.regenerate', () => {
  it('stop keeps the partial text with status stopped, and the subscriber gets the stopped event', async () => {
    const { client } = await user();
    const chat = await agentChat(client, 'openai/slow');
    const sent = await client.message.send.mutate({ chatId: chat.id, content: 'long answer please' });
    let stopped: Promise<unknown> | undefined;
    const r = await streamReply(client, sent.assistantMessage.id, {
      onDelta: (n) => {
        if (n === 2) stopped = client.message.stop.mutate({ messageId: sent.assistantMessage.id });
      },
    });
    await stopped;
    expect(r.closing?.type).toBe('stopped');
    const stored = await client.message.byId.query({ id: sent.assistantMessage.id });
    expect(stored.status).toBe('stopped');
    expect(stored.content).toBe(r.text);
    expect(r.text.length).toBeGreaterThan(0);
    expect(LONG.startsWith(r.text)).toBe(true);
    expect(r.text.length).toBeLessThan(LONG.length);
    // Stopping an ended reply changes nothing.
    expect(await client.message.stop.mutate({ messageId: sent.assistantMessage.id })).toMatchObject({
      status: 'stopped',
    });
  });

  it('regenerate makes a new reply to the same user message beside the old one and consumes quota', async () => {
    const { client } = await user();
    const chat = await client.chat.create.mutate({});
    const sent = await client.message.send.mutate({ chatId: chat.id, content: 'answer twice' });
    await streamReply(client, sent.assistantMessage.id);
    const before = await client.user.limits.query();
    const again = await client.message.regenerate.mutate({ messageId: sent.assistantMessage.id });
    expect(again.assistantMessage.parentId).toBe(sent.userMessage.id);
    expect(again.assistantMessage.id).not.toBe(sent.assistantMessage.id);
    const r = await streamReply(client, again.assistantMessage.id);
    expect(r.closing?.type).toBe('done');
    const after = await client.user.limits.query();
    expect(after.aiMessages.used).toBe(before.aiMessages.used + 1);
    expect(after.apiCalls.used).toBe(before.apiCalls.used + 1);
    const old = await client.message.byId.query({ id: sent.assistantMessage.id });
    expect(old.status).toBe('done');
    const page = await client.message.listByChat.query({ chatId: chat.id });
    expect(page.items.filter((m) => m.parentId === sent.userMessage.id)).toHaveLength(2);
  });

  it('sends and regenerations racing on one chat never deadlock, and the chat counts every message', async () => {
    const { client } = await user();
    const chat = await agentChat(client, 'openai/slow');
    const first = await client.message.send.mutate({ chatId: chat.id, content: 'first' });
    await client.message.stop.mutate({ messageId: first.assistantMessage.id });
    await until(
      async () => (await client.message.byId.query({ id: first.assistantMessage.id })).status !== 'streaming',
    );
    // Both lock the chat, then the user: 12 at once against a cap of 10 running replies.
    const results = await Promise.allSettled(
      Array.from({ length: 12 }, (_, i) =>
        i % 2 === 0
          ? client.message.send.mutate({ chatId: chat.id, content: `race ${i}` })
          : client.message.regenerate.mutate({ messageId: first.userMessage.id }),
      ),
    );
    const refused = results.filter((r) => r.status === 'rejected');
    for (const r of refused) expect(reason(r.reason)?.reason).toBe('CONCURRENCY_LIMIT');
    expect(results.length - refused.length).toBeGreaterThan(0);
    const running = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value.assistantMessage.id] : []));
    await Promise.all(running.map((id) => client.message.stop.mutate({ messageId: id })));
    const page = await client.message.listByChat.query({ chatId: chat.id, limit: 100 });
    const now = await client.chat.byId.query({ id: chat.id });
    expect(now.messageCount).toBe(page.items.length);
  });
});

const metric = (series: string) => readMetric(server.url, series);

describe('/metrics for replies', () => {
  it('counts the provider deltas read, the replies by how they ended and their time to first token', async () => {
    const { client } = await user();
    // Earlier tests' replies have all ended: this test's two are the only ones running below.
    await until(async () => (await metric('ai_generations_running')) === 0);
    const before = {
      deltas: await metric('ai_provider_deltas_total'),
      done: await metric('ai_replies_total{status="done"}'),
      stopped: await metric('ai_replies_total{status="stopped"}'),
      ttft: await metric('ai_time_to_first_token_seconds_count'),
    };
    const chat = await client.chat.create.mutate({});
    const sent = await client.message.send.mutate({ chatId: chat.id, content: 'count me' });
    const r = await streamReply(client, sent.assistantMessage.id);
    expect(r.closing?.type).toBe('done');

    const slow = await agentChat(client, 'openai/slow');
    const long = await client.message.send.mutate({ chatId: slow.id, content: 'then stop me' });
    await until(
      async () => (await metric('ai_provider_deltas_total')) > before.deltas + tokensOf(r.text).length,
    );
    expect(await metric('ai_generations_running')).toBe(1);
    await client.message.stop.mutate({ messageId: long.assistantMessage.id });
    const stopped = await streamReply(client, long.assistantMessage.id);
    expect(stopped.closing?.type).toBe('stopped');

    // One delta per token of the reply that finished, and as many as the stopped one kept.
    const stored = await client.message.byId.query({ id: long.assistantMessage.id });
    expect(await metric('ai_provider_deltas_total')).toBe(
      before.deltas + tokensOf(r.text).length + tokensOf(stored.content).length,
    );
    expect(await metric('ai_replies_total{status="done"}')).toBe(before.done + 1);
    expect(await metric('ai_replies_total{status="stopped"}')).toBe(before.stopped + 1);
    expect(await metric('ai_time_to_first_token_seconds_count')).toBe(before.ttft + 2);
    expect(await metric('ai_generations_running')).toBe(0);
  });
});

describe('agents', () => {
  it('refuses a model that is not on the server allow list', async () => {
    const { client } = await user();
    const err = await client.agent.create.mutate({ name: 'x', model: 'evil/gpt-9' }).catch((e) => e);
    expect(err).toBeInstanceOf(TRPCClientError);
    expect(reason(err)).toMatchObject({ code: 'BAD_REQUEST', reason: 'MODEL_NOT_ALLOWED' });
    const models = await client.agent.models.query();
    expect(models.models.map((m) => m.id).sort()).toEqual([
      'local/demo',
      'openai/fast',
      'openai/glacial',
      'openai/many',
      'openai/sleepy',
      'openai/slow',
    ]);
  });

  it('shows platform agents to everyone, own agents to their owner only; others’ are NOT_FOUND', async () => {
    const a = await user();
    const b = await user();
    const mine = await a.client.agent.create.mutate({ name: 'Mine', model: 'openai/fast' });
    const listA = await a.client.agent.list.query();
    const listB = await b.client.agent.list.query();
    expect(listA.map((x) => x.slug).filter(Boolean)).toEqual(expect.arrayContaining(['assistant']));
    expect(listA.some((x) => x.id === mine.id)).toBe(true);
    expect(listB.some((x) => x.id === mine.id)).toBe(false);
    for (const call of [
      () => b.client.agent.byId.query({ id: mine.id }),
      () => b.client.agent.update.mutate({ id: mine.id, name: 'stolen' }),
      () => b.client.agent.delete.mutate({ id: mine.id }),
    ]) {
      expect(reason(await call().catch((e) => e))).toMatchObject({ code: 'NOT_FOUND' });
    }
    const platform = listB.find((x) => x.isPlatform);
    expect(platform).toBeDefined();
    const err = await b.client.agent.update
      .mutate({ id: platform?.id ?? '', name: 'mine now' })
      .catch((e) => e);
    expect(reason(err)).toMatchObject({ code: 'FORBIDDEN', reason: 'PLATFORM_AGENT' });
    const updated = await a.client.agent.update.mutate({ id: mine.id, name: 'Renamed', temperature: 0.1 });
    expect(updated).toMatchObject({
      name: 'Renamed',
      temperature: expect.closeTo(0.1, 5),
      model: 'openai/fast',
    });
    expect(await a.client.agent.delete.mutate({ id: mine.id })).toEqual({ deleted: true });
  });
});

describe('bad input and other users', () => {
  it('another user’s chat or reply is NOT_FOUND for send, stream, stop and regenerate; bad ids are BAD_REQUEST', async () => {
    const a = await user();
    const b = await user();
    const chat = await a.client.chat.create.mutate({});
    const sent = await a.client.message.send.mutate({ chatId: chat.id, content: 'private' });
    await streamReply(a.client, sent.assistantMessage.id);
    const limitsBefore = await b.client.user.limits.query();
    expect(
      reason(await b.client.message.send.mutate({ chatId: chat.id, content: 'x' }).catch((e) => e)),
    ).toMatchObject({
      code: 'NOT_FOUND',
    });
    expect(
      reason(await b.client.message.stop.mutate({ messageId: sent.assistantMessage.id }).catch((e) => e)),
    ).toMatchObject({
      code: 'NOT_FOUND',
    });
    expect(
      reason(
        await b.client.message.regenerate.mutate({ messageId: sent.assistantMessage.id }).catch((e) => e),
      ),
    ).toMatchObject({ code: 'NOT_FOUND' });
    const s = await streamReply(b.client, sent.assistantMessage.id);
    expect(s.events).toHaveLength(0);
    expect(reason(s.error)).toMatchObject({ code: 'NOT_FOUND' });
    expect(await b.client.user.limits.query()).toEqual(limitsBefore);

    const bad = await streamReply(a.client, sent.assistantMessage.id, { lastEventId: 'not-an-id' });
    expect(reason(bad.error)).toMatchObject({ code: 'BAD_REQUEST' });
    expect(
      reason(await a.client.message.send.mutate({ chatId: chat.id, content: '   ' }).catch((e) => e)),
    ).toMatchObject({
      code: 'BAD_REQUEST',
    });
  });
});

describe('a stream whose session is signed out', () => {
  it('ends with UNAUTHORIZED / SESSION_REVOKED within about a second while deltas flow, and the reply itself goes on and is stored', async () => {
    const wallet = privateKeyToAccount(generatePrivateKey());
    const client = clientFor(server.url, (await server.signIn(wallet)).accessToken);
    // 60 tokens 100 ms apart: about 6 s, far longer than the recheck interval.
    const chat = await agentChat(client, 'openai/glacial');
    const sent = await client.message.send.mutate({ chatId: chat.id, content: 'Take your time' });
    let loggedOutAt = 0;
    const r = await streamReply(client, sent.assistantMessage.id, {
      onDelta: (n) => {
        if (n === 1) void client.auth.logout.mutate().then(() => (loggedOutAt = performance.now()));
      },
    });
    expect(loggedOutAt).toBeGreaterThan(0);
    expect(r.closing).toBeUndefined();
    expect(r.error).toMatchObject({ data: { code: 'UNAUTHORIZED', reason: 'SESSION_REVOKED' } });
    expect(LONG.startsWith(r.text)).toBe(true);
    // Ended by the recheck (SESSION_RECHECK_MS), well before the reply's ~6 s.
    expect(r.text.length).toBeLessThan(LONG.length);

    // The generation does not depend on its subscriber: signed in again, the whole reply is there.
    const again = clientFor(server.url, (await server.signIn(wallet)).accessToken);
    const stored = await until(async () => {
      const m = await again.message.byId.query({ id: sent.assistantMessage.id });
      return m.status === 'streaming' ? undefined : m;
    }, 200);
    expect(stored).toMatchObject({ status: 'done', content: LONG });
    // A new stream on the new session replays it in full.
    expect((await streamReply(again, sent.assistantMessage.id)).text).toBe(LONG);
  });
  it('ends while it waits for a slow first token too: nothing is delivered after the logout', async () => {
    const wallet = privateKeyToAccount(generatePrivateKey());
    const client = clientFor(server.url, (await server.signIn(wallet)).accessToken);
    const chat = await agentChat(client, 'openai/sleepy');
    const sent = await client.message.send.mutate({ chatId: chat.id, content: 'No rush' });
    const r = await streamReply(client, sent.assistantMessage.id, {
      onStarted: () => void client.auth.logout.mutate(),
    });
    const endedAt = performance.now();
    expect(r.error).toMatchObject({ data: { code: 'UNAUTHORIZED', reason: 'SESSION_REVOKED' } });
    expect(r.events).toEqual([]);
    const again = clientFor(server.url, (await server.signIn(wallet)).accessToken);
    const stored = await until(async () => {
      const m = await again.message.byId.query({ id: sent.assistantMessage.id });
      return m.status === 'streaming' ? undefined : m;
    }, 200);
    expect(stored).toMatchObject({ status: 'done', content: 'Worth the wait.' });
    // The stream was ended by the background recheck before the provider sent its first token (4 s in).
    const firstTokenAt = fake.requests.find((q) => q.model === 'sleepy')?.firstTokenAt;
    expect(firstTokenAt).toBeGreaterThan(endedAt);
  });
});

describe('a chat deleted while its reply streams', () => {
  it('ends the job, keeps the quota spent, and the server keeps serving', async () => {
    const { client } = await user();
    const chat = await agentChat(client, 'openai/slow');
    const before = await client.user.limits.query();
    const sent = await client.message.send.mutate({ chatId: chat.id, content: 'A long one, please' });
    const runner = server.app.resources.services.generation.runner;
    await until(async () => runner.running > 0);
    await client.chat.delete.mutate({ id: chat.id });
    await until(async () => runner.running === 0);

    await expect(client.message.byId.query({ id: sent.assistantMessage.id })).rejects.toMatchObject({
      data: { code: 'NOT_FOUND' },
    });
    const after = await client.user.limits.query();
    expect(after.aiMessages.used).toBe(before.aiMessages.used + 1);
    const next = await client.chat.create.mutate({});
    const ok = await client.message.send.mutate({ chatId: next.id, content: 'Still there?' });
    expect((await streamReply(client, ok.assistantMessage.id)).closing?.type).toBe('done');
  });
});

import { type FakeOpenAI, startFakeOpenAI, unreachableBaseURL } from '@chatplatform/testing/fake-openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Client, clientFor, streamReply } from './ai-client';
import { readMetric, startServer, type TestServer } from './harness';

let server: TestServer;
let fake: FakeOpenAI;

beforeAll(async () => {
  fake = await startFakeOpenAI({
    reply: 'alpha beta gamma delta epsilon zeta eta theta',
    interTokenDelayMs: 5,
  });
  fake.setBehavior('e500', { failure: 'status500' });
  fake.setBehavior('hang', { failure: 'hang' });
  fake.setBehavior('midclose', { failure: 'closeMidStream', failAfterTokens: 3 });
  fake.setBehavior('malformed', { failure: 'malformedChunk', failAfterTokens: 0 });
  fake.setBehavior('malformedlate', { failure: 'malformedChunk', failAfterTokens: 2 });
  fake.setBehavior('hangmid', { failure: 'hangMidStream', failAfterTokens: 2 });
  fake.setBehavior('ok', {});
  // A reasoning model: 10 words of thinking 120 ms apart, so its reply's first word comes after about 1.2 s,
  // past the first-token timeout below.
  fake.setBehavior('thinker', {
    reasoning: 'The person wants an answer so I should think first',
    reply: 'Here is my answer.',
    interTokenDelayMs: 120,
  });
  fake.setBehavior('thinkonly', { reasoning: 'hmm let me see', reply: '', finishReason: 'length' });
  fake.setBehavior('filtered', { reply: '', finishReason: 'content_filter' });
  fake.setBehavior('silent', { reply: '' });
  // A server that keeps the thinking inside the text, between <think> tags split across chunks.
  fake.setBehavior('inline', { reply: '<think>They greet me, so I greet them.</think>Hello there, friend.' });
  fake.setBehavior('toolong', {
    failure: 'status400',
    errorMessage:
      "This model's maximum context length is 4096 tokens. However, your messages resulted in 5120 tokens.\nPlease reduce the length of the messages.",
  });
  const down = await unreachableBaseURL();
  server = await startServer({
    env: {
      AI_PROVIDERS: JSON.stringify([
        {
          name: 'fake',
          baseURL: fake.baseURL,
          apiKey: 'k',
          models: [
            'e500',
            'hang',
            'midclose',
            'malformed',
            'malformedlate',
            'hangmid',
            'ok',
            'thinker',
            'thinkonly',
            'filtered',
            'silent',
            'toolong',
            'inline',
          ],
        },
        { name: 'tagged', baseURL: fake.baseURL, apiKey: 'k', models: ['inline'], reasoningTag: 'think' },
        { name: 'down', baseURL: down, models: ['any'] },
      ]),
      AI_DEFAULT_MODEL: 'fake/ok',
      AI_FIRST_TOKEN_TIMEOUT_MS: '1000',
      AI_TOTAL_TIMEOUT_MS: '3000',
      AI_MAX_CONCURRENT_PER_USER: '20',
    },
  });
});
afterAll(async () => {
  await server?.close();
  await fake?.close();
});

async function replyWith(model: string) {
  const s = await server.signIn();
  const client: Client = clientFor(server.url, s.accessToken);
  const agent = await client.agent.create.mutate({ name: model, model });
  const chat = await client.chat.create.mutate({ agentId: agent.id });
  const before = await client.user.limits.query();
  const sent = await client.message.send.mutate({ chatId: chat.id, content: 'please answer' });
  const stream = await streamReply(client, sent.assistantMessage.id);
  const stored = await client.message.byId.query({ id: sent.assistantMessage.id });
  const after = await client.user.limits.query();
  return { client, stream, stored, before, after };
}

describe('provider failures end the reply as `error` with a human message', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['HTTP 500', 'fake/e500', /internal error \(HTTP 500\)/],
    ['no first token in time', 'fake/hang', /did not start answering within 1 s/],
    ['unreachable endpoint', 'down/any', /could not be reached/],
    ['malformed first chunk', 'fake/malformed', /malformed response/],
    [
      'a request the provider refuses, in its own words',
      'fake/toolong',
      /^The AI provider rejected the request \(HTTP 400\): This model's maximum context length is 4096 tokens\. However, your messages resulted in 5120 tokens\. Please reduce the length of the messages\.$/,
    ],
  ];
  for (const [what, model, message] of cases) {
    it(`${what}: nothing produced, so the AI message is refunded (the request made still counts)`, async () => {
      const { stream, stored, before, after } = await replyWith(model);
      expect(stream.closing).toMatchObject({ type: 'error', message: expect.stringMatching(message) });
      expect(stream.text).toBe('');
      expect(stored).toMatchObject({
        status: 'error',
        content: '',
        errorMessage: stream.closing && 'message' in stream.closing ? stream.closing.message : '',
      });
      expect(after.aiMessages.used).toBe(before.aiMessages.used);
      expect(after.apiCalls.used).toBe(before.apiCalls.used + 1);
    });
  }

  const partial: Array<[string, string, RegExp, string]> = [
    ['connection closed mid-stream', 'fake/midclose', /lost in the middle/, 'alpha beta gamma '],
    ['malformed chunk after some text', 'fake/malformedlate', /malformed response/, 'alpha beta '],
    ['provider goes silent mid-reply (total timeout)', 'fake/hangmid', /longer than 3 s/, 'alpha beta '],
  ];
  for (const [what, model, message, text] of partial) {
    it(`${what}: the partial text is kept and the AI message is not refunded`, async () => {
      const { stream, stored, before, after } = await replyWith(model);
      expect(stream.closing).toMatchObject({ type: 'error', message: expect.stringMatching(message) });
      expect(stream.text).toBe(text);
      expect(stored).toMatchObject({ status: 'error', content: text });
      expect(after.aiMessages.used).toBe(before.aiMessages.used + 1);
    });
  }

  it('keeps serving others while a provider fails, and never answers 500; /metrics counts each outcome', async () => {
    const metric = (series: string) => readMetric(server.url, series);
    const errors = await metric('ai_replies_total{status="error"}');
    const done = await metric('ai_replies_total{status="done"}');
    const failing = Promise.all([replyWith('fake/hang'), replyWith('fake/e500'), replyWith('down/any')]);
    const ok = await replyWith('fake/ok');
    expect(ok.stream.closing?.type).toBe('done');
    expect(ok.stored.content).toBe('alpha beta gamma delta epsilon zeta eta theta');
    const results = await failing;
    for (const r of results) expect(r.stored.status).toBe('error');
    expect(await metric('ai_replies_total{status="error"}')).toBe(errors + 3);
    expect(await metric('ai_replies_total{status="done"}')).toBe(done + 1);
    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(200);
  });
});

describe('reasoning models, and replies that finish with no text', () => {
  it('a model that thinks past the first-token timeout is not cut off; its thinking is neither streamed nor stored', async () => {
    const { stream, stored, before, after } = await replyWith('fake/thinker');
    expect(stream.closing).toMatchObject({ type: 'done' });
    expect(stream.text).toBe('Here is my answer.');
    expect(stored).toMatchObject({ status: 'done', content: 'Here is my answer.', errorMessage: null });
    // The time to first token is to the reply's first text, after the thinking (10 words, 120 ms apart).
    expect(stored.timeToFirstTokenMs).toBeGreaterThanOrEqual(1000);
    // The provider's usage counts the thinking as completion tokens: 10 words of it, 4 of reply.
    expect(stored.completionTokens).toBe(14);
    expect(after.aiMessages.used).toBe(before.aiMessages.used + 1);
  });

  it('takes thinking sent between tags out of the reply on a provider configured with `reasoningTag`', async () => {
    const tagged = await replyWith('tagged/inline');
    expect(tagged.stream.closing).toMatchObject({ type: 'done' });
    expect(tagged.stream.text).toBe('Hello there, friend.');
    expect(tagged.stored).toMatchObject({ status: 'done', content: 'Hello there, friend.' });
    // Without it, the same answer is the reply as sent, tags and all.
    const plain = await replyWith('fake/inline');
    expect(plain.stored.content).toBe('<think>They greet me, so I greet them.</think>Hello there, friend.');
  });

  const empty: Array<[string, string, RegExp]> = [
    ['the output budget spent on thinking', 'fake/thinkonly', /used up its output budget/],
    ['a content filter', 'fake/filtered', /content filter withheld the reply/],
    ['no reason given', 'fake/silent', /finished without writing any reply/],
  ];
  for (const [what, model, message] of empty) {
    it(`no text because of ${what}: an error that says so, and the AI message is refunded`, async () => {
      const { stream, stored, before, after } = await replyWith(model);
      expect(stream.text).toBe('');
      expect(stream.closing).toMatchObject({ type: 'error', message: expect.stringMatching(message) });
      expect(stored).toMatchObject({
        status: 'error',
        content: '',
        errorMessage: expect.stringMatching(message),
      });
      expect(after.aiMessages.used).toBe(before.aiMessages.used);
      expect(after.apiCalls.used).toBe(before.apiCalls.used + 1);
    });
  }
});

describe('what the log keeps of a provider failure', () => {
  it('the status and the endpoint, never the prompt or the chat sent to the provider', async () => {
    const lines: string[] = [];
    const logged = await startServer({
      env: {
        LOG_LEVEL: 'warn',
        AI_PROVIDERS: JSON.stringify([
          { name: 'fake', baseURL: fake.baseURL, apiKey: 'k', models: ['e500'] },
        ]),
        AI_DEFAULT_MODEL: 'fake/e500',
      },
      logStream: { write: (line: string) => void lines.push(line) },
    });
    try {
      const s = await logged.signIn();
      const client = clientFor(logged.url, s.accessToken);
      const agent = await client.agent.create.mutate({
        name: 'private',
        model: 'fake/e500',
        systemPrompt: 'SYSTEM-PROMPT-MARKER',
      });
      const chat = await client.chat.create.mutate({ agentId: agent.id });
      const sent = await client.message.send.mutate({ chatId: chat.id, content: 'MY-PRIVATE-QUESTION' });
      const stream = await streamReply(client, sent.assistantMessage.id);
      expect(stream.closing).toMatchObject({ type: 'error' });
      const failed = lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'model call failed');
      expect(failed).toMatchObject({
        level: 40,
        model: 'fake/e500',
        failure: { type: 'AI_APICallError', statusCode: 500, url: expect.stringContaining(fake.baseURL) },
      });
      const all = lines.join('\n');
      expect(all).not.toContain('MY-PRIVATE-QUESTION');
      expect(all).not.toContain('SYSTEM-PROMPT-MARKER');
    } finally {
      await logged.close();
    }
  });
});

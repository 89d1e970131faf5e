import { insertMessage } from '@chatplatform/db/queries';
import { type FakeOpenAI, startFakeOpenAI } from '@chatplatform/testing/fake-openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../../../test/harness';
import { testAiConfig } from '../../config';
import { createDemoModel, demoReply } from '../ai/local-demo';
import type { TrackedEvent } from './service';

let h: Harness;
let fake: FakeOpenAI;

beforeAll(async () => {
  fake = await startFakeOpenAI({ reply: 'one two three four five six seven eight', interTokenDelayMs: 2 });
  h = await createHarness({
    config: {
      ai: testAiConfig({
        providers: [{ name: 'fake', baseURL: fake.baseURL, apiKey: 'sk-test', models: ['m1'] }],
      }),
    },
  });
});
afterAll(async () => {
  await h?.services.generation.shutdown();
  await h?.cleanup();
  await fake?.close();
});

async function collect(it: AsyncGenerator<TrackedEvent>): Promise<TrackedEvent[]> {
  const out: TrackedEvent[] = [];
  for await (const e of it) out.push(e);
  return out;
}

/** A reply's events from the start to its closing event, and the text its deltas make. */
async function followReply(userId: string, messageId: string) {
  const events = await collect(
    h.services.generation.follow(userId, { messageId, lastEventId: null }, undefined),
  );
  const text = events.map((e) => (e.event.type === 'delta' ? e.event.text : '')).join('');
  return { events, text };
}

describe('generation (procedure level)', () => {
  it('streams the demo model reply and stores exactly the streamed text', async () => {
    const u = await h.signIn();
    const chat = await u.caller.chat.create({});
    const sent = await u.caller.message.send({ chatId: chat.id, content: 'hello there' });
    expect(sent.assistantMessage.status).toBe('streaming');
    const { events, text } = await followReply(u.userId, sent.assistantMessage.id);
    expect(text).toBe(demoReply('hello there'));
    expect(events.at(-1)?.event.type).toBe('done');
    const stored = await u.caller.message.byId({ id: sent.assistantMessage.id });
    expect(stored.content).toBe(text);
    expect(stored.status).toBe('done');
  });

  it('takes a model registered at runtime onto the allow list: agents can use it, replies stream through it', async () => {
    const registry = h.services.generation.registry;
    expect(() => registry.register('local/demo', createDemoModel({ wordDelayMs: 1 }))).toThrow(/already/);
    expect(() => registry.register('no-slash', createDemoModel({ wordDelayMs: 1 }))).toThrow(
      /<provider>\/<model>/,
    );
    expect(registry.has('mine/echo')).toBe(false);
    registry.register('mine/echo', createDemoModel({ wordDelayMs: 1 }));
    expect(registry.list()).toContainEqual({ id: 'mine/echo', provider: 'mine' });

    const u = await h.signIn();
    const agent = await u.caller.agent.create({ name: 'echo', model: 'mine/echo' });
    const chat = await u.caller.chat.create({ agentId: agent.id });
    const sent = await u.caller.message.send({ chatId: chat.id, content: 'through my model' });
    const { events } = await followReply(u.userId, sent.assistantMessage.id);
    expect(events.at(-1)?.event.type).toBe('done');
    const stored = await u.caller.message.byId({ id: sent.assistantMessage.id });
    expect(stored).toMatchObject({
      status: 'done',
      modelUsed: 'mine/echo',
      content: demoReply('through my model'),
    });
  });
});

describe('the output budget', () => {
  it('ends a reply that reaches the agent’s max output tokens with its text and the finish reason `length`', async () => {
    const u = await h.signIn();
    const agent = await u.caller.agent.create({ name: 'terse', model: 'local/demo', maxOutputTokens: 6 });
    const chat = await u.caller.chat.create({ agentId: agent.id });
    const sent = await u.caller.message.send({ chatId: chat.id, content: 'tell me everything' });
    const { events, text } = await followReply(u.userId, sent.assistantMessage.id);
    // A word a token: the first six words of the reply the demo model gives without a budget.
    const whole = demoReply('tell me everything');
    expect(text).toBe(whole.split(' ').slice(0, 6).join(' ').concat(' '));
    expect(text.length).toBeLessThan(whole.length);
    expect(events.at(-1)?.event).toMatchObject({ type: 'done', finishReason: 'length' });
    const stored = await u.caller.message.byId({ id: sent.assistantMessage.id });
    expect(stored).toMatchObject({
      status: 'done',
      content: text,
      finishReason: 'length',
      completionTokens: 6,
    });
  });
});

describe('resuming a reply whose event log is gone', () => {
  // An expired log, or the in-process log of an instance that restarted: the row has the text, the log nothing.
  async function replyWithoutLog() {
    const u = await h.signIn();
    const chat = await u.caller.chat.create({});
    const row = await insertMessage(h.db, {
      chatId: chat.id,
      userId: u.userId,
      role: 'AI',
      content: 'Hello world, this is the reply.',
      status: 'interrupted',
    });
    return { u, messageId: row?.message.id ?? '' };
  }
  const follow = (userId: string, messageId: string, lastEventId: string | null) =>
    collect(h.services.generation.follow(userId, { messageId, lastEventId }, undefined));

  it('from the start: the stored text as one delta, then the closing event', async () => {
    const { u, messageId } = await replyWithoutLog();
    const events = await follow(u.userId, messageId, null);
    expect(events.map((e) => e.event)).toEqual([
      { type: 'delta', text: 'Hello world, this is the reply.' },
      { type: 'interrupted', message: 'The reply was interrupted.' },
    ]);
  });

  it('after an id the log no longer has: the closing event alone, never the text the client already holds again', async () => {
    const { u, messageId } = await replyWithoutLog();
    const events = await follow(u.userId, messageId, '1700000000000-5');
    expect(events.map((e) => e.event)).toEqual([
      { type: 'interrupted', message: 'The reply was interrupted.' },
    ]);
  });

  it('after an id with its text offset: exactly the stored text from there, then the closing event', async () => {
    const { u, messageId } = await replyWithoutLog();
    const events = await follow(u.userId, messageId, '1700000000000-5.13');
    expect(events.map((e) => e.event)).toEqual([
      { type: 'delta', text: 'this is the reply.' },
      { type: 'interrupted', message: 'The reply was interrupted.' },
    ]);
    // Their ids carry the offset too, so a client cut again resumes exactly once more.
    expect(events.map((e) => e.id)).toEqual(['1700000000000-6.31', '1700000000000-7.31']);
    // An offset past the text is nothing more to send.
    expect((await follow(u.userId, messageId, '1700000000000-5.99')).map((e) => e.event.type)).toEqual([
      'interrupted',
    ]);
  });

  it('after the id of the delta it was sent from the stored text: no second copy', async () => {
    const { u, messageId } = await replyWithoutLog();
    const first = await follow(u.userId, messageId, null);
    const again = await follow(u.userId, messageId, first[0]?.id ?? '');
    expect(again.map((e) => e.event.type)).toEqual(['interrupted']);
  });

  it('after an id the log has: exactly the rest, so the client’s text equals the stored one', async () => {
    const u = await h.signIn();
    const chat = await u.caller.chat.create({});
    const sent = await u.caller.message.send({ chatId: chat.id, content: 'resume me' });
    const all = await follow(u.userId, sent.assistantMessage.id, null);
    const deltas = all.filter((e) => e.event.type === 'delta');
    expect(deltas.length).toBeGreaterThan(1);
    const cut = deltas[0] as TrackedEvent;
    const rest = await follow(u.userId, sent.assistantMessage.id, cut.id);
    const text = [cut, ...rest].map((e) => (e.event.type === 'delta' ? e.event.text : '')).join('');
    const stored = await u.caller.message.byId({ id: sent.assistantMessage.id });
    expect(text).toBe(stored.content);
    expect(rest.at(-1)?.event.type).toBe('done');
    // Every id names the log entry and the text the client holds with it.
    let held = 0;
    for (const e of all) {
      if (e.event.type === 'delta') held += e.event.text.length;
      expect(e.id).toMatch(new RegExp(`^\\d+-\\d+\\.${held}$`));
    }
  });

  it('refuses an event id that is not one', async () => {
    const u = await h.signIn();
    const chat = await u.caller.chat.create({});
    const sent = await u.caller.message.send({ chatId: chat.id, content: 'hi' });
    for (const lastEventId of ['x', '1-2.', '1-2.-3', '1-2.3.4'])
      await expect(
        u.caller.message.stream({ messageId: sent.assistantMessage.id, lastEventId }),
      ).rejects.toMatchObject({
        code: 'BAD_REQUEST',
      });
  });
});

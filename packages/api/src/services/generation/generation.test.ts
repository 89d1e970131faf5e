import { type FakeOpenAI, startFakeOpenAI } from '@chatplatform/testing/fake-openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../../../test/harness';
import { testAiConfig } from '../../config';
import { demoReply } from '../ai/local-demo';
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

describe('generation (procedure level)', () => {
  it('streams the demo model reply and stores exactly the streamed text', async () => {
    const u = await h.signIn();
    const chat = await u.caller.chat.create({});
    const sent = await u.caller.message.send({ chatId: chat.id, content: 'hello there' });
    expect(sent.assistantMessage.status).toBe('streaming');
    const events = await collect(
      h.services.generation.follow(
        u.userId,
        { messageId: sent.assistantMessage.id, lastEventId: null },
        undefined,
      ),
    );
    const text = events.map((e) => (e.event.type === 'delta' ? e.event.text : '')).join('');
    expect(text).toBe(demoReply('hello there'));
    expect(events.at(-1)?.event.type).toBe('done');
    const stored = await u.caller.message.byId({ id: sent.assistantMessage.id });
    expect(stored.content).toBe(text);
    expect(stored.status).toBe('done');
  });
});

import { get as httpGet } from 'node:http';
import { logKey } from '@chatplatform/api';
import { type FakeOpenAI, startFakeOpenAI } from '@chatplatform/testing/fake-openai';
import { newWallet } from '@chatplatform/testing/wallet';
import { TRPCClientError } from '@trpc/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientFor, streamReply, until } from './ai-client';
import { seedReply, type TestServer } from './harness';
import { errorCounts, livePair, snapshot } from './trpc-pair';

/**
 * message.stream over SSE on the direct tRPC route (src/plugins/trpc-fast.ts) against the official adapter,
 * on the pair of servers of trpc-pair.ts: the same events, bytes and headers, through the real @trpc/client
 * and raw HTTP. Both stream their answer (chunked), so the framing does not tell the paths apart; the
 * onError counts do (see below).
 */

/** A provider that never sends a token: replies that stay `streaming` until stopped. */
let idle: FakeOpenAI;
beforeAll(async () => {
  idle = await startFakeOpenAI({ reply: 'never sent', firstTokenDelayMs: 600_000 });
});
afterAll(async () => {
  await idle?.close();
});
// Started after idle and stopped before it (vitest runs the after hooks in reverse).
const pair = livePair(() => ({
  AI_BASE_URL: idle.baseURL,
  AI_MODELS: 'idle',
  AI_DEFAULT_MODEL: 'local/demo',
}));

/** A GET whose reader waits 300 ms before reading anything, then reads to the end. */
function slowRead(url: string, headers: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = httpGet(url, { headers }, (res) => {
      res.pause();
      setTimeout(() => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
        res.on('error', reject);
        res.resume();
      }, 300);
    });
    req.on('error', reject);
  });
}

/** The message_streams_open gauge: message.stream followers running on that server. */
async function openStreams(s: TestServer): Promise<number> {
  const text = await fetch(`${s.url}/metrics`).then((r) => r.text());
  const m = /^message_streams_open (\d+)$/m.exec(text);
  if (!m?.[1]) throw new Error('message_streams_open missing from /metrics');
  return Number(m[1]);
}

describe('message.stream over SSE: the direct route writes what the official adapter writes', () => {
  const unknownId = '00000000-0000-4000-8000-000000000000';
  const sseInit = (headers: Record<string, string> = {}) => ({
    headers: { authorization: `Bearer ${pair.token}`, accept: 'text/event-stream', ...headers },
  });
  const streamPath = (input: unknown) =>
    `/trpc/message.stream?input=${encodeURIComponent(JSON.stringify(input))}`;

  it('streams the same reply text to the same end', async () => {
    const replies = [];
    for (const s of [pair.fast, pair.official]) {
      const client = clientFor(s.url, (await s.signIn(newWallet())).accessToken);
      const chat = await client.chat.create.mutate({});
      const sent = await client.message.send.mutate({ chatId: chat.id, content: 'compare the two paths' });
      const r = await streamReply(client, sent.assistantMessage.id);
      replies.push({ text: r.text, closing: r.closing?.type, error: r.error });
    }
    expect(replies[0]?.closing).toBe('done');
    expect(replies[0]?.text.length).toBeGreaterThan(0);
    expect(replies[0]).toEqual(replies[1]);
  });

  it('replays one finished reply with the same bytes: from the start, after an id in the input, after Last-Event-ID', async () => {
    const client = clientFor(pair.fast.url, pair.token);
    const chat = await client.chat.create.mutate({});
    const sent = await client.message.send.mutate({ chatId: chat.id, content: 'replay me twice' });
    const messageId = sent.assistantMessage.id;
    const r = await streamReply(client, messageId);
    expect(r.closing?.type).toBe('done');
    expect(r.events.length).toBeGreaterThan(2);
    const mid = r.events[Math.floor(r.events.length / 2)]?.id ?? '';
    const requests: Array<[string, RequestInit]> = [
      [streamPath({ messageId }), sseInit()],
      [streamPath({ messageId, lastEventId: mid }), sseInit()],
      [streamPath({ messageId }), sseInit({ 'last-event-id': mid })],
    ];
    const bodies: string[] = [];
    for (const [path, init] of requests) {
      const [f, o] = [
        await snapshot(await fetch(`${pair.fast.url}${path}`, init)),
        await snapshot(await fetch(`${pair.official.url}${path}`, init)),
      ];
      expect(f.snap).toEqual(o.snap);
      expect(f.snap.status).toBe(200);
      expect(f.snap.headers['content-type']).toBe('text/event-stream');
      expect(f.snap.body.startsWith('event: connected\ndata: {}\n\n\n')).toBe(true);
      expect(f.snap.body.endsWith('event: return\ndata: \n\n\n')).toBe(true);
      bodies.push(f.snap.body);
    }
    // Every event of the reply, each with its id; the resumed ones start after `mid`.
    for (const e of r.events) expect(bodies[0]).toContain(`\nid: ${e.id}\n`);
    // Resumed after `mid`: in the input (the @trpc/client link) or in the Last-Event-ID header (a native
    // EventSource reconnecting), tRPC puts it into the input either way.
    for (const resumed of [bodies[1], bodies[2]]) {
      expect(resumed).not.toContain(`id: ${mid}\n`);
      expect(resumed).toContain(`id: ${r.events.at(-1)?.id}\n`);
    }
    expect(bodies[2]).toBe(bodies[1]);
  });

  it.each([
    ['NOT_FOUND for a message that is not there', { messageId: unknownId }, true],
    ['BAD_REQUEST for a malformed message id', { messageId: 'x' }, true],
    ['UNAUTHORIZED without a token', { messageId: unknownId }, false],
  ])('the same error shape: %s', async (_name, input, signedIn) => {
    const errors = [];
    for (const s of [pair.fast, pair.official]) {
      const client = clientFor(s.url, signedIn ? pair.token : 'not.a.token');
      const r = await streamReply(client, input.messageId);
      if (!(r.error instanceof TRPCClientError))
        throw new Error(`expected an error, got ${JSON.stringify(r)}`);
      errors.push({ message: r.error.message, shape: r.error.shape, data: r.error.data });
    }
    expect(errors[0]).toEqual(errors[1]);
    expect(errors[0]?.data).toMatchObject({ path: 'message.stream' });
  });

  it.each([
    ['an unknown message', streamPath({ messageId: unknownId }), true, 'NOT_FOUND'],
    ['no token', streamPath({ messageId: unknownId }), false, 'UNAUTHORIZED'],
    ['malformed input JSON', '/trpc/message.stream?input=%7Bbad', true, 'BAD_REQUEST'],
    [
      'an event id that is not one',
      streamPath({ messageId: unknownId, lastEventId: 'x' }),
      true,
      'BAD_REQUEST',
    ],
    ['an unknown field', streamPath({ messageId: unknownId, extra: 1 }), true, 'BAD_REQUEST'],
  ])('answers a raw SSE request with %s with the same bytes', async (_name, path, signedIn, code) => {
    const init = signedIn ? sseInit() : { headers: { accept: 'text/event-stream' } };
    const [f, o] = [
      await snapshot(await fetch(`${pair.fast.url}${path}`, init)),
      await snapshot(await fetch(`${pair.official.url}${path}`, init)),
    ];
    expect(f.snap.headers['content-type']).toBe('text/event-stream');
    expect(f.snap.body).toContain('event: serialized-error');
    expect(f.snap.body).toContain(code);
    expect(f.snap).toEqual(o.snap);
  });

  it.each([
    ['fails in the procedure call (input)', streamPath({ messageId: 'x' }), 'BAD_REQUEST', [1, 2]],
    ['fails while streaming (no such message)', streamPath({ messageId: unknownId }), 'NOT_FOUND', [1, 1]],
  ])('reports a subscription that %s to onError once', async (_name, path, code, expected) => {
    const key = `{procedure="message.stream",code="${code}"}`;
    const counts = [];
    for (const s of [pair.fast, pair.official]) {
      const before = (await errorCounts(s))[key] ?? 0;
      await fetch(`${s.url}${path}`, sseInit()).then((r) => r.text());
      counts.push(((await errorCounts(s))[key] ?? 0) - before);
    }
    // The official handler reports an error of the call itself twice (for the call, and again as it
    // formats the SSE error event), so it shows which path served each request.
    expect(counts).toEqual(expected);
  });

  it('a reader slower than the replay gets every event in order, the same bytes as from the official handler', async () => {
    // A finished reply of 8 MB in 4,000 events: more than the socket buffers hold, so the direct route has to
    // wait for the client to read (push() refuses, the next read() resumes it).
    const s = await pair.fast.signIn();
    const client = clientFor(pair.fast.url, s.accessToken);
    const chat = await client.chat.create.mutate({});
    const piece = `${'x'.repeat(2047)} `;
    const count = 4000;
    const reply = await seedReply(pair.fast, {
      chatId: chat.id,
      userId: s.user.id,
      content: piece.repeat(count),
      status: 'stopped',
      events: [
        ...Array.from({ length: count }, () => JSON.stringify({ type: 'delta', text: piece })),
        JSON.stringify({ type: 'stopped' }),
      ],
    });
    const logged = await pair.fast.app.resources.ports.events.read(logKey(reply.id), null, 10_000);

    const url = (base: string) => `${base}${streamPath({ messageId: reply.id })}`;
    const headers = { authorization: `Bearer ${s.accessToken}`, accept: 'text/event-stream' };
    const [f, o] = [
      await slowRead(url(pair.fast.url), headers),
      await slowRead(url(pair.official.url), headers),
    ];
    expect(f.length).toBeGreaterThan(count * piece.length);
    expect(f).toBe(o);
    const ids = [...f.matchAll(/\nid: (\d+-\d+)\.\d+\n/g)].map((m) => m[1] ?? '');
    expect(ids).toHaveLength(count + 1);
    expect(ids).toEqual(logged.map((e) => e.id));
    expect(f.split(`"text":"${piece}"`)).toHaveLength(count + 1);
    expect(
      f.endsWith(
        `data: {"type":"stopped"}\nid: ${ids.at(-1)}.${count * piece.length}\n\n\nevent: return\ndata: \n\n\n`,
      ),
    ).toBe(true);
  });

  it('a client that goes away ends its follower on the server', async () => {
    const client = clientFor(pair.fast.url, pair.token);
    const agent = await client.agent.create.mutate({ name: 'never answers', model: 'openai/idle' });
    const chat = await client.chat.create.mutate({ agentId: agent.id });
    const sent = await client.message.send.mutate({ chatId: chat.id, content: 'are you there?' });
    const messageId = sent.assistantMessage.id;
    for (const s of [pair.fast, pair.official]) {
      const before = await openStreams(s);
      const connections = Array.from({ length: 5 }, () => new AbortController());
      for (const c of connections) {
        const res = await fetch(`${s.url}${streamPath({ messageId })}`, { ...sseInit(), signal: c.signal });
        const first = await res.body?.getReader().read();
        expect(new TextDecoder().decode(first?.value)).toContain('event: connected');
      }
      await until(async () => (await openStreams(s)) === before + 5);
      for (const c of connections) c.abort();
      await until(async () => (await openStreams(s)) === before);
    }
    await client.message.stop.mutate({ messageId });
  });
});

import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { testDatabaseUrl, testRedisUrl } from '@chatplatform/testing/db';
import { type FakeOpenAI, startFakeOpenAI } from '@chatplatform/testing/fake-openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientFor, streamReply, until } from './ai-client';
import { closingIn, seedReply, startServer, type TestServer } from './harness';
import type { InstanceSpec } from './instance-process';

const REPLY = Array.from({ length: 40 }, (_, i) => `token${i}`).join(' ');

let a: TestServer;
let b: TestServer;
let fake: FakeOpenAI;

const env = (fakeUrl: string) => ({
  AI_BASE_URL: fakeUrl,
  AI_MODELS: 'slow',
  AI_DEFAULT_MODEL: 'openai/slow',
  AI_HEARTBEAT_MS: '100',
  AI_STALE_AFTER_MS: '800',
  AI_MAX_CONCURRENT_PER_USER: '10',
});

beforeAll(async () => {
  fake = await startFakeOpenAI({ reply: REPLY, interTokenDelayMs: 60 });
  a = await startServer({ env: env(fake.baseURL) });
  // Instance B: its own app, runner and subscriber connection, sharing A's PostgreSQL and Redis.
  b = await startServer({ env: env(fake.baseURL), shareWith: a });
});
afterAll(async () => {
  await b?.close();
  await a?.close();
  await fake?.close();
});

/** A TCP load balancer on loopback: every new connection goes to the current target. */
async function startBalancer(initial: string) {
  let target = new URL(initial);
  let connections = 0;
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    connections++;
    const upstream = connect(Number(target.port), target.hostname);
    for (const [from, to] of [
      [socket, upstream],
      [upstream, socket],
    ] as const) {
      sockets.add(from);
      from.pipe(to);
      from.on('error', () => to.destroy());
      from.on('close', () => {
        sockets.delete(from);
        to.destroy();
      });
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    route(to: string) {
      target = new URL(to);
    },
    connections: () => connections,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

/** An instance in a child process joining `shareWith`'s database, Redis prefix and signing key. */
async function startInstanceProcess(shareWith: TestServer, instanceEnv: Record<string, string>) {
  const redis = shareWith.app.resources.redis;
  const keyPrefix = redis?.options.keyPrefix;
  if (!shareWith.databaseUrl || !testRedisUrl || typeof keyPrefix !== 'string')
    throw new Error('needs PostgreSQL and Redis');
  const child: ChildProcess = fork(fileURLToPath(new URL('./instance-process.ts', import.meta.url)), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = once(child, 'exit').then(() => undefined);
  const privatePem = shareWith.app.resources.services.keys.signing.privateKey
    .export({ type: 'pkcs8', format: 'pem' })
    .toString();
  child.send({
    databaseUrl: shareWith.databaseUrl,
    redisUrl: testRedisUrl,
    keyPrefix,
    privatePem,
    env: instanceEnv,
  } satisfies InstanceSpec);
  const [m] = (await once(child, 'message')) as [{ url?: string; error?: string }];
  if (!m.url) {
    child.kill('SIGKILL');
    throw new Error(`instance process failed: ${m.error}`);
  }
  return { url: m.url, exited, kill: () => void child.kill('SIGKILL') };
}

describe('two instances sharing PostgreSQL and Redis', () => {
  it('send on A, stream on B, cut, resume on A with lastEventId, stop from B: client text equals stored text', async () => {
    const s = await a.signIn();
    const onA = clientFor(a.url, s.accessToken);
    const onB = clientFor(b.url, s.accessToken);
    const chat = await onA.chat.create.mutate({});
    const sent = await onA.message.send.mutate({ chatId: chat.id, content: 'a long one please' });
    const id = sent.assistantMessage.id;

    const part1 = await streamReply(onB, id, { cutAfterDeltas: 2 });
    expect(part1.cut).toBe(true);
    let stop: Promise<unknown> | undefined;
    const part2 = await streamReply(onA, id, {
      lastEventId: part1.events.at(-1)?.id,
      onDelta: (n) => {
        if (n === 2) stop = onB.message.stop.mutate({ messageId: id });
      },
    });
    expect(await stop).toMatchObject({ messageId: id, status: 'stopping' });
    expect(part2.closing?.type).toBe('stopped');

    const stored = await onB.message.byId.query({ id });
    expect(stored.status).toBe('stopped');
    expect(part1.text + part2.text).toBe(stored.content);
    expect(stored.content.length).toBeGreaterThan(part1.text.length);
    expect(REPLY.startsWith(stored.content)).toBe(true);
    expect(stored.content.length).toBeLessThan(REPLY.length);
    // No duplicate and no gap: event ids strictly increase across the two connections.
    const ids = [...part1.events, ...part2.events].map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('a logout on A ends the stream open on B within about a second; the reply goes on and is stored', async () => {
    const s = await a.signIn();
    const onA = clientFor(a.url, s.accessToken);
    const onB = clientFor(b.url, s.accessToken);
    const chat = await onA.chat.create.mutate({});
    const sent = await onA.message.send.mutate({ chatId: chat.id, content: 'a long one please' });
    const r = await streamReply(onB, sent.assistantMessage.id, {
      onDelta: (n) => {
        if (n === 1) void onA.auth.logout.mutate();
      },
    });
    expect(r.error).toMatchObject({ data: { code: 'UNAUTHORIZED', reason: 'SESSION_REVOKED' } });
    expect(REPLY.startsWith(r.text)).toBe(true);
    // 40 tokens 60 ms apart: about 2.4 s; B saw the revocation A wrote to the shared store well before the end.
    expect(r.text.length).toBeLessThan(REPLY.length);

    const again = clientFor(b.url, (await b.signIn(s.wallet)).accessToken);
    const stored = await until(async () => {
      const m = await again.message.byId.query({ id: sent.assistantMessage.id });
      return m.status === 'streaming' ? undefined : m;
    }, 100);
    expect(stored).toMatchObject({ status: 'done', content: REPLY });
  });

  it('deleting a chat on B while its reply runs on A stops the reply there before the delete returns; a dead instance’s leftover does not hold it back', async () => {
    const s = await a.signIn();
    const onA = clientFor(a.url, s.accessToken);
    const onB = clientFor(b.url, s.accessToken);
    const chat = await onA.chat.create.mutate({});
    const sent = await onA.message.send.mutate({ chatId: chat.id, content: 'a long one please' });
    const id = sent.assistantMessage.id;
    // A reply whose instance died a minute ago: streaming, heartbeat stale, in the same chat.
    await seedReply(a, {
      chatId: chat.id,
      userId: s.user.id,
      content: '',
      status: 'streaming',
      heartbeatAt: new Date(Date.now() - 60_000),
      events: [],
    });
    const r = await streamReply(onB, id, { cutAfterDeltas: 2 });
    expect(r.cut).toBe(true);
    const runnerA = a.app.resources.services.generation.runner;
    expect(runnerA.isRunning(id)).toBe(true);
    expect(await onB.chat.delete.mutate({ id: chat.id })).toEqual({ success: true, id: chat.id });
    // Stopped on A (not run to its end: 40 tokens at 60 ms), its closing event in the shared log.
    expect(await closingIn(a, id)).toBe('stopped');
    await until(async () => !runnerA.isRunning(id));
    await expect(onA.chat.byId.query({ id: chat.id })).rejects.toMatchObject({ data: { code: 'NOT_FOUND' } });
  });

  it('the leftovers of an instance that died (a reply still streaming, its heartbeat stale, part of it in the log) end as interrupted with the log text', async () => {
    const s = await a.signIn();
    const onA = clientFor(a.url, s.accessToken);
    const onB = clientFor(b.url, s.accessToken);
    const chat = await onA.chat.create.mutate({});
    // What a killed instance leaves behind: the two rows of a send, the heartbeat it stopped beating a minute
    // ago, and the deltas it got into the event log.
    const reply = await seedReply(a, {
      chatId: chat.id,
      userId: s.user.id,
      content: '',
      status: 'streaming',
      heartbeatAt: new Date(Date.now() - 60_000),
      events: ['half ', 'a reply'].map((text) => JSON.stringify({ type: 'delta', text })),
    });

    const r = await streamReply(onB, reply.id);
    expect(r.text).toBe('half a reply');
    expect(r.closing).toMatchObject({ type: 'interrupted', message: expect.stringMatching(/went away/) });
    const stored = await onA.message.byId.query({ id: reply.id });
    expect(stored).toMatchObject({ status: 'interrupted', content: 'half a reply' });
  });

  // A second process can join only a real PostgreSQL and Redis, not PGlite or the in-process ports.
  it.skipIf(!(testDatabaseUrl && testRedisUrl))(
    'a reply whose instance is killed (SIGKILL) mid-reply is marked interrupted by another, keeping its partial text',
    async () => {
      const c = await startInstanceProcess(a, env(fake.baseURL));
      try {
        const s = await a.signIn();
        const onC = clientFor(c.url, s.accessToken);
        const onB = clientFor(b.url, s.accessToken);
        const chat = await onC.chat.create.mutate({});
        const sent = await onC.message.send.mutate({ chatId: chat.id, content: 'I will be cut off' });
        const id = sent.assistantMessage.id;
        const limitsBefore = await onB.user.limits.query();
        const r = await streamReply(onB, id, {
          onDelta: (n) => {
            if (n === 3) c.kill();
          },
        });
        await c.exited;
        expect(r.closing).toMatchObject({ type: 'interrupted', message: expect.stringMatching(/went away/) });
        const stored = await onB.message.byId.query({ id });
        expect(stored.status).toBe('interrupted');
        expect(stored.content).toBe(r.text);
        expect(r.text.length).toBeGreaterThan(0);
        expect(REPLY.startsWith(r.text)).toBe(true);
        // Partial output was produced: the reply is not refunded.
        expect((await onB.user.limits.query()).aiMessages.used).toBe(limitsBefore.aiMessages.used);
      } finally {
        c.kill();
        await c.exited;
      }
    },
  );

  it('a shutdown cuts the streams it serves without ending them: the client resumes on another instance', async () => {
    const e = await startServer({ env: env(fake.baseURL), shareWith: a });
    const s = await a.signIn();
    const onA = clientFor(a.url, s.accessToken);
    const chat = await onA.chat.create.mutate({});
    const sent = await onA.message.send.mutate({ chatId: chat.id, content: 'follow me elsewhere' });
    const id = sent.assistantMessage.id;
    const path = `/trpc/message.stream?input=${encodeURIComponent(JSON.stringify({ messageId: id }))}`;
    const res = await fetch(`${e.url}${path}`, { headers: { authorization: `Bearer ${s.accessToken}` } });
    const reader = res.body?.getReader();
    if (!reader) throw new Error('no body');
    let body = '';
    let closed: Promise<void> | undefined;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      body += new TextDecoder().decode(value);
      if (!closed && (body.match(/\nid: /g) ?? []).length >= 2) closed = e.close();
    }
    await closed;
    // Cut, not completed: no `return` (the tRPC client would stop) and no closing event of the reply.
    expect(body).not.toContain('event: return');
    expect(body).not.toContain('serialized-error');
    const events = [...body.matchAll(/data: (.*)\nid: (.*)\n/g)].map((m) => ({
      data: JSON.parse(m[1] ?? '') as { type: string; text?: string },
      id: m[2] ?? '',
    }));
    expect(events.every((ev) => ev.data.type === 'delta')).toBe(true);
    const rest = await streamReply(onA, id, { lastEventId: events.at(-1)?.id });
    expect(rest.closing?.type).toBe('done');
    const stored = await onA.message.byId.query({ id });
    expect(events.map((ev) => ev.data.text).join('') + rest.text).toBe(stored.content);
    expect(stored.content).toBe(REPLY);
  });

  it('behind a load balancer, the @trpc/client resumes a stream its instance cut at shutdown on another one, with no gap', async () => {
    const e = await startServer({ env: env(fake.baseURL), shareWith: a });
    const lb = await startBalancer(e.url);
    try {
      const s = await a.signIn();
      const viaLb = clientFor(lb.url, s.accessToken);
      // The reply runs on A; the stream goes through the balancer to E, which then shuts down.
      const onA = clientFor(a.url, s.accessToken);
      const chat = await onA.chat.create.mutate({});
      const sent = await onA.message.send.mutate({ chatId: chat.id, content: 'survive a deploy' });
      const id = sent.assistantMessage.id;
      let closed: Promise<void> | undefined;
      const r = await streamReply(viaLb, id, {
        onDelta: (n) => {
          if (n !== 2) return;
          lb.route(a.url); // new connections go to A, as a load balancer does once E is out of rotation
          closed = e.close();
        },
      });
      await closed;
      expect(r.error).toBeUndefined();
      expect(r.closing?.type).toBe('done');
      const stored = await viaLb.message.byId.query({ id });
      expect(r.text).toBe(stored.content);
      expect(stored.content).toBe(REPLY);
      const ids = r.events.map((ev) => ev.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(lb.connections()).toBeGreaterThan(1);
    } finally {
      await lb.close();
    }
  });

  it('a graceful shutdown ends running replies as interrupted at once; subscribers elsewhere get the closing event', async () => {
    const d = await startServer({ env: env(fake.baseURL), shareWith: a });
    const s = await d.signIn();
    const onD = clientFor(d.url, s.accessToken);
    const onA = clientFor(a.url, s.accessToken);
    const chat = await onD.chat.create.mutate({});
    const sent = await onD.message.send.mutate({ chatId: chat.id, content: 'shutdown midway' });
    const id = sent.assistantMessage.id;
    let closed: Promise<void> | undefined;
    const r = await streamReply(onA, id, {
      onDelta: (n) => {
        if (n === 2) closed = d.close();
      },
    });
    await closed;
    expect(r.closing).toMatchObject({ type: 'interrupted', message: expect.stringMatching(/restarted/) });
    const stored = await until(async () => {
      const m = await onA.message.byId.query({ id });
      return m.status !== 'streaming' && m;
    });
    expect(stored).toMatchObject({ status: 'interrupted', content: r.text });
  });
});

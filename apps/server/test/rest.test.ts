import type { Context } from '@chatplatform/api';
import { insertMessage } from '@chatplatform/db/queries';
import { newWallet } from '@chatplatform/testing/wallet';
import { initTRPC } from '@trpc/server';
import Fastify from 'fastify';
import type { OpenApiMeta } from 'trpc-to-openapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { registerRest } from '../src/plugins/rest';
import { startServer, type TestServer } from './harness';
import { expectErrorShape, type RestUser, rest, restSignIn } from './rest-helpers';

let s: TestServer;
let u: RestUser;
beforeAll(async () => {
  s = await startServer();
  u = await restSignIn(s);
});
afterAll(async () => s?.close());

describe('REST mirror: sign-in and sessions at the seed paths', () => {
  it('signs a new wallet in through /api alone and serves the profile with the bearer token', async () => {
    const wallet = newWallet();
    const user = await restSignIn(s, wallet);
    const profile = await rest(s, 'GET', '/user/profile', { token: user.accessToken });
    expect(profile.status).toBe(200);
    expect(profile.body).toMatchObject({ id: user.userId, walletAddress: wallet.address });
  });

  it('rotates a refresh token and ends the session on logout', async () => {
    const user = await restSignIn(s);
    const r = await rest(s, 'POST', '/auth/refresh', { body: { refreshToken: user.refreshToken } });
    expect(r.status).toBe(200);
    const pair = r.body as { accessToken: string; refreshToken: string };
    expect(pair.refreshToken).not.toBe(user.refreshToken);

    // An empty JSON body is "no input".
    const out = await rest(s, 'POST', '/auth/logout', {
      token: pair.accessToken,
      headers: { 'content-type': 'application/json' },
    });
    expect(out.status).toBe(200);
    expect(out.body).toEqual({ success: true });
    const after = await rest(s, 'GET', '/user/profile', { token: pair.accessToken });
    expect(after.status).toBe(401);
    expect(expectErrorShape(after.body).code).toBe('UNAUTHORIZED');
  });

  it('answers the same with and without a trailing slash', async () => {
    for (const path of ['/auth/config', '/auth/config/', '/user/limits', '/user/limits/']) {
      const r = await rest(s, 'GET', path, { token: u.accessToken });
      expect(r.status, path).toBe(200);
    }
    const a = await rest(s, 'GET', '/chat', { token: u.accessToken });
    const b = await rest(s, 'GET', '/chat/', { token: u.accessToken });
    expect(a.status).toBe(200);
    expect(b.body).toEqual(a.body);
    const created = await rest(s, 'POST', '/chat/', { token: u.accessToken, body: { title: 'slash' } });
    expect(created.status).toBe(200);
    const id = (created.body as { id: string }).id;
    const byId = await rest(s, 'GET', `/chat/${id}/`, { token: u.accessToken });
    expect(byId.status).toBe(200);
    expect(byId.body).toMatchObject({ id, title: 'slash' });
  });

  it('takes GET /chat/recent as the recent list, not as a chat id', async () => {
    const r = await rest(s, 'GET', '/chat/recent', { token: u.accessToken, query: { limit: 2 } });
    expect(r.status).toBe(200);
    expect(Array.isArray(r.body)).toBe(true);
  });
});

describe('REST mirror: errors are JSON { code, message } with the matching status', () => {
  it('401 without a token, with a malformed header and with a forged token', async () => {
    const cases: [Record<string, string>, string][] = [
      [{}, 'TOKEN_MISSING'],
      [{ authorization: 'Basic abc' }, 'TOKEN_INVALID'],
      [{ authorization: 'Bearer a.b.c' }, 'TOKEN_INVALID'],
    ];
    for (const [headers, reason] of cases) {
      const r = await rest(s, 'GET', '/user/profile', { headers });
      expect(r.status).toBe(401);
      const e = expectErrorShape(r.body);
      expect(e.code).toBe('UNAUTHORIZED');
      expect(e.reason).toBe(reason);
    }
  });

  it('404 for an unknown path under /api', async () => {
    for (const [method, path] of [
      ['GET', '/nope'],
      ['DELETE', '/nope'],
      ['GET', '/chat/a/b/c'],
    ] as const) {
      const r = await rest(s, method, path, { token: u.accessToken });
      expect(r.status, `${method} ${path}`).toBe(404);
      expect(expectErrorShape(r.body).code).toBe('NOT_FOUND');
    }
  });

  it('405 with Allow for a method a path under /api does not serve (test/rest-methods.test.ts has them all)', async () => {
    for (const [method, path, allow] of [
      ['DELETE', '/auth/config', 'GET, HEAD, OPTIONS'],
      ['PATCH', '/chat/', 'GET, HEAD, POST, OPTIONS'],
    ] as const) {
      const r = await rest(s, method, path, { token: u.accessToken });
      expect(r.status, `${method} ${path}`).toBe(405);
      expect(r.headers.get('allow')).toBe(allow);
      expect(expectErrorShape(r.body).code).toBe('METHOD_NOT_SUPPORTED');
    }
  });

  it('400 naming the field for a wrong type, a missing field and an unknown field in the query', async () => {
    const address = newWallet().address;
    const cases: [Record<string, string | number>, string][] = [
      [{ address, chainId: 'abc' }, 'chainId'],
      [{ address, chainId: '1.5' }, 'chainId'],
      [{ address }, 'chainId'],
      [{ chainId: 1 }, 'address'],
      [{ address, chainId: 1, isAdmin: 'true' }, 'isAdmin'],
    ];
    for (const [query, field] of cases) {
      const r = await rest(s, 'GET', '/auth/message', { query });
      expect(r.status, JSON.stringify(query)).toBe(400);
      const e = expectErrorShape(r.body);
      expect(e.code).toBe('BAD_REQUEST');
      expect(e.reason).toBe('INVALID_INPUT');
      expect(e.issues?.map((i) => i.field)).toContain(field);
      expect(e.message).toContain(field);
    }
  });

  it('400 naming the field for a wrong type or an unknown field in a JSON body, and nothing changes', async () => {
    const before = await rest(s, 'GET', '/user/profile', { token: u.accessToken });
    const cases: [unknown, string][] = [
      [{ displayName: 42 }, 'displayName'],
      [{ displayName: '' }, 'displayName'],
      [{ displayName: 'x'.repeat(10_000) }, 'displayName'],
      [{ displayName: 'ok', aiMessagesLimit: 1_000_000 }, 'aiMessagesLimit'],
    ];
    for (const [body, field] of cases) {
      const r = await rest(s, 'PUT', '/user/profile', { token: u.accessToken, body });
      expect(r.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(expectErrorShape(r.body).issues?.map((i) => i.field)).toContain(field);
    }
    const after = await rest(s, 'GET', '/user/profile', { token: u.accessToken });
    expect(after.body).toEqual(before.body);
  });

  it('400 for an invalid id in the path, 404 for a well-formed id that does not exist', async () => {
    for (const id of ['not-a-uuid', '1', "'%20OR%201=1", 'x'.repeat(3000)]) {
      const r = await rest(s, 'GET', `/chat/${id}`, { token: u.accessToken });
      expect(r.status, id.slice(0, 20)).toBe(400);
      expect(expectErrorShape(r.body).issues?.map((i) => i.field)).toContain('id');
    }
    const missing = await rest(s, 'GET', `/chat/${crypto.randomUUID()}`, { token: u.accessToken });
    expect(missing.status).toBe(404);
    expect(expectErrorShape(missing.body).code).toBe('NOT_FOUND');
  });

  it('400 INVALID_JSON for malformed JSON, and a JSON body that is not an object is bad input', async () => {
    const malformed = await rest(s, 'POST', '/auth/authenticate', { rawBody: '{"message": ' });
    expect(malformed.status).toBe(400);
    expect(expectErrorShape(malformed.body).reason).toBe('INVALID_JSON');
    const poisoned = await rest(s, 'POST', '/auth/refresh', {
      rawBody: '{"refreshToken":"x","__proto__":{"polluted":true}}',
    });
    expect(poisoned.status).toBe(400);
    for (const raw of ['[]', '"a string"', '42', 'null', 'true']) {
      const r = await rest(s, 'POST', '/auth/authenticate', { rawBody: raw });
      expect(r.status, raw).toBe(400);
      expectErrorShape(r.body);
    }
  });

  it('400 INVALID_BODY for a JSON body that is not an object, even where no input is needed, and nothing changes', async () => {
    const own = await s.signIn();
    const chatsBefore = await rest(s, 'GET', '/chat/', { token: own.accessToken, query: { limit: 100 } });
    for (const raw of ['[]', '17', '"oops"', 'null', 'true', '0']) {
      for (const path of ['/auth/logout', '/auth/logout-all', '/chat/']) {
        const r = await rest(s, 'POST', path, { token: own.accessToken, rawBody: raw });
        expect(r.status, `${path} ${raw}`).toBe(400);
        expect(expectErrorShape(r.body)).toMatchObject({
          reason: 'INVALID_BODY',
          message: 'The request body must be a JSON object.',
        });
      }
    }
    // Still signed in, and no chat was created.
    const chatsAfter = await rest(s, 'GET', '/chat/', { token: own.accessToken, query: { limit: 100 } });
    expect(chatsAfter.status).toBe(200);
    expect(chatsAfter.body).toEqual(chatsBefore.body);
  });

  it('400 INVALID_BODY for deeply nested JSON, before signing in, never a 500', async () => {
    const deep = `{"message":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    const r = await rest(s, 'POST', '/auth/authenticate', { rawBody: deep });
    expect(r.status).toBe(400);
    expect(expectErrorShape(r.body)).toMatchObject({
      reason: 'INVALID_BODY',
      message: expect.stringMatching(/nested deeper/),
    });
    const ok = await rest(s, 'POST', '/auth/authenticate', {
      rawBody: `{"message":${'['.repeat(20)}${']'.repeat(20)}}`,
    });
    expect(ok.status).toBe(400);
    expect(expectErrorShape(ok.body).reason).not.toBe('INVALID_BODY');
  });

  it('413 for a body over the limit', async () => {
    const big = JSON.stringify({ message: 'a'.repeat(s.config.bodyLimit + 10), signature: '0x00' });
    const r = await rest(s, 'POST', '/auth/authenticate', { rawBody: big });
    expect(r.status).toBe(413);
    expect(expectErrorShape(r.body).code).toBe('PAYLOAD_TOO_LARGE');
  });

  it.each([
    [
      'multipart/form-data; boundary=x',
      '--x\r\nContent-Disposition: form-data; name="title"\r\n\r\nx\r\n--x--\r\n',
    ],
    ['application/x-www-form-urlencoded', 'title=x'],
    ['text/plain', '{"title":"x"}'],
  ])('415 for a %s body on a REST mutation (CSRF guard), and nothing is written', async (type, raw) => {
    const before = await rest(s, 'GET', '/chat/', { token: u.accessToken, query: { limit: 100 } });
    const r = await rest(s, 'POST', '/chat/', {
      token: u.accessToken,
      rawBody: raw,
      headers: { 'content-type': type },
    });
    expect(r.status).toBe(415);
    expect(expectErrorShape(r.body).code).toBe('UNSUPPORTED_MEDIA_TYPE');
    const logout = await rest(s, 'POST', '/auth/logout-all', {
      token: u.accessToken,
      rawBody: raw,
      headers: { 'content-type': type },
    });
    expect(logout.status).toBe(415);
    const after = await rest(s, 'GET', '/chat/', { token: u.accessToken, query: { limit: 100 } });
    expect(after.status).toBe(200);
    expect(after.body).toEqual(before.body);
  });

  it('415 telling what to send for a POST with neither body nor content type', async () => {
    const r = await rest(s, 'POST', '/auth/logout-all', { token: u.accessToken });
    expect(r.status).toBe(415);
    expect(expectErrorShape(r.body).message).toContain('Content-Type: application/json');
    expect((await rest(s, 'GET', '/user/profile', { token: u.accessToken })).status).toBe(200);
  });

  it('415 for a body without a content type', async () => {
    const r = await fetch(`${s.url}/api/auth/refresh`, { method: 'POST', body: new Uint8Array([123, 125]) });
    // fetch labels a byte body with no content type; fastify and the guard both refuse it.
    expect([415]).toContain(r.status);
    expectErrorShape(await r.json());
  });
});

describe('REST mirror: domain errors keep their status', () => {
  it('403 for editing an AI message and 409 for deleting a reply still streaming, both left as they were', async () => {
    const created = await rest(s, 'POST', '/chat/', {
      token: u.accessToken,
      body: { title: 'domain errors' },
    });
    const chatId = (created.body as { id: string }).id;
    const db = s.app.resources.services.db;
    const ai = await insertMessage(db, { chatId, userId: u.userId, role: 'AI', content: 'model said' });
    const streaming = await insertMessage(db, {
      chatId,
      userId: u.userId,
      role: 'AI',
      content: 'partial',
      status: 'streaming',
    });
    if (!ai || !streaming) throw new Error('seed failed');

    const edit = await rest(s, 'PUT', `/message/${ai.message.id}`, {
      token: u.accessToken,
      body: { content: 'rewritten' },
    });
    expect(edit.status).toBe(403);
    expect(expectErrorShape(edit.body)).toMatchObject({ code: 'FORBIDDEN', reason: 'AI_MESSAGE_IMMUTABLE' });

    const del = await rest(s, 'DELETE', `/message/${streaming.message.id}`, { token: u.accessToken });
    expect(del.status).toBe(409);
    expect(expectErrorShape(del.body)).toMatchObject({ code: 'CONFLICT', reason: 'MESSAGE_STREAMING' });

    const after = await rest(s, 'GET', `/message/chat/${chatId}`, {
      token: u.accessToken,
      query: { limit: 10 },
    });
    expect(
      (after.body as { items: { id: string; content: string }[] }).items.map((m) => [m.id, m.content]),
    ).toEqual([
      [ai.message.id, 'model said'],
      [streaming.message.id, 'partial'],
    ]);
  });
});

describe('REST mirror: an unexpected failure', () => {
  it('is a 500 with a generic message and no stack or detail, even from a router with a dev error formatter', async () => {
    const t = initTRPC.meta<OpenApiMeta>().create({ isDev: true });
    const router = t.router({
      boom: t.procedure
        .meta({ openapi: { method: 'GET', path: '/boom', protect: false } })
        .input(z.strictObject({}).optional())
        .output(z.object({ ok: z.boolean() }))
        .query(() => {
          throw new Error('password=hunter2 at /srv/app/db.ts:12:5');
        }),
    });
    const app = Fastify({ logger: false });
    await registerRest(app, { router, createContext: () => ({}) as Context });
    try {
      const r = await app.inject({ method: 'GET', url: '/api/boom' });
      expect(r.statusCode).toBe(500);
      const e = expectErrorShape(r.json());
      expect(e.code).toBe('INTERNAL_SERVER_ERROR');
      expect(r.body).not.toContain('hunter2');
      expect(r.body).not.toContain('db.ts');
      expect(Object.keys(r.json()).sort()).toEqual(['code', 'message']);
    } finally {
      await app.close();
    }
  });
});

describe('REST mirror: rate limits', () => {
  it('429 with Retry-After once the per-IP sign-in budget is spent', async () => {
    const limited = await startServer({ env: { RATE_LIMIT_AUTH_PER_IP: '2' } });
    try {
      const q = { address: newWallet().address, chainId: 1 };
      const statuses: number[] = [];
      let last: Awaited<ReturnType<typeof rest>> | undefined;
      for (let i = 0; i < 3; i++) {
        last = await rest(limited, 'GET', '/auth/message', { query: q });
        statuses.push(last.status);
      }
      expect(statuses).toEqual([200, 200, 429]);
      expect(Number(last?.headers.get('retry-after'))).toBeGreaterThan(0);
      const e = expectErrorShape(last?.body);
      expect(e.code).toBe('TOO_MANY_REQUESTS');
      expect(e.reason).toBe('RATE_LIMITED');
    } finally {
      await limited.close();
    }
  });
});

describe('REST mirror keeps the tRPC API strict', () => {
  /**
   * trpc-to-openapi on its own sets `coerce` on the procedures' number and boolean schemas at the first REST
   * call, which loosens tRPC too (and turns "false" into true). A router with plain z.number()/z.boolean()
   * inputs shows what the plugin does instead.
   */
  async function strictApp() {
    const t = initTRPC.meta<OpenApiMeta>().create();
    const echoInput = z.strictObject({
      n: z.number().int(),
      flag: z.boolean().default(true),
      label: z.string().optional(),
    });
    const router = t.router({
      echo: t.procedure
        .meta({ openapi: { method: 'GET', path: '/echo', protect: false } })
        .input(echoInput)
        .output(echoInput)
        .query(({ input }) => input),
      save: t.procedure
        .meta({ openapi: { method: 'POST', path: '/save', protect: false } })
        .input(z.strictObject({ n: z.number().int(), flag: z.boolean() }))
        .output(z.object({ n: z.number(), flag: z.boolean() }))
        .mutation(({ input }) => input),
    });
    const app = Fastify({ logger: false });
    await registerRest(app, { router, createContext: () => ({}) as Context });
    return { app, router };
  }

  it('turns well-formed query numbers and booleans into their types, keeping 0 and false', async () => {
    const { app } = await strictApp();
    try {
      const ok = await app.inject({ method: 'GET', url: '/api/echo?n=0&flag=false&label=' });
      expect(ok.statusCode).toBe(200);
      expect(ok.json()).toEqual({ n: 0, flag: false, label: '' });
      const dflt = await app.inject({ method: 'GET', url: '/api/echo?n=-7' });
      expect(dflt.json()).toEqual({ n: -7, flag: true });
      for (const [q, field] of [
        ['n=abc', 'n'],
        ['n=1.5', 'n'],
        ['n=', 'n'],
        ['n=1&flag=yes', 'flag'],
        ['n=1&flag=1', 'flag'],
      ]) {
        const r = await app.inject({ method: 'GET', url: `/api/echo?${q}` });
        expect(r.statusCode, q).toBe(400);
        expect(expectErrorShape(r.json()).issues?.map((i) => i.field)).toContain(field);
      }
    } finally {
      await app.close();
    }
  });

  it('leaves JSON bodies and the tRPC side strict after REST calls', async () => {
    const { app, router } = await strictApp();
    try {
      expect((await app.inject({ method: 'GET', url: '/api/echo?n=5&flag=false' })).statusCode).toBe(200);
      const body = await app.inject({
        method: 'POST',
        url: '/api/save',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ n: '5', flag: 'false' }),
      });
      expect(body.statusCode).toBe(400);
      expect(
        expectErrorShape(body.json())
          .issues?.map((i) => i.field)
          .sort(),
      ).toEqual(['flag', 'n']);
      const caller = router.createCaller({});
      await expect(caller.echo({ n: '5' as unknown as number })).rejects.toMatchObject({
        code: 'BAD_REQUEST',
      });
      await expect(caller.save({ n: 1, flag: 'false' as unknown as boolean })).rejects.toMatchObject({
        code: 'BAD_REQUEST',
      });
    } finally {
      await app.close();
    }
  });

  it('reads chainId from the query string over REST while tRPC keeps it a number', async () => {
    const address = newWallet().address;
    const r = await rest(s, 'GET', '/auth/message', { query: { address, chainId: '8453' } });
    expect(r.status).toBe(200);
    expect((r.body as { message: string }).message).toContain('Chain ID: 8453');
    const input = encodeURIComponent(JSON.stringify({ address, chainId: '8453' }));
    const t = await fetch(`${s.url}/trpc/auth.message?input=${input}`);
    expect(t.status).toBe(400);
    await t.arrayBuffer();
  });

  it('serves numeric query inputs of the real API: in range 200, out of range or garbage 400 naming the field', async () => {
    for (const [limit, status] of [
      ['5', 200],
      ['0', 400],
      ['-1', 400],
      ['1e3', 400],
      ['abc', 400],
      ['', 400],
      ['true', 400],
    ] as const) {
      const r = await rest(s, 'GET', '/chat/recent', { token: u.accessToken, query: { limit } });
      expect(r.status, `limit=${limit}`).toBe(status);
      if (status === 400) expect(expectErrorShape(r.body).issues?.map((i) => i.field)).toContain('limit');
    }
  });
});

import type { AppRouter } from '@chatplatform/api';
import { createTRPCClient, httpBatchLink, httpLink, TRPCClientError } from '@trpc/client';
import { describe, expect, it } from 'vitest';
import type { TestServer } from './harness';
import { raw } from './http-raw';
import { errorCounts, livePair, ROUTES } from './trpc-pair';

/**
 * What fastify itself refuses (a body over BODY_LIMIT 413, a path parameter over maxParamLength 414, a path
 * that is not valid percent-encoding 400) comes back in the shape of the API it was sent to: tRPC's error
 * envelope on /trpc (an array with one entry per call for a batch, so that httpBatchLink gives each call its
 * error), the REST mirror's on /api. fastify answered all of these in its own JSON shape. The statuses stay.
 * So do the CSRF guard's 415 (it answered a generic `{ code, message }` on /trpc) and the 404 for a path under
 * /trpc that no procedure route matches (/trpc, /trpc/a/b: fastify's 404 in the generic shape), now tRPC's
 * NOT_FOUND as for an unknown procedure.
 */

const BODY_LIMIT = 4096;

const pair = livePair({ BODY_LIMIT: String(BODY_LIMIT) });

const each = describe.each(ROUTES);
const big = JSON.stringify({ title: 'x'.repeat(BODY_LIMIT) });
const json = { 'content-type': 'application/json' };

/** tRPC's error envelope for one call, as the rest of /trpc writes it. */
const trpcError = (code: string, httpStatus: number, reason: string) => ({
  error: {
    message: expect.any(String),
    code: expect.any(Number),
    data: { code, httpStatus, reason },
  },
});

each('%s: fastify refusals on /trpc in tRPC error shape', (name) => {
  it('413 for a body over the limit', async () => {
    const s = pair.server(name);
    const r = await raw(s.url, 'POST', '/trpc/chat.create', { headers: json, body: big });
    expect(r.status).toBe(413);
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.json).toEqual(trpcError('PAYLOAD_TOO_LARGE', 413, 'BODY_TOO_LARGE'));
    expect((r.json as { error: { message: string } }).error.message).toBe(
      `The request body is larger than ${BODY_LIMIT} bytes.`,
    );
    expect((r.json as { error: { code: number } }).error.code).toBe(-32013);
  });

  it('413 for a batch: one error per call', async () => {
    const s = pair.server(name);
    const r = await raw(s.url, 'POST', '/trpc/chat.create,chat.create?batch=1', {
      headers: json,
      body: JSON.stringify({ 0: { title: 'x'.repeat(BODY_LIMIT) } }),
    });
    expect(r.status).toBe(413);
    const one = trpcError('PAYLOAD_TOO_LARGE', 413, 'BODY_TOO_LARGE');
    expect(r.json).toEqual([one, one]);
  });

  it('414 for a procedure path over maxParamLength', async () => {
    const s = pair.server(name);
    const r = await raw(s.url, 'GET', `/trpc/${'a'.repeat(6000)}`);
    expect(r.status).toBe(414);
    expect(r.json).toEqual(trpcError('BAD_REQUEST', 414, 'URI_TOO_LONG'));
    const batch = await raw(s.url, 'GET', `/trpc/${'a'.repeat(3000)},${'b'.repeat(3000)}?batch=1`);
    expect(batch.status).toBe(414);
    expect(batch.json).toEqual([
      trpcError('BAD_REQUEST', 414, 'URI_TOO_LONG'),
      trpcError('BAD_REQUEST', 414, 'URI_TOO_LONG'),
    ]);
  });

  it.each([
    ['a malformed escape', '/trpc/user.profile%zz'],
    ['a truncated escape', '/trpc/user.profile%2'],
    ['a truncated UTF-8 sequence', '/trpc/%E0%A4%A'],
  ])('400 for a path with %s', async (_case, path) => {
    const s = pair.server(name);
    const r = await raw(s.url, 'GET', path);
    expect(r.status).toBe(400);
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.headers['x-request-id']).toBeDefined();
    expect(r.json).toEqual(trpcError('BAD_REQUEST', 400, 'INVALID_URL'));
    const batch = await raw(s.url, 'GET', `${path},user.limits?batch=1`);
    expect(batch.status).toBe(400);
    expect(batch.json).toEqual([
      trpcError('BAD_REQUEST', 400, 'INVALID_URL'),
      trpcError('BAD_REQUEST', 400, 'INVALID_URL'),
    ]);
  });

  it('the real client reads them as tRPC errors, each call its own', async () => {
    const s = pair.server(name);
    const headers = { authorization: `Bearer ${pair.token}` };
    const single = createTRPCClient<AppRouter>({ links: [httpLink({ url: `${s.url}/trpc`, headers })] });
    const batched = createTRPCClient<AppRouter>({
      links: [httpBatchLink({ url: `${s.url}/trpc`, headers })],
    });
    const title = 'x'.repeat(BODY_LIMIT);
    const errors = await Promise.all([
      single.chat.create.mutate({ title }).catch((e: unknown) => e),
      ...[0, 1].map(() => batched.chat.create.mutate({ title }).catch((e: unknown) => e)),
    ]);
    for (const e of errors) {
      expect(e).toBeInstanceOf(TRPCClientError);
      expect((e as TRPCClientError<AppRouter>).data).toMatchObject({
        code: 'PAYLOAD_TOO_LARGE',
        httpStatus: 413,
        reason: 'BODY_TOO_LARGE',
      });
    }
  });

  it('counts them in trpc_errors_total, under a real procedure name only', async () => {
    const s = pair.server(name);
    const before = await errorCounts(s);
    await raw(s.url, 'POST', '/trpc/chat.create', { headers: json, body: big });
    await raw(s.url, 'GET', `/trpc/${'a'.repeat(6000)}`);
    const after = await errorCounts(s);
    const delta = (k: string) => (after[k] ?? 0) - (before[k] ?? 0);
    expect(delta('{procedure="chat.create",code="PAYLOAD_TOO_LARGE"}')).toBe(1);
    expect(delta('{procedure="unknown",code="BAD_REQUEST"}')).toBe(1);
    expect(Object.keys(after).every((k) => !k.includes('aaaa'))).toBe(true);
  });
});

each("%s: the CSRF guard's 415 on /trpc in tRPC error shape", (name) => {
  const unsupported = trpcError('UNSUPPORTED_MEDIA_TYPE', 415, 'UNSUPPORTED_MEDIA_TYPE');

  it.each([
    ['a text/plain body', { 'content-type': 'text/plain' }, '{}'],
    ['a form body', { 'content-type': 'application/x-www-form-urlencoded' }, 'title=x'],
    ['no content type', {}, undefined],
  ])('415 for %s, one entry per call for a batch', async (_case, headers, body) => {
    const s = pair.server(name);
    const opts = {
      headers: { ...headers, authorization: `Bearer ${pair.token}` },
      ...(body ? { body } : {}),
    };
    const r = await raw(s.url, 'POST', '/trpc/chat.create', opts);
    expect(r.status).toBe(415);
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.headers['cache-control']).toBe('no-store');
    expect(r.json).toEqual(unsupported);
    expect((r.json as { error: { code: number } }).error.code).toBe(-32015);
    const batch = await raw(s.url, 'POST', '/trpc/chat.create,auth.logout,chat.create?batch=1', opts);
    expect(batch.status).toBe(415);
    expect(batch.json).toEqual([unsupported, unsupported, unsupported]);
  });

  it('the real client reads it as a tRPC error, each call of a batch its own', async () => {
    const s = pair.server(name);
    const headers = { authorization: `Bearer ${pair.token}`, 'content-type': 'text/plain' };
    const single = createTRPCClient<AppRouter>({ links: [httpLink({ url: `${s.url}/trpc`, headers })] });
    const batched = createTRPCClient<AppRouter>({
      links: [httpBatchLink({ url: `${s.url}/trpc`, headers })],
    });
    const errors = await Promise.all([
      single.chat.create.mutate({ title: 't' }).catch((e: unknown) => e),
      batched.chat.create.mutate({ title: 't' }).catch((e: unknown) => e),
      batched.auth.logout.mutate().catch((e: unknown) => e),
    ]);
    for (const e of errors) {
      expect(e).toBeInstanceOf(TRPCClientError);
      expect((e as TRPCClientError<AppRouter>).data).toMatchObject({
        code: 'UNSUPPORTED_MEDIA_TYPE',
        httpStatus: 415,
        reason: 'UNSUPPORTED_MEDIA_TYPE',
      });
    }
    // Nothing ran: still signed in.
    expect(
      (await fetch(`${s.url}/trpc/user.profile`, { headers: { authorization: `Bearer ${pair.token}` } }))
        .status,
    ).toBe(200);
  });

  it('counts it in trpc_errors_total, under the procedure named', async () => {
    const s = pair.server(name);
    const before = await errorCounts(s);
    await raw(s.url, 'POST', '/trpc/chat.create', { headers: { 'content-type': 'text/plain' }, body: '{}' });
    const after = await errorCounts(s);
    const k = '{procedure="chat.create",code="UNSUPPORTED_MEDIA_TYPE"}';
    expect((after[k] ?? 0) - (before[k] ?? 0)).toBe(1);
  });
});

each('%s: paths under /trpc that no procedure route matches: NOT_FOUND in tRPC error shape', (name) => {
  /** What tRPC itself answers for an unknown procedure, with `path` in place of its name. */
  const unknownProcedure = async (s: TestServer, path: string) => {
    const r = await raw(s.url, 'GET', '/trpc/no.such');
    expect(r.status).toBe(404);
    return JSON.parse(r.body.replaceAll('no.such', JSON.stringify(path).slice(1, -1))) as unknown;
  };

  it.each([
    ['/trpc', ''],
    ['/trpc/', ''],
    ['/trpc?input=%7B%7D', ''],
    ['/trpc/a/b', 'a/b'],
    ['/trpc/user.profile/extra?input=%7B%7D', 'user.profile/extra'],
    ['/trpc/a%20b/c', 'a b/c'],
  ])('%s: 404 as for an unknown procedure named %j', async (url, path) => {
    const s = pair.server(name);
    const r = await raw(s.url, 'GET', url);
    expect(r.status).toBe(404);
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.headers['cache-control']).toBe('no-store');
    expect(r.headers['x-request-id']).toBeDefined();
    expect(r.json).toEqual(await unknownProcedure(s, path));
    expect(r.json).toMatchObject({
      error: { code: -32004, data: { code: 'NOT_FOUND', httpStatus: 404, path } },
    });
  });

  it('a batch: one entry per call', async () => {
    const s = pair.server(name);
    const r = await raw(s.url, 'GET', '/trpc/a/b,user.profile?batch=1');
    expect(r.status).toBe(404);
    expect(r.json).toEqual([await unknownProcedure(s, 'a/b'), await unknownProcedure(s, 'user.profile')]);
    const bare = await raw(s.url, 'GET', '/trpc?batch=1');
    expect(bare.status).toBe(404);
    expect(bare.json).toEqual([await unknownProcedure(s, '')]);
  });

  it('every method: 404 (HEAD without a body; a POST before its body is read; TRACE before the CSRF guard)', async () => {
    const s = pair.server(name);
    const expected = await unknownProcedure(s, 'a/b');
    for (const [method, opts] of [
      ['POST', { headers: json, body: '{}' }],
      ['POST', { headers: json, body: '' }],
      ['POST', { headers: json, body: '{not json' }],
      ['TRACE', {}],
      ['DELETE', {}],
      ['PUT', { headers: { 'content-type': 'text/plain' }, body: 'x' }],
      ['OPTIONS', {}],
    ] as const) {
      const r = await raw(s.url, method, '/trpc/a/b', opts);
      expect(r.status, `${method} ${JSON.stringify(opts)}`).toBe(404);
      expect(r.json, method).toEqual(expected);
    }
    const head = await raw(s.url, 'HEAD', '/trpc/a/b');
    expect(head.status).toBe(404);
    expect(head.body).toBe('');
  });

  it('the real client reads it as a tRPC error (a client pointed at a wrong URL), each call of a batch its own', async () => {
    const s = pair.server(name);
    const headers = { authorization: `Bearer ${pair.token}` };
    const url = `${s.url}/trpc/v1`;
    const single = createTRPCClient<AppRouter>({ links: [httpLink({ url, headers })] });
    const batched = createTRPCClient<AppRouter>({ links: [httpBatchLink({ url, headers })] });
    const errors = await Promise.all([
      single.user.profile.query().catch((e: unknown) => e),
      batched.user.profile.query().catch((e: unknown) => e),
      batched.user.limits.query().catch((e: unknown) => e),
    ]);
    for (const e of errors) {
      expect(e).toBeInstanceOf(TRPCClientError);
      expect((e as TRPCClientError<AppRouter>).data).toMatchObject({ code: 'NOT_FOUND', httpStatus: 404 });
    }
  });

  it('counts each call in trpc_errors_total under "unknown", never under a name from the URL', async () => {
    const s = pair.server(name);
    const before = await errorCounts(s);
    await raw(s.url, 'GET', '/trpc/zzq/b');
    await raw(s.url, 'GET', '/trpc/zzq/b,user.profile?batch=1');
    const after = await errorCounts(s);
    const k = '{procedure="unknown",code="NOT_FOUND"}';
    expect((after[k] ?? 0) - (before[k] ?? 0)).toBe(3);
    const changed = Object.keys(after).filter((key) => after[key] !== before[key]);
    expect(changed).toEqual([k]);
  });
});

describe("the CSRF guard's 415 on /api in the REST error shape", () => {
  it('415 with the REST shape and reason, counted in trpc_errors_total', async () => {
    const before = await errorCounts(pair.fast);
    const r = await raw(pair.fast.url, 'POST', '/api/chat', {
      headers: { 'content-type': 'text/plain', authorization: `Bearer ${pair.token}` },
      body: '{"title":"x"}',
    });
    expect(r.status).toBe(415);
    expect(r.json).toEqual({
      code: 'UNSUPPORTED_MEDIA_TYPE',
      message:
        'Requests that send or change data must use Content-Type: application/json (an empty body is fine).',
      reason: 'UNSUPPORTED_MEDIA_TYPE',
    });
    const after = await errorCounts(pair.fast);
    const k = '{procedure="unknown",code="UNSUPPORTED_MEDIA_TYPE"}';
    expect((after[k] ?? 0) - (before[k] ?? 0)).toBe(1);
  });
});

describe('the CSRF guard covers /trpc and /api, not paths that merely begin alike', () => {
  it.each([['/apiary'], ['/trpcx/user.profile'], ['/api-docs']])(
    'POST %s with text/plain is the plain 404 of an unknown path, not a 415',
    async (path) => {
      const r = await raw(pair.fast.url, 'POST', path, {
        headers: { 'content-type': 'text/plain' },
        body: 'x',
      });
      expect(r.status).toBe(404);
    },
  );
});

describe('fastify refusals on /api in the REST error shape', () => {
  it('413 for a body over the limit (unchanged)', async () => {
    const r = await raw(pair.fast.url, 'POST', '/api/chat', { headers: json, body: big });
    expect(r.status).toBe(413);
    expect(r.json).toEqual({
      code: 'PAYLOAD_TOO_LARGE',
      message: `The request body is larger than ${BODY_LIMIT} bytes.`,
      reason: 'BODY_TOO_LARGE',
    });
  });

  it.each(['/api/user/profile%zz', '/api/chat/%E0%A4%A'])(
    '400 for a path that is not valid percent-encoding: %s',
    async (path) => {
      const r = await raw(pair.fast.url, 'GET', path);
      expect(r.status).toBe(400);
      expect(r.json).toEqual({
        code: 'BAD_REQUEST',
        message: 'The URL path is not valid percent-encoding.',
        reason: 'INVALID_URL',
      });
    },
  );
});

describe('no bad URL is a 500', () => {
  it.each([
    '/trpc/%',
    '/trpc/%00',
    '/trpc/%25zz',
    '/trpc/%2C%2C?batch=1',
    '/trpc/a%2Fb',
    '/trpc/%ZZ,%ZZ,%ZZ?batch=1&input=%zz',
    '/trpc/user.profile?input=%zz',
    '/trpc/user.profile?batch=1&input=%7B%22',
    '/trpc',
    '/trpc/a/b',
    '/trpc/a/b,user.profile?batch=1',
    '/trpc/%zz/b',
    '/trpc/a/%zz',
    '/api/%',
    '/api/chat/%C0%AF',
    '/api/user/profile',
    '/api/auth/logout',
    '/api/chat/recent',
    '/api/openapi.json',
    '/api/chat/..',
    '/api//%20',
    '/api//chat/%2e%2e/user/profile',
    '/api/chat?limit=%zz',
    '/%zz',
  ])('%s', async (path) => {
    for (const s of [pair.fast, pair.official]) {
      for (const method of ['GET', 'HEAD', 'POST', 'OPTIONS', 'TRACE', 'DELETE', 'PATCH']) {
        const r = await raw(s.url, method, path, method === 'POST' ? { headers: json, body: '{}' } : {});
        expect(r.status, `${method} ${path}`).toBeLessThan(500);
      }
    }
  });
});

import { describe, expect, it } from 'vitest';
import { raw } from './http-raw';
import { enc, livePair, ROUTES } from './trpc-pair';

/**
 * A method a tRPC path does not serve is refused with 405 METHOD_NOT_SUPPORTED and an Allow header (RFC 9110
 * §15.5.6), in tRPC's error shape, and nothing runs. TRACE and DELETE used to reach the CSRF guard (415), PUT
 * and PATCH tRPC (405 without Allow), and tRPC's own 405s (a GET to a mutation, a POST to a query) had no
 * Allow either. Every case runs on the server with the direct route and on the one with the official adapter.
 */

const pair = livePair();

const each = describe.each(ROUTES);

interface ErrorEntry {
  error: { message: string; data: { code: string; httpStatus: number; path?: string } };
}

each('%s: methods a tRPC path does not serve', (name) => {
  it.each([
    ['TRACE', '/trpc/user.profile', 'GET, HEAD, OPTIONS'],
    ['DELETE', '/trpc/user.profile', 'GET, HEAD, OPTIONS'],
    ['PUT', '/trpc/user.profile', 'GET, HEAD, OPTIONS'],
    ['PATCH', '/trpc/chat.create', 'POST, OPTIONS'],
    ['PROPFIND', '/trpc/chat.create', 'POST, OPTIONS'],
    ['QUERY', '/trpc/user.profile', 'GET, HEAD, OPTIONS'],
    ['TRACE', '/trpc/message.stream', 'GET, HEAD, OPTIONS'],
  ])('%s %s: 405 with Allow: %s', async (method, path, allow) => {
    const r = await raw(pair.server(name).url, method, path, {
      headers: { authorization: `Bearer ${pair.token}` },
    });
    expect(r.status).toBe(405);
    expect(r.headers.allow).toBe(allow);
    expect(r.headers['content-type']).toBe('application/json');
    const procedure = path.slice('/trpc/'.length);
    expect(r.json).toMatchObject({
      error: {
        code: -32005,
        message: expect.stringContaining(`Unsupported ${method}-request`),
        data: { code: 'METHOD_NOT_SUPPORTED', httpStatus: 405, path: procedure },
      },
    });
  });

  it("tRPC's own 405s carry Allow too", async () => {
    const s = pair.server(name);
    const get = await raw(s.url, 'GET', '/trpc/chat.create');
    expect(get.status).toBe(405);
    expect(get.headers.allow).toBe('POST, OPTIONS');
    const post = await raw(s.url, 'POST', '/trpc/user.profile', {
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD, OPTIONS');
  });

  it('a DELETE with a JSON body runs no mutation', async () => {
    const s = pair.server(name);
    const { accessToken } = await s.signIn();
    const headers = { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' };
    for (const method of ['DELETE', 'PUT', 'PATCH'])
      expect((await raw(s.url, method, '/trpc/chat.create', { headers, body: '{"title":"t"}' })).status).toBe(
        405,
      );
    const list = await fetch(`${s.url}/trpc/chat.list?input=${enc({})}`, {
      headers: { authorization: `Bearer ${accessToken}` },
    }).then((r) => r.json() as Promise<{ result: { data: { items: unknown[] } } }>);
    expect(list.result.data.items).toEqual([]);
  });

  it('an unknown procedure: 404, as for GET', async () => {
    const r = await raw(pair.server(name).url, 'TRACE', '/trpc/no.such');
    expect(r.status).toBe(404);
    expect(r.headers.allow).toBeUndefined();
    expect(r.json).toMatchObject({
      error: { data: { code: 'NOT_FOUND', httpStatus: 404, path: 'no.such' } },
    });
  });

  it('a batch: one entry per call', async () => {
    const r = await raw(pair.server(name).url, 'TRACE', '/trpc/user.profile,user.limits?batch=1');
    expect(r.status).toBe(405);
    expect(r.headers.allow).toBe('GET, HEAD, OPTIONS');
    const body = r.json as ErrorEntry[];
    expect(body.map((e) => [e.error.data.code, e.error.data.path])).toEqual([
      ['METHOD_NOT_SUPPORTED', 'user.profile'],
      ['METHOD_NOT_SUPPORTED', 'user.limits'],
    ]);
    // A call to no procedure makes it a mixed answer, as tRPC's (207).
    const mixed = await raw(pair.server(name).url, 'TRACE', '/trpc/user.profile,no.such?batch=1');
    expect(mixed.status).toBe(207);
    expect((mixed.json as ErrorEntry[]).map((e) => e.error.data.httpStatus)).toEqual([405, 404]);
  });

  it('a 405 to a cross-origin caller still carries the CORS headers', async () => {
    const origin = 'http://localhost:5173';
    const r = await raw(pair.server(name).url, 'DELETE', '/trpc/user.profile', { headers: { origin } });
    expect(r.status).toBe(405);
    expect(r.headers['access-control-allow-origin']).toBe(origin);
  });
});

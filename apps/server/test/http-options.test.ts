import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './harness';
import { raw } from './http-raw';

/**
 * OPTIONS without an Origin header is not a CORS preflight: it answers 204 with an Allow header listing what
 * the path serves (RFC 9110 §9.3.7), or 404 where GET would. @fastify/cors refused it with 400 text/plain.
 * Preflights (an Origin) are @fastify/cors's, unchanged.
 */

let s: TestServer;
beforeAll(async () => {
  s = await startServer();
});
afterAll(async () => s?.close());

const allowOf = async (path: string) => {
  const r = await raw(s.url, 'OPTIONS', path);
  expect(r.status, path).toBe(204);
  expect(r.body).toBe('');
  return r.headers.allow;
};

describe('OPTIONS without Origin', () => {
  it('on a tRPC procedure: the methods of its type', async () => {
    expect(await allowOf('/trpc/user.profile')).toBe('GET, HEAD, OPTIONS');
    expect(await allowOf('/trpc/message.stream')).toBe('GET, HEAD, OPTIONS');
    expect(await allowOf('/trpc/chat.create')).toBe('POST, OPTIONS');
    expect(await allowOf('/trpc/chat.create,user.profile?batch=1')).toBe('GET, HEAD, POST, OPTIONS');
  });

  it('on a REST path: the operations the OpenAPI document has there', async () => {
    const doc = (await fetch(`${s.url}/api/openapi.json`).then((r) => r.json())) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const order = ['get', 'head', 'post', 'put', 'patch', 'delete', 'options'];
    let checked = 0;
    for (const [path, item] of Object.entries(doc.paths)) {
      const methods = new Set(Object.keys(item).filter((m) => order.includes(m)));
      if (methods.has('get')) methods.add('head');
      methods.add('options');
      const expected = order
        .filter((m) => methods.has(m))
        .map((m) => m.toUpperCase())
        .join(', ');
      const concrete = path.replace(/\{[^}]+\}/g, '00000000-0000-4000-8000-000000000000');
      expect(await allowOf(`/api${concrete}`), path).toBe(expected);
      checked++;
    }
    expect(checked).toBeGreaterThan(10);
  });

  it('on other routes: their methods', async () => {
    for (const path of ['/healthz', '/readyz', '/metrics', '/.well-known/jwks.json', '/api/openapi.json'])
      expect(await allowOf(path), path).toBe('GET, HEAD, OPTIONS');
    expect(await allowOf('/api/docs/swagger-ui.css')).toBe('GET, HEAD, OPTIONS');
  });

  it('404 where GET answers 404, each in its own shape', async () => {
    const trpc = await raw(s.url, 'OPTIONS', '/trpc/no.such');
    expect(trpc.status).toBe(404);
    expect(trpc.json).toMatchObject({ error: { data: { code: 'NOT_FOUND', httpStatus: 404 } } });
    const rest = await raw(s.url, 'OPTIONS', '/api/no/such/path');
    expect(rest.status).toBe(404);
    expect(rest.json).toEqual({ code: 'NOT_FOUND', message: 'Not found', reason: 'NOT_FOUND' });
    const other = await raw(s.url, 'OPTIONS', '/no/such/path');
    expect(other.status).toBe(404);
    expect(other.json).toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('CORS preflights are unchanged', () => {
  const origin = 'http://localhost:5173';

  it('a preflight from an allowed origin: 204 with the CORS headers, no Allow', async () => {
    const r = await raw(s.url, 'OPTIONS', '/trpc/chat.create', {
      headers: { origin, 'access-control-request-method': 'POST' },
    });
    expect(r.status).toBe(204);
    expect(r.headers['access-control-allow-origin']).toBe(origin);
    expect(r.headers['access-control-allow-methods']).toBe('GET, POST, PUT, PATCH, DELETE, OPTIONS');
    expect(r.headers.allow).toBeUndefined();
  });

  it('a preflight from another origin: no CORS grant', async () => {
    const r = await raw(s.url, 'OPTIONS', '/api/user/profile', {
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'PUT' },
    });
    expect(r.status).toBe(204);
    expect(r.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('an OPTIONS with an Origin but no Access-Control-Request-Method: still 400', async () => {
    const r = await raw(s.url, 'OPTIONS', '/trpc/user.profile', { headers: { origin } });
    expect(r.status).toBe(400);
    expect(r.body).toBe('Invalid Preflight Request');
  });
});

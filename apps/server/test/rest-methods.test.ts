import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMetric, startServer, type TestServer } from './harness';
import { answerHeaders, raw } from './http-raw';
import { expectErrorShape, type RestUser, rest, restSignIn } from './rest-helpers';
import { errorCounts } from './trpc-pair';

/**
 * A method a REST path under /api does not serve answers 405 Method Not Allowed with an Allow header listing
 * those it does (RFC 9110 §15.5.6), in the REST error shape, and nothing runs; trpc-to-openapi answered 404
 * (fastify 404 for TRACE and the like), as for a path that does not exist. The methods come from the OpenAPI
 * document the mirror is built from, its most specific path that matches (/chat/recent is GET only, not a
 * chat id). A path the document has for no method stays 404; OPTIONS and HEAD (as GET) keep their rules.
 */

let s: TestServer;
let u: RestUser;
let doc: { paths: Record<string, Record<string, unknown>> };
beforeAll(async () => {
  s = await startServer();
  u = await restSignIn(s);
  doc = (await fetch(`${s.url}/api/openapi.json`).then((r) => r.json())) as typeof doc;
});
afterAll(async () => s?.close());

const ORDER = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
const UUID = '00000000-0000-4000-8000-000000000000';
const json = { 'content-type': 'application/json' };

/** The Allow header the document gives one of its paths: its operations, HEAD with GET, OPTIONS always. */
const allowFromDocument = (template: string) => {
  const methods = new Set(['OPTIONS']);
  for (const m of Object.keys(doc.paths[template] ?? {}))
    if (ORDER.includes(m.toUpperCase())) methods.add(m.toUpperCase());
  if (methods.has('GET')) methods.add('HEAD');
  return ORDER.filter((m) => methods.has(m)).join(', ');
};

describe('405 on /api for a method the path does not serve', () => {
  it('every path of the document, every method it lacks: 405, Allow from the document, REST error shape', async () => {
    let checked = 0;
    for (const template of Object.keys(doc.paths)) {
      const path = template.replace(/\{[^}]+\}/g, UUID);
      const allow = allowFromDocument(template);
      for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'TRACE']) {
        if (allow.split(', ').includes(method)) continue;
        const r = await raw(s.url, method, `/api${path}`, {
          headers: { ...json, authorization: `Bearer ${u.accessToken}` },
          ...(method === 'GET' || method === 'TRACE' ? {} : { body: '{}' }),
        });
        const what = `${method} ${path}`;
        expect(r.status, what).toBe(405);
        expect(r.headers.allow, what).toBe(allow);
        expect(r.headers['content-type'], what).toMatch(/^application\/json/);
        expect(r.json, what).toEqual({
          code: 'METHOD_NOT_SUPPORTED',
          message: `This path does not serve ${method}: it allows ${allow}.`,
          reason: 'METHOD_NOT_SUPPORTED',
        });
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(40);
  });

  it('the examples: DELETE on a GET/PUT path, GET on a POST path, a static path next to a {param} one', async () => {
    const del = await rest(s, 'DELETE', '/user/profile', { token: u.accessToken });
    expect(del.status).toBe(405);
    expect(del.headers.get('allow')).toBe('GET, HEAD, PUT, OPTIONS');
    expect(expectErrorShape(del.body).code).toBe('METHOD_NOT_SUPPORTED');
    const get = await rest(s, 'GET', '/auth/logout');
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST, OPTIONS');
    // /chat/recent is its own resource, GET only: DELETE there is no DELETE /chat/{id} of a chat "recent" (400).
    for (const method of ['DELETE', 'PUT'] as const) {
      const r = await rest(s, method, '/chat/recent', { token: u.accessToken, body: {} });
      expect(r.status, method).toBe(405);
      expect(r.headers.get('allow'), method).toBe('GET, HEAD, OPTIONS');
    }
  });

  it('OPTIONS lists the same methods as the 405', async () => {
    for (const path of ['/user/profile', '/auth/logout', '/chat/recent', `/chat/${UUID}`, '/chat/']) {
      const options = await raw(s.url, 'OPTIONS', `/api${path}`);
      const refused = await raw(s.url, 'TRACE', `/api${path}`);
      expect(options.status, path).toBe(204);
      expect(refused.status, path).toBe(405);
      expect(refused.headers.allow, path).toBe(options.headers.allow);
    }
  });

  it("the REST mirror's own routes below /api too (the OpenAPI document)", async () => {
    const r = await raw(s.url, 'DELETE', '/api/openapi.json');
    expect(r.status).toBe(405);
    expect(r.headers.allow).toBe('GET, HEAD, OPTIONS');
    expect(expectErrorShape(r.json).code).toBe('METHOD_NOT_SUPPORTED');
  });

  it('a path the document has for no method stays 404', async () => {
    for (const method of ['GET', 'POST', 'DELETE', 'PUT'] as const) {
      const body = method === 'GET' ? {} : { body: {} };
      const r = await rest(s, method, '/no/such/path', { token: u.accessToken, ...body });
      expect(r.status, method).toBe(404);
      expect(r.headers.get('allow'), method).toBeNull();
      expect(expectErrorShape(r.body).code).toBe('NOT_FOUND');
    }
  });

  it('/api itself, and a method no route takes on a path nothing serves: the REST 404, counted as GET there is', async () => {
    const series = 'trpc_errors_total{procedure="unknown",code="NOT_FOUND"}';
    const before = await readMetric(s.url, series);
    const get = await raw(s.url, 'GET', '/api/no/such/path');
    const cases = [
      ['TRACE', '/api/no/such/path'],
      ['PROPFIND', '/api/no/such/path'],
      ['GET', '/api'],
      ['TRACE', '/api'],
      ['OPTIONS', '/api?x=1'],
    ] as const;
    for (const [method, path] of cases) {
      const r = await raw(s.url, method, path);
      expect(r.status, `${method} ${path}`).toBe(404);
      expect(r.headers.allow, `${method} ${path}`).toBeUndefined();
      expect(r.body, `${method} ${path}`).toBe(get.body);
    }
    expect(expectErrorShape(JSON.parse(get.body))).toMatchObject({ code: 'NOT_FOUND', reason: 'NOT_FOUND' });
    expect(await readMetric(s.url, series)).toBe(before + 1 + cases.length);
    // Outside the API, a path nothing serves keeps the server's generic 404.
    const apiary = await raw(s.url, 'TRACE', '/apiary');
    expect(apiary.status).toBe(404);
    expect(apiary.body).not.toBe(get.body);
  });

  it('HEAD answers as GET does: 405 on a path without GET, with the same headers and no body', async () => {
    const get = await raw(s.url, 'GET', '/api/auth/logout');
    const head = await raw(s.url, 'HEAD', '/api/auth/logout');
    expect(head.status).toBe(405);
    expect(answerHeaders(head.headers)).toEqual(answerHeaders(get.headers));
    expect(head.body).toBe('');
    expect(Number(head.headers['content-length'])).toBe(Buffer.byteLength(get.body));
    // And a path with GET is not refused.
    expect((await raw(s.url, 'HEAD', '/api/auth/config')).status).toBe(200);
  });

  it('nothing runs: a wrong method with a valid JSON body changes nothing', async () => {
    const created = await rest(s, 'POST', '/chat/', { token: u.accessToken, body: { title: 'before' } });
    expect(created.status).toBe(200);
    const id = (created.body as { id: string }).id;
    for (const method of ['POST', 'PATCH'] as const) {
      const r = await rest(s, method, `/chat/${id}`, { token: u.accessToken, body: { title: 'after' } });
      expect(r.status, method).toBe(405);
    }
    const after = await rest(s, 'GET', `/chat/${id}`, { token: u.accessToken });
    expect(after.body).toMatchObject({ id, title: 'before' });
  });

  it('comes before the CSRF guard (a method no path serves is no change of data) and carries CORS headers', async () => {
    const plain = await raw(s.url, 'DELETE', '/api/user/profile', {
      headers: { 'content-type': 'text/plain' },
      body: 'x',
    });
    expect(plain.status).toBe(405);
    const origin = 'http://localhost:5173';
    const cors = await raw(s.url, 'DELETE', '/api/user/profile', { headers: { origin } });
    expect(cors.status).toBe(405);
    expect(cors.headers['access-control-allow-origin']).toBe(origin);
  });

  it('counts in trpc_errors_total as METHOD_NOT_SUPPORTED (the 404 it was counted as before no more)', async () => {
    const before = await errorCounts(s);
    const requests = () =>
      readMetric(s.url, 'http_requests_total{method="DELETE",route="/api/*",status="405"}');
    const requestsBefore = await requests();
    await raw(s.url, 'DELETE', '/api/user/profile');
    const after = await errorCounts(s);
    const delta = (k: string) => (after[k] ?? 0) - (before[k] ?? 0);
    expect(delta('{procedure="unknown",code="METHOD_NOT_SUPPORTED"}')).toBe(1);
    expect(delta('{procedure="unknown",code="NOT_FOUND"}')).toBe(0);
    expect(await requests()).toBe(requestsBefore + 1);
  });
});

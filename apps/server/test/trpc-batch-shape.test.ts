import type { AppRouter } from '@chatplatform/api';
import { createTRPCClient, httpBatchLink, httpBatchStreamLink, TRPCClientError } from '@trpc/client';
import { describe, expect, it } from 'vitest';
import type { TestServer } from './harness';
import { enc, livePair, ROUTES } from './trpc-pair';

/**
 * A tRPC batch (`?batch=1`) whose input is not an object keyed by the call indices is refused with 400 before
 * any procedure runs (src/plugins/trpc-batch-guard.ts). tRPC alone reads call i's input as `input[i]` and runs
 * the procedure without input when that key is missing. Every case runs on the server with the direct route and
 * on the one with the official adapter alone (TRPC_FAST_PATH=false): the guard covers both.
 */

const MESSAGE = "A batch's input must be an object keyed by the call indices 0..n-1";

const pair = livePair();

const each = describe.each(ROUTES);

const auth = (token: string) => ({ authorization: `Bearer ${token}` });
const post = (s: TestServer, path: string, token: string, body: string) =>
  fetch(`${s.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...auth(token) },
    body,
  });

async function chatTitles(s: TestServer, token: string): Promise<string[]> {
  const res = await fetch(`${s.url}/trpc/chat.list?input=${enc({ limit: 100 })}`, { headers: auth(token) });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { result: { data: { items: { title: string }[] } } };
  return body.result.data.items.map((c) => c.title);
}

async function expectRefused(res: Response, message = MESSAGE) {
  expect(res.status).toBe(400);
  expect(res.headers.get('content-type')).toBe('application/json');
  const body = (await res.json()) as { error: { message: string; code: number; data: { code: string } } };
  expect(body).toMatchObject({
    error: { message, code: -32600, data: { code: 'BAD_REQUEST', httpStatus: 400, reason: 'BAD_REQUEST' } },
  });
}

each('%s: a batch whose input has not the batch shape is refused', (name) => {
  it('a mutation input posted as is to a batch: 400, and no chat created', async () => {
    const s = pair.server(name);
    const { accessToken } = await s.signIn();
    const before = await chatTitles(s, accessToken);
    await expectRefused(await post(s, '/trpc/chat.create?batch=1', accessToken, '{"title":"My title"}'));
    // The same through the streaming batch link's header.
    const streamed = await fetch(`${s.url}/trpc/chat.create?batch=1`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'trpc-accept': 'application/jsonl',
        ...auth(accessToken),
      },
      body: '{"title":"My title"}',
    });
    await expectRefused(streamed);
    expect(await chatTitles(s, accessToken)).toEqual(before);
  });

  it.each([
    ['an unknown key', '{"x":1}'],
    ['an array', '[{}]'],
    ['a string', '"x"'],
    ['null', 'null'],
    ['an index out of range', '{"1":{}}'],
    ['an index with a leading zero', '{"00":{}}'],
  ])('a no-input mutation with %s as a batch input: 400, and the session stays', async (_what, body) => {
    const s = pair.server(name);
    const { accessToken } = await s.signIn();
    await expectRefused(await post(s, '/trpc/auth.logout?batch=1', accessToken, body));
    const profile = await fetch(`${s.url}/trpc/user.profile`, { headers: auth(accessToken) });
    expect(profile.status).toBe(200);
  });

  it('malformed JSON in a batch to a no-input mutation: 400, and the session stays', async () => {
    const s = pair.server(name);
    const { accessToken } = await s.signIn();
    const res = await post(s, '/trpc/auth.logout?batch=1', accessToken, '{bad');
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { data: { code: string } } }).error.data.code).toBe('BAD_REQUEST');
    expect((await fetch(`${s.url}/trpc/user.profile`, { headers: auth(accessToken) })).status).toBe(200);
  });

  it('extra keys for a batch of one: 400, and nothing created', async () => {
    const s = pair.server(name);
    const { accessToken } = await s.signIn();
    const body = JSON.stringify({ 0: { title: 'First' }, 1: { title: 'Second' } });
    await expectRefused(await post(s, '/trpc/chat.create?batch=1', accessToken, body));
    // A key beyond the calls of a batch of two.
    const two = JSON.stringify({ 0: { title: 'A' }, 2: { title: 'C' } });
    await expectRefused(await post(s, '/trpc/chat.create,chat.create?batch=1', accessToken, two));
    expect(await chatTitles(s, accessToken)).toEqual([]);
  });

  it.each([
    ['an extra key', { 5: {} }],
    ['a plain query input', { limit: 1 }],
    ['an array', [{}]],
  ])('a GET batch with %s: 400', async (_what, input) => {
    const s = pair.server(name);
    const { accessToken } = await s.signIn();
    await expectRefused(
      await fetch(`${s.url}/trpc/user.profile?batch=1&input=${enc(input)}`, { headers: auth(accessToken) }),
    );
    await expectRefused(
      await fetch(`${s.url}/trpc/chat.list,user.profile?batch=1&input=${enc(input)}`, {
        headers: { ...auth(accessToken), 'trpc-accept': 'application/jsonl' },
      }),
    );
  });

  it('well-formed raw batches still run: indices, missing keys, no input at all', async () => {
    const s = pair.server(name);
    const { accessToken } = await s.signIn();
    const res = await post(
      s,
      '/trpc/chat.create,chat.create,chat.create?batch=1',
      accessToken,
      JSON.stringify({ 0: { title: 'A' }, 2: { title: 'C' } }),
    );
    expect(res.status).toBe(200);
    expect((await chatTitles(s, accessToken)).sort()).toEqual(['A', 'C', 'New chat']);
    for (const path of [
      '/trpc/user.profile?batch=1',
      '/trpc/user.profile?batch=1&input=',
      `/trpc/user.profile?batch=1&input=${enc({})}`,
      `/trpc/user.profile,chat.list?batch=1&input=${enc({ 1: { limit: 1 } })}`,
    ]) {
      const r = await fetch(`${s.url}${path}`, { headers: auth(accessToken) });
      expect(r.status, path).toBe(200);
    }
    // `batch` other than 1 is no batch: the input is the call's own.
    const single = await post(s, '/trpc/chat.create?batch=0', accessToken, '{"title":"Single"}');
    expect(single.status).toBe(200);
    expect(await chatTitles(s, accessToken)).toContain('Single');
    // An empty body: no input for any call.
    const logout = await post(s, '/trpc/auth.logout?batch=1', accessToken, '');
    expect(logout.status).toBe(200);
  });
});

describe.each([
  ['httpBatchLink', httpBatchLink],
  ['httpBatchStreamLink', httpBatchStreamLink],
] as const)('@trpc/client %s keeps working', (_kind, link) => {
  it.each(ROUTES)('on the %s', async (name) => {
    const s = pair.server(name);
    const { accessToken } = await s.signIn();
    const sent: string[] = [];
    const client = createTRPCClient<AppRouter>({
      links: [
        link({
          url: `${s.url}/trpc`,
          headers: auth(accessToken),
          fetch: async (input, init) => {
            sent.push(
              `${String(input).replace(s.url, '')} ${typeof init?.body === 'string' ? init.body : ''}`,
            );
            return fetch(input, init);
          },
        }),
      ],
    });
    // One batch: calls with and without input, queries in another.
    const [a, b, c] = await Promise.all([
      client.chat.create.mutate({ title: 'Alpha' }),
      client.chat.create.mutate(),
      client.chat.create.mutate({ title: 'Gamma' }),
    ]);
    expect([a.title, b.title, c.title]).toEqual(['Alpha', 'New chat', 'Gamma']);
    const [profile, list, missing] = await Promise.all([
      client.user.profile.query(),
      client.chat.list.query({ limit: 10 }),
      client.chat.byId.query({ id: '00000000-0000-4000-8000-000000000000' }).catch((e: unknown) => e),
    ]);
    expect(profile.id).toBeTypeOf('string');
    expect(list.items.map((i) => i.title).sort()).toEqual(['Alpha', 'Gamma', 'New chat']);
    expect(missing).toBeInstanceOf(TRPCClientError);
    expect((missing as TRPCClientError<AppRouter>).data?.code).toBe('NOT_FOUND');
    // A no-input mutation alone: the client sends an empty body or an empty object.
    await expect(client.auth.logout.mutate()).resolves.toEqual({ success: true });
    await expect(client.user.profile.query()).rejects.toMatchObject({ data: { reason: 'SESSION_REVOKED' } });
    expect(sent.length).toBeGreaterThanOrEqual(4);
    expect(sent.every((r) => r.includes('batch=1'))).toBe(true);
    expect(sent.find((r) => r.startsWith('/trpc/auth.logout'))).toBe('/trpc/auth.logout?batch=1 {}');
  });
});

import type { AppRouter } from '@chatplatform/api';
import { newWallet } from '@chatplatform/testing/wallet';
import {
  createTRPCClient,
  httpBatchLink,
  httpBatchStreamLink,
  httpLink,
  TRPCClientError,
  type TRPCLink,
} from '@trpc/client';
import { describe, expect, it } from 'vitest';
import { enc, errorCounts, livePair, type Snapshot, snapshot } from './trpc-pair';

/**
 * The direct tRPC route (src/plugins/trpc-fast.ts) must be indistinguishable from the official adapter for
 * queries and mutations: the same results, error shapes, status codes, headers and body bytes, through the
 * real @trpc/client and through raw HTTP, on the pair of servers of trpc-pair.ts. Which path served a
 * request shows in the framing only: the direct route writes one buffer with a content-length, the official
 * adapter streams its Response (chunked). Subscriptions: trpc-fast-sse.test.ts.
 */

const pair = livePair();

const delta = (before: Record<string, number>, after: Record<string, number>) =>
  Object.fromEntries(
    Object.entries(after)
      .map(([k, v]) => [k, v - (before[k] ?? 0)] as const)
      .filter(([, d]) => d !== 0),
  );

describe('raw HTTP: the direct route answers byte for byte like the official adapter', () => {
  const json = { 'content-type': 'application/json' };
  const auth = () => ({ authorization: `Bearer ${pair.token}` });
  /** direct: whether the direct route serves it; null when no tRPC handler is reached at all. */
  type Case = [name: string, path: string, init: () => RequestInit, status: number, direct: boolean | null];
  const cases: Case[] = [
    ['query without a token', '/trpc/user.profile', () => ({}), 401, true],
    ['query with a token', '/trpc/user.profile', () => ({ headers: auth() }), 200, true],
    [
      'query with an empty input parameter',
      '/trpc/user.profile?input=',
      () => ({ headers: auth() }),
      200,
      true,
    ],
    ['malformed input JSON', '/trpc/user.profile?input=%7Bbad', () => ({ headers: auth() }), 400, true],
    [
      'input of the wrong type',
      `/trpc/user.profile?input=${enc('x')}`,
      () => ({ headers: auth() }),
      400,
      true,
    ],
    [
      'zod error naming the field',
      `/trpc/user.byWallet?input=${enc({ address: '0x12' })}`,
      () => ({ headers: auth() }),
      400,
      true,
    ],
    [
      'unencoded quotes, braces and + in the query string',
      '/trpc/user.byWallet?input={"address":"0x+1"}',
      () => ({ headers: auth() }),
      400,
      true,
    ],
    [
      'NOT_FOUND from the procedure',
      `/trpc/chat.byId?input=${enc({ id: '00000000-0000-4000-8000-000000000000' })}`,
      () => ({ headers: auth() }),
      404,
      true,
    ],
    ['public query', '/trpc/auth.config', () => ({}), 200, true],
    [
      'CORS request from an allowed origin',
      '/trpc/auth.config',
      () => ({ headers: { origin: 'http://localhost:3000' } }),
      200,
      true,
    ],
    ['percent-encoded dot in the path', '/trpc/user%2Eprofile', () => ({ headers: auth() }), 200, true],
    [
      'double-encoded path (tRPC decodes once more)',
      '/trpc/user%252Eprofile',
      () => ({ headers: auth() }),
      200,
      false,
    ],
    ['unknown procedure', '/trpc/nope.nothing', () => ({ headers: auth() }), 404, false],
    ['a router, not a procedure', '/trpc/user', () => ({ headers: auth() }), 404, false],
    ['GET on a mutation', '/trpc/user.updateProfile', () => ({ headers: auth() }), 405, false],
    [
      'POST on a query',
      '/trpc/user.profile',
      () => ({ method: 'POST', headers: { ...json, ...auth() }, body: '{}' }),
      405,
      false,
    ],
    [
      'mutation with a zod error',
      '/trpc/user.updateProfile',
      () => ({ method: 'POST', headers: { ...json, ...auth() }, body: '{"displayName":5}' }),
      400,
      true,
    ],
    [
      'mutation with an unknown field',
      '/trpc/user.updateProfile',
      () => ({
        method: 'POST',
        headers: { ...json, ...auth() },
        body: '{"displayName":"a","apiCallsLimit":9}',
      }),
      400,
      true,
    ],
    [
      'mutation with a malformed JSON body',
      '/trpc/user.updateProfile',
      () => ({ method: 'POST', headers: { ...json, ...auth() }, body: '{bad' }),
      400,
      true,
    ],
    [
      'mutation without a token',
      '/trpc/user.updateProfile',
      () => ({ method: 'POST', headers: json, body: '{"displayName":"a"}' }),
      401,
      true,
    ],
    [
      'content type with a charset and in upper case',
      '/trpc/user.updateProfile',
      () => ({
        method: 'POST',
        headers: { 'content-type': 'Application/JSON; charset=utf-8', ...auth() },
        body: '{"displayName":5}',
      }),
      400,
      true,
    ],
    [
      'public mutation refusing a bad signature',
      '/trpc/auth.authenticate',
      () => ({
        method: 'POST',
        headers: json,
        body: JSON.stringify({ message: 'hello', signature: '0x1234' }),
      }),
      400,
      true,
    ],
    [
      'empty JSON body (the official handler judges it)',
      '/trpc/user.updateProfile',
      () => ({ method: 'POST', headers: { ...json, ...auth() } }),
      400,
      false,
    ],
    [
      'body with a byte order mark (the official handler judges it)',
      '/trpc/user.updateProfile',
      () => ({ method: 'POST', headers: { ...json, ...auth() }, body: '\uFEFF{"displayName":5}' }),
      400,
      false,
    ],
    [
      'POST with no content type (refused before tRPC)',
      '/trpc/user.updateProfile',
      () => ({ method: 'POST', headers: auth(), body: '{"displayName":"a"}' }),
      415,
      null,
    ],
    [
      'multipart POST (refused before tRPC)',
      '/trpc/auth.logout',
      () => ({
        method: 'POST',
        headers: { 'content-type': 'multipart/form-data; boundary=x', ...auth() },
        body: '--x--\r\n',
      }),
      415,
      null,
    ],
    [
      'GET with a content type',
      '/trpc/user.profile',
      () => ({ headers: { ...json, ...auth() } }),
      200,
      false,
    ],
    ['batch of one', `/trpc/user.profile?batch=1&input=${enc({})}`, () => ({ headers: auth() }), 200, false],
    [
      'batch of two with one error (207)',
      `/trpc/user.profile,user.byWallet?batch=1&input=${enc({ 1: { address: 'x' } })}`,
      () => ({ headers: auth() }),
      207,
      false,
    ],
    [
      'streamed batch of one (httpBatchStreamLink)',
      `/trpc/user.profile?batch=1&input=${enc({})}`,
      () => ({ headers: { ...auth(), 'trpc-accept': 'application/jsonl' } }),
      200,
      false,
    ],
    [
      'streaming asked for a single call',
      '/trpc/user.profile',
      () => ({ headers: { ...auth(), 'trpc-accept': 'application/jsonl' } }),
      400,
      false,
    ],
    [
      'Accept: application/jsonl on a single call',
      '/trpc/user.profile',
      () => ({ headers: { ...auth(), accept: 'application/json, application/jsonl' } }),
      400,
      false,
    ],
    [
      'connectionParams on a query',
      `/trpc/user.profile?connectionParams=${enc({ a: 'b' })}`,
      () => ({ headers: auth() }),
      200,
      false,
    ],
    ['HEAD', '/trpc/user.profile', () => ({ method: 'HEAD', headers: auth() }), 200, true],
  ];

  it.each(cases)('%s', async (_name, path, init, status, direct) => {
    const [a, b] = [
      await fetch(`${pair.fast.url}${path}`, init()),
      await fetch(`${pair.official.url}${path}`, init()),
    ];
    const [fa, of] = [await snapshot(a), await snapshot(b)];
    expect(fa.snap).toEqual(of.snap);
    expect(fa.snap.status).toBe(status);
    if (direct !== null) {
      expect(fa.direct).toBe(direct);
      expect(of.direct).toBe(false);
    }
  });

  it('calls onError alike: the same error counts by procedure and code', async () => {
    const before = [await errorCounts(pair.fast), await errorCounts(pair.official)] as const;
    for (const [, path, init] of cases) {
      await fetch(`${pair.fast.url}${path}`, init()).then((r) => r.arrayBuffer());
      await fetch(`${pair.official.url}${path}`, init()).then((r) => r.arrayBuffer());
    }
    const d = [
      delta(before[0], await errorCounts(pair.fast)),
      delta(before[1], await errorCounts(pair.official)),
    ];
    expect(Object.keys(d[0] ?? {}).length).toBeGreaterThan(5);
    expect(d[0]).toEqual(d[1]);
  });
});

type Client = ReturnType<typeof createTRPCClient<AppRouter>>;
type LinkKind = 'httpLink' | 'httpBatchLink' | 'httpBatchStreamLink';

interface Recorded {
  snap: Snapshot;
  direct: boolean;
}

/** A client whose every HTTP response is also recorded in `log` (status, headers, body, which path served it). */
function recordingClient(kind: LinkKind, url: string, log: Recorded[], accessToken?: string): Client {
  const opts = {
    url: `${url}/trpc`,
    headers: (): Record<string, string> => (accessToken ? { authorization: `Bearer ${accessToken}` } : {}),
    fetch: async (input: string | URL | Request, init?: RequestInit) => {
      const res = await fetch(input, init);
      const recorded = await snapshot(res.clone());
      // A streamed batch of several calls sends each result as it completes: the order (and so the bytes)
      // varies from one run to the next on any server. Those are compared through the client's results.
      const accept = new Headers(init?.headers).get('trpc-accept');
      if (accept === 'application/jsonl' && String(input).split('?')[0]?.includes(',')) {
        recorded.snap.body = '<streamed batch of several calls>';
      }
      log.push(recorded);
      return res;
    },
  };
  const link: TRPCLink<AppRouter> =
    kind === 'httpLink'
      ? httpLink(opts)
      : kind === 'httpBatchLink'
        ? httpBatchLink(opts)
        : httpBatchStreamLink(opts);
  return createTRPCClient<AppRouter>({ links: [link] });
}

type Outcome = { ok: unknown } | { error: { name: string; message: string; shape: unknown; data: unknown } };

async function settle(p: Promise<unknown>): Promise<Outcome> {
  try {
    return { ok: await p };
  } catch (err) {
    if (!(err instanceof TRPCClientError)) throw err;
    return { error: { name: err.name, message: err.message, shape: err.shape, data: err.data } };
  }
}

/** Timestamps written by the call itself (updatedAt) differ between two calls; nothing else may. */
const ISO = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/g;
const stamped = (v: unknown) => JSON.parse(JSON.stringify(v).replace(ISO, '<time>'));

interface Scenario {
  name: string;
  /** Whether the direct route serves it when sent alone through httpLink. */
  direct: boolean;
  run(c: Client, anon: Client): Promise<unknown>;
  volatile?: boolean;
}

const scenarios: Scenario[] = [
  { name: 'query', direct: true, run: (c) => c.user.profile.query() },
  {
    name: 'query without input on a public procedure',
    direct: true,
    run: (_c, anon) => anon.auth.config.query(),
  },
  { name: 'UNAUTHORIZED', direct: true, run: (_c, anon) => anon.user.limits.query() },
  {
    name: 'BAD_REQUEST with zod details',
    direct: true,
    run: (c) => c.user.byWallet.query({ address: 'not-an-address' }),
  },
  {
    name: 'NOT_FOUND',
    direct: true,
    run: (c) => c.chat.byId.query({ id: '00000000-0000-4000-8000-000000000000' }),
  },
  {
    name: 'mutation BAD_REQUEST',
    direct: true,
    run: (c) => c.user.updateProfile.mutate({ displayName: 7 as unknown as string }),
  },
  {
    name: 'mutation UNAUTHORIZED',
    direct: true,
    run: (_c, anon) => anon.user.updateProfile.mutate({ displayName: 'Ada' }),
  },
  {
    name: 'mutation result',
    direct: true,
    volatile: true,
    run: (c) => c.user.updateProfile.mutate({ displayName: 'Ada Lovelace' }),
  },
  {
    name: 'public mutation UNAUTHORIZED with a reason',
    direct: true,
    run: (_c, anon) =>
      anon.auth.authenticate.mutate({
        message: 'localhost wants you to sign in with your Ethereum account:\n0x0',
        signature: `0x${'ab'.repeat(65)}`,
      }),
  },
  {
    name: 'concurrent calls (one batch for the batch links)',
    direct: true,
    run: (c) =>
      Promise.all([
        settle(c.user.profile.query()),
        settle(c.user.limits.query()),
        settle(c.user.byWallet.query({ address: 'x' })),
        settle(c.chat.byId.query({ id: '00000000-0000-4000-8000-000000000000' })),
      ]),
  },
];

describe.each<LinkKind>(['httpLink', 'httpBatchLink', 'httpBatchStreamLink'])(
  '@trpc/client %s: the same results and errors from both servers',
  (kind) => {
    it('results, error shapes and raw responses are identical', async () => {
      // Each scenario runs on one server and then at once on the other, so both see the same data.
      const servers = [pair.fast, pair.official].map((s) => {
        const log: Recorded[] = [];
        return {
          log,
          authed: recordingClient(kind, s.url, log, pair.token),
          anon: recordingClient(kind, s.url, log),
        };
      });
      const codes = new Set<string>();
      for (const sc of scenarios) {
        const seen = [];
        for (const s of servers) {
          const from = s.log.length;
          const outcome = await settle(sc.run(s.authed, s.anon));
          // Parallel requests may be answered in any order.
          const made = s.log.slice(from).sort((a, b) => a.snap.body.localeCompare(b.snap.body));
          seen.push({ outcome: sc.volatile ? stamped(outcome) : outcome, made });
          if ('error' in outcome) codes.add((outcome.error.data as { code: string }).code);
        }
        const [f, o] = seen;
        if (!f || !o) throw new Error('no runs');
        expect(f.outcome, sc.name).toEqual(o.outcome);
        // Raw responses byte for byte (the mutation's own updatedAt masked).
        const raw = (m: Recorded[]) =>
          m.map((r) => ({ ...r.snap, body: r.snap.body.replace(ISO, '<time>') }));
        expect(raw(f.made), sc.name).toEqual(raw(o.made));
        expect(f.made.length, sc.name).toBeGreaterThan(0);
        expect(
          o.made.every((r) => !r.direct),
          sc.name,
        ).toBe(true);
        const expectDirect = kind === 'httpLink' && sc.direct;
        expect(
          f.made.every((r) => r.direct === expectDirect),
          sc.name,
        ).toBe(true);
      }
      // The scenarios reach every error kind (a comparison of nothing would pass too).
      expect(codes).toEqual(new Set(['UNAUTHORIZED', 'BAD_REQUEST', 'NOT_FOUND']));
    });

    it('a mutation called without input (an empty POST body) is judged by the official handler on both', async () => {
      // tRPC 11.22.1 answers an empty JSON body with BAD_REQUEST; the direct route must not judge it itself.
      const seen = [];
      for (const s of [pair.fast, pair.official]) {
        const session = await s.signIn(newWallet());
        const log: Recorded[] = [];
        const client = recordingClient(kind, s.url, log, session.accessToken);
        seen.push({ outcome: await settle(client.auth.logout.mutate()), log });
      }
      const [f, o] = seen;
      if (!f || !o) throw new Error('no runs');
      expect(f.outcome).toEqual(o.outcome);
      expect(f.log.map((r) => r.snap)).toEqual(o.log.map((r) => r.snap));
      expect([...f.log, ...o.log].every((r) => !r.direct)).toBe(true);
    });

    it('a mutation with an empty object as input ends the session on both', async () => {
      const outcomes = [];
      const directs = [];
      for (const s of [pair.fast, pair.official]) {
        const session = await s.signIn(newWallet());
        const log: Recorded[] = [];
        const client = recordingClient(kind, s.url, log, session.accessToken);
        outcomes.push(await settle(client.auth.logout.mutate({})));
        outcomes.push(await settle(client.user.profile.query()));
        directs.push(log.map((r) => r.direct));
      }
      expect(outcomes[0]).toEqual({ ok: { success: true } });
      expect(outcomes[1]).toMatchObject({
        error: { data: { code: 'UNAUTHORIZED', reason: 'SESSION_REVOKED' } },
      });
      expect(outcomes.slice(0, 2)).toEqual(outcomes.slice(2));
      expect(directs).toEqual([
        [kind === 'httpLink', kind === 'httpLink'],
        [false, false],
      ]);
    });
  },
);

describe('TOO_MANY_REQUESTS with Retry-After', () => {
  const limited = livePair({ RATE_LIMIT_USER: '2', RATE_LIMIT_WINDOW: '3600' }, { shareWith: pair });

  /** The seconds left in the window may differ by one between two users; everything else may not. */
  const maskSeconds = (s: Snapshot) => ({
    ...s,
    headers: { ...s.headers, 'retry-after': 'N' },
    body: s.body.replace(/\d+ s\./, 'N s.').replace(/"retryAfter":\d+/, '"retryAfter":N'),
  });

  it.each<LinkKind>(['httpLink', 'httpBatchLink', 'httpBatchStreamLink'])(
    'the same 429, Retry-After and error shape through %s',
    async (kind) => {
      const results = [];
      for (const s of [limited.fast, limited.official]) {
        const { accessToken } = await s.signIn(newWallet());
        const headers = { authorization: `Bearer ${accessToken}` };
        for (let i = 0; i < 2; i++)
          expect((await fetch(`${s.url}/trpc/user.profile`, { headers })).status).toBe(200);
        const raw = await snapshot(await fetch(`${s.url}/trpc/user.profile`, { headers }));
        const log: Recorded[] = [];
        const client = recordingClient(kind, s.url, log, accessToken);
        const outcome = await settle(client.user.profile.query());
        results.push({ raw, outcome, log });
      }
      const [f, o] = results;
      if (!f || !o) throw new Error('no results');
      for (const r of [f, o]) {
        expect(r.raw.snap.status).toBe(429);
        const retryAfter = Number(r.raw.snap.headers['retry-after']);
        expect(retryAfter).toBeGreaterThan(3500);
        expect(JSON.parse(r.raw.snap.body).error.data.retryAfter).toBe(retryAfter);
        expect(r.outcome).toMatchObject({
          error: { data: { code: 'TOO_MANY_REQUESTS', reason: 'RATE_LIMITED' } },
        });
      }
      expect(f.raw.direct).toBe(true);
      expect(o.raw.direct).toBe(false);
      expect(maskSeconds(f.raw.snap)).toEqual(maskSeconds(o.raw.snap));
      expect(stampSeconds(f.outcome)).toEqual(stampSeconds(o.outcome));
      expect(f.log.map((l) => maskSeconds(l.snap))).toEqual(o.log.map((l) => maskSeconds(l.snap)));
    },
  );

  const stampSeconds = (o: Outcome) =>
    JSON.parse(
      JSON.stringify(o)
        .replace(/\d+ s\./g, 'N s.')
        .replace(/"retryAfter":\d+/g, '"retryAfter":0'),
    );
});

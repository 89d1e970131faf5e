import { randomUUID } from 'node:crypto';
import { createOpenApiDocument } from '@chatplatform/api';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './harness';
import { seedChat } from './rest-examples';
import {
  expectErrorShape,
  type Operation,
  operationsOf,
  type RestResponse,
  type RestUser,
  rest,
  restSignIn,
} from './rest-helpers';

/**
 * Property, for every operation of the OpenAPI document: whatever reaches it over HTTP (any path parameter,
 * query, JSON or malformed body, token or none) the answer is JSON `{ code, message }` with a status below
 * 500, bad input is 400 naming the fields, and nothing of another user changes. The attacker holds the
 * victim's real ids among the generated values.
 */
const operations = operationsOf(createOpenApiDocument({ baseUrl: '/api' }));
const RUNS = 30;

let s: TestServer;
let victim: RestUser;
let victimIds: string[] = [];
let victimBefore: unknown;

beforeAll(async () => {
  s = await startServer();
  victim = await restSignIn(s);
  await rest(s, 'PUT', '/user/profile', { token: victim.accessToken, body: { displayName: 'Victim' } });
  const { chatId, messageId } = await seedChat(s, victim.accessToken);
  victimIds = [chatId, messageId];
  victimBefore = await stateOf(victim.accessToken);
});
afterAll(async () => s?.close());

async function stateOf(token: string): Promise<unknown> {
  const profile = (await rest(s, 'GET', '/user/profile', { token })).body;
  const chats = (await rest(s, 'GET', '/chat', { token, query: { limit: 100 } })).body as {
    items: { id: string }[];
  };
  const messages: Record<string, unknown> = {};
  for (const c of chats.items)
    messages[c.id] = (await rest(s, 'GET', `/message/chat/${c.id}`, { token, query: { limit: 100 } })).body;
  return { profile, chats, messages };
}

const text = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    '..',
    '%',
    '%00',
    '0x',
    '{}',
    'null',
    'true',
    '-1',
    '1e309',
    'a'.repeat(5000),
  ),
);
const numeric = fc.oneof(
  fc.integer().map(String),
  fc.double().map(String),
  fc.constantFrom('0', '-1', '101', '9007199254740993', 'NaN', 'Infinity', '0x10', '1e3'),
);
const idLike = () =>
  fc.oneof(fc.constantFrom(...victimIds, randomUUID(), '00000000-0000-0000-0000-000000000000'), text);
const queryValue = () => fc.oneof(text, numeric, idLike(), fc.constantFrom('true', 'false'));

/** A request for `op`: declared keys with any value, plus unknown keys, or a body that is not an object. */
function requestFor(op: Operation) {
  const path = fc.record(Object.fromEntries(op.pathParams.map((p) => [p, idLike()])));
  const query = fc.dictionary(
    fc.oneof(fc.constantFrom(...op.queryParams.map((q) => q.name), 'zz'), fc.string({ maxLength: 8 })),
    queryValue(),
    { maxKeys: 4 },
  );
  const bodyProps = Object.keys(
    ((op.bodySchema as { properties?: Record<string, unknown> } | undefined)?.properties ?? {}) as object,
  );
  const body = fc.oneof(
    fc.dictionary(
      fc.oneof(fc.constantFrom(...bodyProps, 'zz', '__proto__', 'constructor'), fc.string({ maxLength: 8 })),
      fc.oneof(fc.jsonValue(), idLike()),
      { maxKeys: 4 },
    ),
    fc.jsonValue().map((v) => v as unknown),
  );
  const raw = fc.constantFrom('{', '{"a":', '[1,', 'nul', '\u0000', '{"__proto__":{"x":1}}');
  const token = fc.constantFrom<'own' | 'none' | 'garbage'>('own', 'own', 'own', 'none', 'garbage');
  return fc.record({
    path,
    query: fc.option(query, { nil: undefined }),
    body: fc.option(body, { nil: undefined }),
    // Mostly JSON bodies; one in six is malformed.
    raw: fc.oneof({ weight: 5, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: raw }),
    token,
  });
}

function fill(path: string, params: Record<string, string>): string {
  return path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const v = params[name] ?? 'x';
    try {
      return encodeURIComponent(v) || 'x';
    } catch {
      return 'x';
    }
  });
}

function assertWellFormed(res: RestResponse, what: string): void {
  expect(res.status, `${what}: ${res.text.slice(0, 300)}`).toBeLessThan(500);
  if (res.status >= 400) {
    const e = expectErrorShape(res.body);
    if (e.reason === 'INVALID_INPUT') {
      expect(e.issues?.length, what).toBeGreaterThan(0);
      for (const issue of e.issues ?? []) expect(typeof issue.field).toBe('string');
    }
  }
}

describe('REST: generated inputs at every operation', () => {
  let attacker: RestUser;
  beforeAll(async () => {
    attacker = await restSignIn(s);
    await seedChat(s, attacker.accessToken);
  });

  it.each(operations.map((op) => [op.key, op] as const))(
    '%s answers every generated request with JSON and no 500',
    async (_key, op) => {
      // A session of its own per operation: a generated logout may end it.
      const session = await restSignIn(s, attacker.wallet);
      await fc.assert(
        fc.asyncProperty(requestFor(op), async (r) => {
          const token = r.token === 'own' ? session.accessToken : r.token === 'garbage' ? 'x.y.z' : null;
          const hasBody = op.method !== 'GET' && op.method !== 'DELETE';
          const res = await rest(s, op.method, fill(op.path, r.path), {
            token,
            ...(r.query ? { query: r.query } : {}),
            ...(hasBody && r.raw !== undefined ? { rawBody: r.raw } : {}),
            ...(hasBody && r.raw === undefined && r.body !== undefined ? { body: r.body } : {}),
          });
          assertWellFormed(res, `${op.key} ${JSON.stringify(r).slice(0, 300)}`);
        }),
        { numRuns: RUNS },
      );
    },
  );

  it('answers any method and path under /api with JSON and no 500', async () => {
    const segment = fc.oneof(
      fc.constantFrom(
        'auth',
        'user',
        'chat',
        'message',
        'recent',
        'full',
        'wallet',
        '..',
        '%2e%2e',
        '%00',
        '{id}',
      ),
      idLike().map((v) => {
        try {
          return encodeURIComponent(v);
        } catch {
          return 'x';
        }
      }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE'),
        fc.array(segment, { minLength: 0, maxLength: 5 }),
        fc.boolean(),
        async (method, segments, slash) => {
          const path = `/${segments.join('/')}${slash ? '/' : ''}`;
          const res = await rest(s, method, path, {
            token: attacker.accessToken,
            ...(method !== 'GET' && method !== 'DELETE' ? { body: {} } : {}),
          });
          assertWellFormed(res, `${method} ${path}`);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("leaves the victim's profile, chats and messages unchanged, and the victim signed in", async () => {
    expect(await stateOf(victim.accessToken)).toEqual(victimBefore);
  });
});

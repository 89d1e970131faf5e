import { randomUUID } from 'node:crypto';
import { createOpenApiDocument } from '@chatplatform/api';
import { type SmtpSink, startSmtpSink } from '@chatplatform/testing/smtp-sink';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './harness';
import { EXAMPLES, type Example, type Fixture, seedChat } from './rest-examples';
import {
  expectErrorShape,
  fillPath,
  type Operation,
  operationsOf,
  type RestUser,
  rest,
  restSignIn,
} from './rest-helpers';

/**
 * The REST half of the ownership matrix, built from the OpenAPI document: every operation that takes a required
 * UUID (a chat or message id in the path, or a chatId in the body) is called by user B with user A's id, using
 * A's own valid example request. B gets 404 with exactly the body a random UUID gets, and A's data is unchanged;
 * then A's own call succeeds, so the 404 is about ownership and not a broken example.
 */
const document = createOpenApiDocument({ baseUrl: '/api' });

const isUuid = (schema: unknown): boolean => {
  if (!schema || typeof schema !== 'object') return false;
  const o = schema as { format?: unknown; anyOf?: unknown[]; oneOf?: unknown[] };
  return o.format === 'uuid' || [...(o.anyOf ?? []), ...(o.oneOf ?? [])].some(isUuid);
};

interface IdFields {
  path: string[];
  query: string[];
  body: string[];
}

/** The required UUID inputs of an operation. */
function requiredIds(op: Operation): IdFields {
  const body = op.bodySchema as { properties?: Record<string, unknown>; required?: string[] } | undefined;
  return {
    path: op.pathParams.filter((p) => isUuid(op.pathParamSchemas[p])),
    query: op.queryParams.filter((q) => q.required && isUuid(q.schema)).map((q) => q.name),
    body: Object.entries(body?.properties ?? {})
      .filter(([name, schema]) => (body?.required ?? []).includes(name) && isUuid(schema))
      .map(([name]) => name),
  };
}

const idOperations = operationsOf(document).filter((op) => {
  const ids = requiredIds(op);
  return ids.path.length + ids.query.length + ids.body.length > 0;
});

/** The example with every id input replaced by `swap(value)`. */
function withIds(ex: Example, ids: IdFields, swap: (value: string) => string): Example {
  const pick = (r: Record<string, unknown> | undefined, keys: string[]) => {
    const out = { ...r };
    for (const k of keys) if (typeof out[k] === 'string') out[k] = swap(out[k] as string);
    return out;
  };
  return {
    ...ex,
    ...(ex.path ? { path: pick(ex.path, ids.path) as Record<string, string> } : {}),
    ...(ex.query ? { query: pick(ex.query, ids.query) as Example['query'] } : {}),
    ...(ex.body && typeof ex.body === 'object'
      ? { body: pick(ex.body as Record<string, unknown>, ids.body) }
      : {}),
  };
}

let s: TestServer;
let smtp: SmtpSink;
let fixtureA: Fixture;
let b: RestUser;

beforeAll(async () => {
  smtp = await startSmtpSink();
  s = await startServer({
    env: { EMAIL_SMTP_SERVER: smtp.host, EMAIL_PORT: String(smtp.port), EMAIL_SECURE: 'false' },
  });
  const a = await s.signIn();
  fixtureA = { server: s, smtp, user: { ...a, userId: a.user.id }, ...(await seedChat(s, a.accessToken)) };
  b = await restSignIn(s);
  // B owns data too, so "not found" is not just "B has nothing".
  await seedChat(s, b.accessToken);
});
afterAll(async () => {
  await s?.close();
  await smtp?.close();
});

/** Everything A can see: profile, chats, and every message of every chat. */
async function stateOf(token: string): Promise<unknown> {
  const profile = (await rest(s, 'GET', '/user/profile', { token })).body;
  const chats = (await rest(s, 'GET', '/chat', { token, query: { limit: 100 } })).body as {
    items: { id: string }[];
  };
  const messages: Record<string, unknown> = {};
  for (const chat of chats.items)
    messages[chat.id] = (
      await rest(s, 'GET', `/message/chat/${chat.id}`, { token, query: { limit: 100 } })
    ).body;
  return { profile, chats, messages };
}

function send(op: Operation, ex: Example, token: string) {
  return rest(s, op.method, fillPath(op.path, ex.path ?? {}), {
    token,
    ...(ex.query ? { query: ex.query } : {}),
    ...(ex.body !== undefined ? { body: ex.body } : {}),
  });
}

describe('REST ownership matrix', () => {
  it('covers every chat and message operation that takes an id', () => {
    const keys = idOperations.map((o) => o.key);
    for (const key of [
      'GET /chat/{id}',
      'PUT /chat/{id}',
      'DELETE /chat/{id}',
      'POST /message',
      'GET /message/chat/{chatId}',
      'GET /message/chat/{chatId}/full',
      'GET /message/chat/{chatId}/recent',
      'GET /message/{id}',
      'PUT /message/{id}',
      'DELETE /message/{id}',
    ])
      expect(keys).toContain(key);
  });

  it.each(idOperations.map((op) => [op.key, op] as const))(
    "%s: another user's id is 404 exactly like a random one, and nothing of the owner changes",
    async (_key, op) => {
      const make = EXAMPLES[op.key];
      if (!make) throw new Error(`No example for ${op.key}: add one to apps/server/test/rest-examples.ts`);
      const ids = requiredIds(op);
      const ex = await make(fixtureA);
      const tokenA = ex.token ?? fixtureA.user.accessToken;
      const before = await stateOf(tokenA);

      const foreign = await send(op, ex, b.accessToken);
      const random = await send(
        op,
        withIds(ex, ids, () => randomUUID()),
        b.accessToken,
      );
      expect(foreign.status, foreign.text.slice(0, 300)).toBe(404);
      expect(expectErrorShape(foreign.body).code).toBe('NOT_FOUND');
      expect(random.status).toBe(404);
      expect(foreign.body).toEqual(random.body);

      expect(await stateOf(tokenA)).toEqual(before);

      const own = await send(op, ex, tokenA);
      expect(own.status, own.text.slice(0, 300)).toBe(ex.status ?? 200);
    },
  );
});

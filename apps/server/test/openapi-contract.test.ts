import { createOpenApiDocument } from '@chatplatform/api';
import { type SmtpSink, startSmtpSink } from '@chatplatform/testing/smtp-sink';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './harness';
import { EXAMPLES, type Example, type Fixture, seedChat } from './rest-examples';
import {
  expectErrorShape,
  fillPath,
  type Operation,
  operationsOf,
  type RestResponse,
  rest,
} from './rest-helpers';

/**
 * The contract: every operation of the OpenAPI document is called with its example (rest-examples.ts) by a
 * signed-in user, answers its declared success status, and the body matches the declared schema exactly
 * (the generated schemas forbid additional properties). Protected operations refuse a call without a token
 * with the declared 401 body; operations with input refuse an unknown field with the declared 400 body
 * naming it.
 */
const document = createOpenApiDocument({ baseUrl: '/api' });
const operations = operationsOf(document);

const ajv = new Ajv2020({ strict: false, allErrors: true });
(addFormats as unknown as (a: Ajv2020) => void)(ajv);

/** Validates `body` against the schema the document declares for `status`; the message lists the mismatches. */
function matchesDeclared(op: Operation, status: number, body: unknown): string | null {
  const schema = op.responses[String(status)]?.content?.['application/json']?.schema;
  if (!schema) return `${op.key}: no schema declared for ${status}`;
  // Keep the document's components reachable for "#/components/schemas/..." references.
  const validate = ajv.compile({ ...(schema as object), components: document.components });
  return validate(body)
    ? null
    : `${op.key} ${status}: ${ajv.errorsText(validate.errors)} in ${JSON.stringify(body).slice(0, 500)}`;
}

let s: TestServer;
let smtp: SmtpSink;
let fixture: Fixture;

beforeAll(async () => {
  smtp = await startSmtpSink();
  s = await startServer({
    env: { EMAIL_SMTP_SERVER: smtp.host, EMAIL_PORT: String(smtp.port), EMAIL_SECURE: 'false' },
  });
  const user = await s.signIn();
  fixture = {
    server: s,
    smtp,
    user: { ...user, userId: user.user.id },
    ...(await seedChat(s, user.accessToken)),
  };
});
afterAll(async () => {
  await s?.close();
  await smtp?.close();
});

async function call(op: Operation, ex: Example, token: string | null): Promise<RestResponse> {
  return rest(s, op.method, fillPath(op.path, ex.path ?? {}), {
    token,
    ...(ex.query ? { query: ex.query } : {}),
    ...(ex.body !== undefined ? { body: ex.body } : {}),
  });
}

describe('OpenAPI document', () => {
  it('is served at /api/openapi.json as generated from the routers', async () => {
    const res = await fetch(`${s.url}/api/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const served = (await res.json()) as { openapi: string };
    expect(served).toEqual(JSON.parse(JSON.stringify(document)));
    expect(served.openapi).toMatch(/^3\./);
  });

  it('lists every seed endpoint at its seed path', () => {
    const keys = operations.map((o) => o.key);
    for (const key of [
      'GET /auth/message',
      'POST /auth/authenticate',
      'POST /auth/add-email',
      'GET /user/profile',
      'PUT /user/profile',
      'GET /user/limits',
      'GET /user/wallet/{address}',
      'POST /chat',
      'GET /chat',
      'GET /chat/recent',
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

  it('has no example left for an operation that is gone', () => {
    const keys = new Set(operations.map((o) => o.key));
    expect(Object.keys(EXAMPLES).filter((k) => !keys.has(k))).toEqual([]);
  });
});

describe.each(operations.map((op) => [op.key, op] as const))('%s', (_key, op) => {
  it('answers its example with the declared status and a body matching the declared schema', async () => {
    const make = EXAMPLES[op.key];
    if (!make) throw new Error(`No example for ${op.key}: add one to apps/server/test/rest-examples.ts`);
    const ex = await make(fixture);
    const token = ex.token === undefined ? (op.protected ? fixture.user.accessToken : null) : ex.token;
    const res = await call(op, ex, token);
    const status = ex.status ?? 200;
    expect(res.status, `${op.key}: ${res.text.slice(0, 300)}`).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(matchesDeclared(op, status, res.body)).toBeNull();
  });

  // Public operations (sign-in, config) have no 401 to check.
  if (op.protected)
    it('refuses a call without a token with the declared 401 body', async () => {
      const make = EXAMPLES[op.key];
      if (!make) throw new Error(`No example for ${op.key}`);
      const res = await call(op, await make(fixture), null);
      expect(res.status).toBe(401);
      expect(expectErrorShape(res.body).code).toBe('UNAUTHORIZED');
      expect(matchesDeclared(op, 401, res.body)).toBeNull();
    });

  // Operations without input declare no 400.
  if (op.responses['400'] !== undefined)
    it('refuses an unknown input field with the declared 400 body naming it', async () => {
      const make = EXAMPLES[op.key];
      if (!make) throw new Error(`No example for ${op.key}`);
      const ex = await make(fixture);
      const token = ex.token === undefined ? (op.protected ? fixture.user.accessToken : null) : ex.token;
      const bad: Example =
        op.method === 'GET' || op.method === 'DELETE'
          ? { ...ex, query: { ...ex.query, zzUnknown: 'x' } }
          : { ...ex, body: { ...(ex.body as object | undefined), zzUnknown: 'x' } };
      const res = await call(op, bad, token);
      expect(res.status, res.text.slice(0, 300)).toBe(400);
      const e = expectErrorShape(res.body);
      expect(e.issues?.map((i) => i.field)).toContain('zzUnknown');
      expect(matchesDeclared(op, 400, res.body)).toBeNull();
    });
});

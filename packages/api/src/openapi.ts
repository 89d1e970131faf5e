import type { AnyProcedure, AnyRouter } from '@trpc/server';
import { generateOpenApiDocument, type OpenAPIObject, type OpenApiMeta } from 'trpc-to-openapi';
import { appRouter } from './root';

/**
 * The REST mirror of the seed's API: every procedure with `meta.openapi` is served by apps/server under /api
 * (trpc-to-openapi) and described by the document built here.
 *
 * Convention for the meta on a procedure (follow it when adding one):
 *
 *   .meta({ openapi: { method: 'GET', path: '/chat/{id}', tags: ['chat'], protect: true, summary: 'A chat by id' } })
 *
 * - `path` is WITHOUT the /api prefix (the server mounts the mirror there) and is the seed's path where the seed
 *   has one: GET /auth/message, POST /auth/authenticate, POST /auth/add-email, GET|PUT /user/profile,
 *   GET /user/limits, GET /user/wallet/{address}, POST|GET /chat/, GET /chat/recent, GET|PUT|DELETE /chat/{id},
 *   POST /message/, GET /message/chat/{id}, GET /message/chat/{id}/full, GET /message/chat/{id}/recent,
 *   GET|PUT|DELETE /message/{id}. Newer procedures use the same style (kebab-case, nouns): POST /auth/refresh,
 *   POST /auth/logout, POST /auth/logout-all, POST /auth/verify-email.
 * - `protect: true` on every procedure behind authedProcedure (it puts the bearer scheme on the operation);
 *   `protect: false` on public ones. `tags`: the router's name. `summary`: one line for the docs page.
 * - The input must be a z.object / z.strictObject (optionally `.optional()`). A `{name}` in the path must be a
 *   required string key of the input (ids: z.uuid()); it wins over a same-named key in the body.
 * - GET and DELETE take the rest of the input from the query string, POST/PUT/PATCH from a JSON body.
 *   Query values arrive as strings; the server turns a well-formed number ("20") or boolean ("true"/"false")
 *   into a number/boolean for keys the document declares as integer/number/boolean, so plain z.number() and
 *   z.boolean() work over REST and stay strict over tRPC. Keep query inputs flat: strings, numbers, booleans,
 *   enums (no nested objects or arrays).
 * - Declare `.output()`: the document's response schema and the contract test (apps/server/test/openapi-contract
 *   .test.ts) come from it. The contract test calls every operation of the document and fails for one it has
 *   no example for: add an example there when adding a procedure here.
 * - Subscriptions (SSE) are not part of the REST mirror: give them no openapi meta.
 * - Static segments are matched before `{params}` (GET /chat/recent is never taken for GET /chat/{id}).
 */
export function createOpenApiDocument(
  opts: { baseUrl?: string; version?: string; router?: AnyRouter } = {},
): OpenAPIObject {
  const router = opts.router ?? appRouter;
  const doc = generateOpenApiDocument(router, {
    title: 'ChatPlatform REST API',
    description: [
      'The REST mirror of the typed tRPC API, at the original paths of the seed system.',
      'Sign in: GET /auth/message, sign the message with the wallet (EIP-191 personal_sign),',
      'POST /auth/authenticate; then send `Authorization: Bearer <accessToken>`.',
      'Errors are JSON `{ code, message, reason?, issues? }` with the matching HTTP status;',
      'bad input is 400 with `issues[].field` naming the field. Requests with a body must send',
      'Content-Type: application/json.',
    ].join(' '),
    version: opts.version ?? '1.0.0',
    baseUrl: opts.baseUrl ?? '/api',
    tags: documentedTags(router),
    securitySchemes: {
      Authorization: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
    },
  });
  describeErrors(doc);
  return doc;
}

/** What the server really sends on an error (apps/server/src/plugins/rest.ts shapes it). */
const ERRORS: Record<string, { status: number; description: string }> = {
  BAD_REQUEST: { status: 400, description: 'Invalid input: `issues[].field` names each bad field' },
  UNAUTHORIZED: { status: 401, description: 'No, malformed, expired or revoked access token' },
  FORBIDDEN: { status: 403, description: 'Not allowed' },
  NOT_FOUND: { status: 404, description: "Not found (another user's resource answers the same)" },
  CONFLICT: { status: 409, description: 'Conflicts with the current state' },
  PAYLOAD_TOO_LARGE: { status: 413, description: 'Request body over the size limit' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, description: 'A body that is not Content-Type: application/json' },
  TOO_MANY_REQUESTS: { status: 429, description: 'Rate limited; the Retry-After header says when to retry' },
  INTERNAL_SERVER_ERROR: { status: 500, description: 'A fault on our side (never caused by input)' },
};

type Schemas = NonNullable<NonNullable<OpenAPIObject['components']>['schemas']>;

function errorSchema(code: string) {
  return {
    type: 'object',
    properties: {
      code: { type: 'string', const: code },
      message: { type: 'string', description: 'For a person; names the bad fields on BAD_REQUEST' },
      reason: {
        type: 'string',
        description: 'Machine-readable cause, e.g. INVALID_INPUT, TOKEN_EXPIRED, NONCE_USED, RATE_LIMITED',
      },
      issues: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            field: { type: 'string', description: 'Dotted path of the bad field; "" for the whole input' },
            code: { type: 'string' },
            message: { type: 'string' },
          },
          required: ['field', 'message'],
        },
      },
      details: { type: 'object' },
      retryAfter: { type: 'integer', description: 'Seconds (429)' },
    },
    required: ['code', 'message'],
    additionalProperties: false,
  };
}

/**
 * Replaces trpc-to-openapi's generic error schemas with the shape the server sends, and lists the errors every
 * operation can meet besides the ones the generator adds (413 and 415 with a body, 429 everywhere).
 */
function describeErrors(doc: OpenAPIObject): void {
  const schemas: Schemas = { ...doc.components?.schemas };
  for (const code of Object.keys(ERRORS)) schemas[`error.${code}`] = errorSchema(code) as Schemas[string];
  doc.components = { ...doc.components, schemas };
  const response = (code: string) => ({
    description: ERRORS[code]?.description ?? code,
    content: { 'application/json': { schema: { $ref: `#/components/schemas/error.${code}` } } },
  });
  for (const item of Object.values(doc.paths ?? {})) {
    for (const method of ['get', 'post', 'put', 'patch', 'delete'] as const) {
      const op = (item as Record<string, { requestBody?: unknown; responses?: Record<string, unknown> }>)[
        method
      ];
      if (!op?.responses) continue;
      for (const [code, { status }] of Object.entries(ERRORS)) {
        const key = String(status);
        if (op.responses[key]) op.responses[key] = { ...(op.responses[key] as object), ...response(code) };
      }
      if (op.requestBody) {
        op.responses['413'] = response('PAYLOAD_TOO_LARGE');
        op.responses['415'] = response('UNSUPPORTED_MEDIA_TYPE');
      }
      op.responses['429'] = response('TOO_MANY_REQUESTS');
    }
  }
}

/** The tags the procedures use, in router order, so the docs page groups operations as the routers do. */
function documentedTags(router: AnyRouter): string[] {
  const tags = new Set<string>();
  const procedures = router._def.procedures as unknown as Record<string, AnyProcedure>;
  for (const procedure of Object.values(procedures)) {
    const meta = procedure._def.meta as OpenApiMeta | undefined;
    for (const tag of meta?.openapi?.tags ?? []) tags.add(tag);
  }
  return [...tags];
}

export type { OpenAPIObject };

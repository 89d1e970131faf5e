import { appRouter, type Context, createOpenApiDocument, type OpenAPIObject } from '@chatplatform/api';
import type { AnyProcedure, AnyRouter, TRPCError } from '@trpc/server';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { fastifyTRPCOpenApiPlugin } from 'trpc-to-openapi';
import { registerDocs } from './docs';

export const REST_PREFIX = '/api';

export interface RestOptions {
  /** The router to mirror; appRouter unless a test brings its own. */
  router?: AnyRouter;
  /** The router's OpenAPI document, when the caller has built it already (with REST_PREFIX as base URL). */
  document?: OpenAPIObject;
  createContext(
    req: FastifyRequest,
    setHeader: (name: string, value: string) => void,
  ): Context | Promise<Context>;
  onError?(opts: { error: TRPCError; path: string | undefined; req: FastifyRequest }): void;
}

/**
 * The REST mirror of the seed's API at /api, served by trpc-to-openapi from the same procedures as /trpc
 * (every procedure with `meta.openapi`; the convention is in packages/api/src/openapi.ts), its OpenAPI
 * document at /api/openapi.json and a docs page at /api/docs. What this plugin adds around the library:
 *
 * - the library turns number/boolean inputs into coercing ones by setting `_def.coerce` on the procedure's
 *   own zod schemas, for every later call, tRPC included (and `Boolean("false")` is true). It gets a view of
 *   the router without input schemas instead (`restRouter`), so the real procedures parse the input exactly
 *   as over tRPC; well-formed numeric and boolean query strings are converted here from the document's
 *   parameter types (`coerceQuery`);
 * - static path segments are matched before `{params}` (the library takes the first match in router order);
 * - one error shape for everything under /api, `{ code, message, reason?, issues?, details?, retryAfter? }`,
 *   including fastify's own errors (malformed JSON 400, body over the limit 413), never a stack trace;
 * - an empty JSON body means "no input" (POST /api/auth/logout needs no `{}`).
 * The CSRF guard (non-JSON bodies get 415) is the shared one in security.ts and covers /api.
 */
export async function registerRest(app: FastifyInstance, opts: RestOptions): Promise<void> {
  const router = opts.router ?? appRouter;
  const document = opts.document ?? createOpenApiDocument({ baseUrl: REST_PREFIX, router });
  const queryOps = queryOperations(document);

  await app.register(async (scope) => {
    const json = scope.getDefaultJsonParser('error', 'error');
    scope.removeContentTypeParser('application/json');
    scope.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
      const text = typeof body === 'string' ? body : body.toString('utf8');
      if (text.trim() === '') return done(null, undefined);
      json(req, text, (err, parsed) => {
        if (err) return done(err);
        // The library spreads the body into the input ({ ...body, ...pathParams }): an array, a number or a
        // string would become no input at all (POST /api/auth/logout with `[]` logging out), so only an
        // object is a body here.
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
          return done(badBody('The request body must be a JSON object.'));
        // It also serializes the body again on its way to tRPC, which overflows the stack on deep nesting.
        if (deeperThan(parsed, MAX_BODY_DEPTH))
          return done(badBody(`The request body is nested deeper than ${MAX_BODY_DEPTH} levels.`));
        done(null, parsed);
      });
    });

    scope.setErrorHandler((err: FastifyError, req, reply) => {
      const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
      if (status === 500) req.log.error({ err }, 'REST request failed');
      return reply.code(status).send(fastifyErrorBody(err, status, app.initialConfig.bodyLimit ?? 1_048_576));
    });

    scope.addHook('onSend', async (_req, reply, payload) => {
      if (reply.statusCode < 400 || typeof payload !== 'string') return payload;
      return JSON.stringify(restErrorBody(payload, reply.statusCode));
    });

    scope.addHook('preValidation', async (req) => {
      if (req.method !== 'GET' && req.method !== 'DELETE' && req.method !== 'HEAD') return;
      coerceQuery(req, queryOps);
    });

    await registerDocs(scope, { prefix: REST_PREFIX, document });

    await scope.register(fastifyTRPCOpenApiPlugin, {
      basePath: REST_PREFIX,
      router: restRouter(router),
      createContext: ({ req, res }: { req: FastifyRequest; res: FastifyReply }) =>
        opts.createContext(req, (name, value) => void res.header(name, value)),
      onError: ({ error, path, req }: { error: TRPCError; path: string | undefined; req: FastifyRequest }) =>
        opts.onError?.({ error, path, req }),
    });
  });
}

/** Nesting a REST body may have; no input of the API comes near it. */
const MAX_BODY_DEPTH = 32;

const badBody = (message: string) => Object.assign(new Error(message), { statusCode: 400, code: 'BAD_BODY' });

/** Whether a parsed JSON value nests arrays/objects more than `max` levels deep (iterative: no recursion). */
export function deeperThan(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]];
  for (let next = stack.pop(); next; next = stack.pop()) {
    const [v, depth] = next;
    if (typeof v !== 'object' || v === null) continue;
    if (depth > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth + 1]);
  }
  return false;
}

/**
 * The router as trpc-to-openapi sees it: the same procedures with their openapi meta and output schemas, but
 * no input schemas (so it has nothing to mutate and passes the raw input through), ordered so that paths with
 * static segments come before paths with parameters in the same place. Calls still go through
 * `appRouter.createCaller`, which runs the real procedure: middlewares, input and output validation.
 */
function restRouter(router: AnyRouter): AnyRouter {
  const procedures = router._def.procedures as unknown as Record<string, AnyProcedure>;
  const entries = Object.entries(procedures)
    .map(([name, procedure]) => ({ name, procedure, path: openapiPath(procedure) }))
    .sort((a, b) => compareSpecificity(a.path, b.path))
    .map(({ name, procedure }) => [name, { _def: { ...procedure._def, inputs: [] } }] as const);
  const view = { ...router, _def: { ...router._def, procedures: Object.fromEntries(entries) } };
  return view as unknown as AnyRouter;
}

function openapiPath(procedure: AnyProcedure): string {
  const meta = procedure._def.meta as { openapi?: { path?: string } } | undefined;
  return meta?.openapi?.path ?? '';
}

/** Negative when path a must be tried before b: a static segment wins over a `{param}` in the same place. */
export function compareSpecificity(a: string, b: string): number {
  const sa = a.split('/').filter(Boolean);
  const sb = b.split('/').filter(Boolean);
  for (let i = 0; i < Math.min(sa.length, sb.length); i++) {
    const pa = sa[i]?.startsWith('{') ? 1 : 0;
    const pb = sb[i]?.startsWith('{') ? 1 : 0;
    if (pa !== pb) return pa - pb;
  }
  return 0;
}

type Scalar = 'number' | 'boolean';
interface QueryOperation {
  method: string;
  pattern: RegExp;
  specificity: string;
  params: Map<string, Scalar>;
}

/** For each GET/DELETE operation: its path pattern and the query keys declared as number or boolean. */
function queryOperations(doc: OpenAPIObject): QueryOperation[] {
  const ops: QueryOperation[] = [];
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of ['get', 'delete'] as const) {
      const op = (item as Record<string, { parameters?: unknown[] } | undefined>)[method];
      if (!op) continue;
      const params = new Map<string, Scalar>();
      for (const p of op.parameters ?? []) {
        const param = p as { in?: string; name?: string; schema?: unknown };
        if (param.in !== 'query' || !param.name) continue;
        const scalar = scalarOf(param.schema);
        if (scalar) params.set(param.name, scalar);
      }
      const source = path
        .replace(/\/+$/, '')
        .split('/')
        .map((s) => (s.startsWith('{') ? '[^/]+' : s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
        .join('/');
      ops.push({
        method: method.toUpperCase(),
        pattern: new RegExp(`^${source}/?$`, 'i'),
        specificity: path,
        params,
      });
    }
  }
  return ops.sort((a, b) => compareSpecificity(a.specificity, b.specificity));
}

/** 'number' or 'boolean' when a JSON schema admits that scalar and no string; else undefined. */
function scalarOf(schema: unknown): Scalar | undefined {
  const types = new Set<string>();
  const collect = (s: unknown) => {
    if (!s || typeof s !== 'object') return;
    const o = s as { type?: unknown; anyOf?: unknown[]; oneOf?: unknown[]; allOf?: unknown[] };
    if (typeof o.type === 'string') types.add(o.type);
    if (Array.isArray(o.type)) for (const t of o.type) if (typeof t === 'string') types.add(t);
    for (const sub of [...(o.anyOf ?? []), ...(o.oneOf ?? []), ...(o.allOf ?? [])]) collect(sub);
  };
  collect(schema);
  if (types.has('string')) return undefined;
  if (types.has('integer') || types.has('number')) return 'number';
  if (types.has('boolean')) return 'boolean';
  return undefined;
}

const NUMBER = /^-?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Query strings carry only strings. For keys the document declares as number or boolean, a well-formed value
 * ("20", "-1.5", "true", "false") becomes that type; anything else stays a string, so the procedure's own
 * schema answers 400 naming the field. An empty value stays "" (it is not taken as absent).
 */
function coerceQuery(req: FastifyRequest, ops: QueryOperation[]): void {
  const query = req.query as Record<string, unknown> | undefined;
  if (!query || typeof query !== 'object') return;
  const path = (req.url.split('?')[0] ?? '').slice(REST_PREFIX.length) || '/';
  const method = req.method === 'HEAD' ? 'GET' : req.method;
  const op = ops.find((o) => o.method === method && o.pattern.test(path));
  const next: Record<string, unknown> = { ...query };
  for (const [key, value] of Object.entries(next)) {
    if (typeof value !== 'string') continue;
    const scalar = op?.params.get(key);
    let typed: unknown = value;
    if (scalar === 'number' && NUMBER.test(value)) typed = Number(value);
    if (scalar === 'boolean' && (value === 'true' || value === 'false')) typed = value === 'true';
    // trpc-to-openapi drops falsy query values (0, false, ""), as if absent; it unwraps one-element arrays.
    next[key] = typed ? typed : [typed];
  }
  req.query = next;
}

const CODE_BY_STATUS: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_SUPPORTED',
  408: 'TIMEOUT',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'UNPROCESSABLE_CONTENT',
  429: 'TOO_MANY_REQUESTS',
  500: 'INTERNAL_SERVER_ERROR',
};

export interface RestErrorBody {
  code: string;
  message: string;
  reason?: string;
  issues?: { field: string; code?: string; message: string }[];
  details?: Record<string, unknown>;
  retryAfter?: number;
}

/** An error fastify raised before the procedure ran (body parsing, size limit). */
function fastifyErrorBody(err: FastifyError, status: number, bodyLimit: number): RestErrorBody {
  const code = CODE_BY_STATUS[status] ?? 'BAD_REQUEST';
  if (status === 500) return { code, message: 'Something went wrong on our side.', reason: 'INTERNAL' };
  if (status === 413)
    return { code, message: `The request body is larger than ${bodyLimit} bytes.`, reason: 'BODY_TOO_LARGE' };
  if (status === 415)
    return {
      code,
      message: 'Send the body as Content-Type: application/json.',
      reason: 'UNSUPPORTED_MEDIA_TYPE',
    };
  if (status === 400 && err.code === 'BAD_BODY')
    return { code, message: err.message, reason: 'INVALID_BODY' };
  if (
    status === 400 &&
    (err.code?.startsWith('FST_ERR_CTP') || err instanceof SyntaxError || /JSON/.test(err.message))
  )
    return { code, message: `The request body is not valid JSON: ${err.message}`, reason: 'INVALID_JSON' };
  return { code, message: err.message, reason: code };
}

interface ZodIssueLike {
  field?: unknown;
  code?: unknown;
  path?: unknown;
  message?: unknown;
  keys?: unknown;
}

/** Rewrites the library's error body (`{ message, code, issues, data: { reason, ... } }`) to our shape. */
export function restErrorBody(payload: string, status: number): RestErrorBody {
  let body: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(payload);
    body = parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
  } catch {
    body = {};
  }
  const data = (body.data && typeof body.data === 'object' ? body.data : {}) as Record<string, unknown>;
  const code =
    typeof body.code === 'string' ? body.code : (CODE_BY_STATUS[status] ?? 'INTERNAL_SERVER_ERROR');
  const issues = Array.isArray(body.issues) ? fieldIssues(body.issues as ZodIssueLike[]) : undefined;
  const reason =
    typeof data.reason === 'string' ? data.reason : typeof body.reason === 'string' ? body.reason : undefined;
  // An unexpected failure (a 500 that no domain error with its own reason raised) never shows its message,
  // whatever the router's errorFormatter did; 503 and the like keep theirs.
  const unexpected = status === 500 && (reason === undefined || reason === 'INTERNAL');
  const message =
    code === 'UNSUPPORTED_MEDIA_TYPE'
      ? 'Requests that send or change data must use Content-Type: application/json (an empty body is fine).'
      : issues && issues.length > 0
        ? `Invalid input: ${issues.map((i) => `${i.field || '(input)'}: ${i.message}`).join('; ')}`
        : !unexpected && typeof body.message === 'string' && body.message !== ''
          ? body.message
          : 'Something went wrong on our side.';
  return {
    code,
    message,
    ...(reason ? { reason } : {}),
    ...(issues && issues.length > 0 ? { issues } : {}),
    ...(data.details && typeof data.details === 'object'
      ? { details: data.details as Record<string, unknown> }
      : {}),
    ...(typeof data.retryAfter === 'number' ? { retryAfter: data.retryAfter } : {}),
  };
}

/** One entry per bad field, the field as a dotted path; an unknown key is named itself. */
function fieldIssues(raw: ZodIssueLike[]): NonNullable<RestErrorBody['issues']> {
  const out: NonNullable<RestErrorBody['issues']> = [];
  for (const issue of raw) {
    if (typeof issue.field === 'string' && typeof issue.message === 'string') {
      out.push({
        field: issue.field,
        ...(typeof issue.code === 'string' ? { code: issue.code } : {}),
        message: issue.message,
      });
      continue;
    }
    const path = Array.isArray(issue.path) ? issue.path.map(String).join('.') : '';
    const message = typeof issue.message === 'string' ? issue.message : 'Invalid value';
    const code = typeof issue.code === 'string' ? issue.code : undefined;
    if (code === 'unrecognized_keys' && Array.isArray(issue.keys)) {
      for (const key of issue.keys)
        out.push({ field: path ? `${path}.${String(key)}` : String(key), code, message: 'Unknown field' });
      continue;
    }
    out.push({ field: path, ...(code ? { code } : {}), message });
  }
  return out;
}

import { AppError, type OpenAPIObject } from '@chatplatform/api';
import { type AnyTRPCProcedure, type AnyTRPCRouter, TRPCError } from '@trpc/server';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiErrors } from './api-errors';
import { compareSpecificity } from './rest';
import { isUnder, type TrpcErrors, type TrpcTarget, trpcTarget } from './trpc-errors';

/** The order methods are listed in an Allow header. */
const METHOD_ORDER = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
/** What a tRPC procedure serves, by type (HEAD answers as GET does). */
const TRPC_METHODS: Record<string, readonly string[]> = {
  query: ['GET', 'HEAD'],
  subscription: ['GET', 'HEAD'],
  mutation: ['POST'],
};

export interface HttpMethodsOptions {
  trpc: { prefix: string; router: AnyTRPCRouter; errors: TrpcErrors };
  rest: { prefix: string; document: OpenAPIObject };
  /** Writes a refusal in the shape of the API refused (plugins/api-errors.ts): the REST mirror's 405. */
  errors: ApiErrors;
}

/**
 * HEAD, OPTIONS and 405 as RFC 9110 has them, for the API and everything else the server routes:
 *
 * - HEAD on /trpc and /api answers what GET would (status and headers, no body): neither tRPC (11.22.1) nor
 *   trpc-to-openapi serves HEAD (both answer 204 to any path), so the request is handed to them as a GET and
 *   the body dropped on the way out; a stream (an SSE subscription) is cancelled instead of being drained.
 * - OPTIONS without an Origin header is not a CORS preflight (@fastify/cors would refuse it with 400): it is
 *   answered 204 with an Allow header listing the path's methods, or 404 where GET would say 404.
 * - on /trpc, a method tRPC does not read (PUT, PATCH, DELETE, TRACE, ...) is refused per call in tRPC's
 *   shape, 405 METHOD_NOT_SUPPORTED (404 for a path that names no procedure, or that no procedure route
 *   matches: /trpc, /trpc/a/b), instead of reaching the CSRF guard (415) or tRPC's fetch Request (which throws
 *   on TRACE). Every 405 carries an Allow header, tRPC's own included (a GET to a mutation, a POST to a query).
 * - under /api, a method a path that exists does not serve (DELETE where the document has only GET, a GET to a
 *   POST operation, TRACE; HEAD as GET) is refused with 405 METHOD_NOT_SUPPORTED in the REST error shape,
 *   before the CSRF guard; trpc-to-openapi answered 404 (fastify 404 for methods it does not route). A path
 *   the document has for no method stays a 404, the REST mirror's for every method (TRACE, /api itself too).
 *
 * Allow lists what the path serves: for a tRPC path its procedures' methods (query and subscription GET, HEAD;
 * mutation POST), for a REST path the operations of the OpenAPI document there (the document the REST
 * mirror is built from, from the procedures' openapi meta; its most specific path that matches, so
 * /chat/recent is GET only and DELETE there is a 405, not a call of DELETE /chat/{id} with the id "recent"),
 * for other routes their methods; OPTIONS always. Returns the two onRequest hooks for registerSecurity to
 * place around CORS.
 */
export function createHttpMethods(app: FastifyInstance, opts: HttpMethodsOptions) {
  const { prefix: trpcPrefix, router, errors } = opts.trpc;
  const procedures = router._def.procedures as Record<string, AnyTRPCProcedure | undefined>;
  const trpcRoute = `${trpcPrefix}/:path`;
  const restRoute = `${opts.rest.prefix}/*`;
  const restBase = `${opts.rest.prefix}/`;
  const restOps = restOperations(opts.rest.document);

  // The methods of every other route, by exact URL and by wildcard prefix (OPTIONS routes aside: CORS's
  // `OPTIONS *` would otherwise make every path exist).
  const exact = new Map<string, Set<string>>();
  const wildcards: Array<{ prefix: string; methods: Set<string> }> = [];
  app.addHook('onRoute', (route) => {
    const methods = (Array.isArray(route.method) ? route.method : [route.method]).filter(
      (m) => m !== 'OPTIONS',
    );
    if (methods.length === 0 || route.url === trpcRoute || route.url === restRoute) return;
    if (route.url.endsWith('*') && !route.url.slice(0, -1).includes(':')) {
      const prefix = route.url.slice(0, -1);
      let entry = wildcards.find((w) => w.prefix === prefix);
      if (!entry) {
        entry = { prefix, methods: new Set() };
        wildcards.push(entry);
        wildcards.sort((a, b) => b.prefix.length - a.prefix.length);
      }
      for (const m of methods) entry.methods.add(m);
    } else if (!route.url.includes(':') && !route.url.includes('*')) {
      const set = exact.get(route.url) ?? new Set<string>();
      for (const m of methods) set.add(m);
      exact.set(route.url, set);
    }
  });

  const procedureType = (path: string) =>
    Object.hasOwn(procedures, path) ? procedures[path]?._def.type : undefined;

  /** The methods a tRPC URL serves: those of the procedures it names; undefined when it names none. */
  const trpcMethods = (target: TrpcTarget): string[] | undefined => {
    const types = (target.paths ?? []).map(procedureType).filter((t) => t !== undefined);
    return types.length === 0 ? undefined : types.flatMap((t) => TRPC_METHODS[t] ?? []);
  };

  /** The methods a path below /api serves: a route of its own (the docs), else the document's operations. */
  const restPathMethods = (pathname: string): Iterable<string> | undefined => {
    const own =
      exact.get(pathname) ??
      wildcards.find((w) => w.prefix.startsWith(restBase) && pathname.startsWith(w.prefix))?.methods;
    return own ?? restMethods(restOps, pathname.slice(opts.rest.prefix.length));
  };

  /** The Allow header for a URL; undefined when nothing is there (GET would answer 404). */
  const allowFor = (url: string): string | undefined => {
    const pathname = url.split('?', 1)[0] ?? '';
    let methods: Iterable<string> | undefined;
    if (pathname === '*') methods = METHOD_ORDER;
    else if (pathname.startsWith(restBase)) methods = restPathMethods(pathname);
    else if (exact.has(pathname)) methods = exact.get(pathname);
    else {
      const target = trpcTarget(url, trpcPrefix);
      if (target) methods = trpcMethods(target);
      else methods = wildcards.find((w) => pathname.startsWith(w.prefix))?.methods;
    }
    return methods && allowHeader(methods);
  };

  // HEAD requests handed to tRPC or the REST mirror as GET (the response still knows it answers a HEAD: Node
  // sends no body for it, whatever is written).
  const headAsGet = new WeakSet<FastifyRequest>();

  app.addHook('onSend', async (req, reply, payload) => {
    let out = payload;
    if (headAsGet.has(req)) {
      req.raw.method = 'HEAD';
      out = withoutBody(reply, payload);
    }
    const status = isResponse(out) ? out.status : reply.statusCode;
    if (status === 405 && !reply.hasHeader('allow')) {
      const allow = allowFor(req.url);
      if (allow) reply.header('allow', allow);
    }
    return out;
  });
  // In case the response ended without onSend (the client went away): the metrics count it as a HEAD.
  app.addHook('onResponse', async (req) => {
    if (headAsGet.has(req)) req.raw.method = 'HEAD';
  });

  /** Before CORS: OPTIONS that is not a preflight (no Origin header). */
  async function plainOptions(req: FastifyRequest, reply: FastifyReply) {
    if (req.method !== 'OPTIONS' || req.headers.origin !== undefined) return;
    const target = trpcTarget(req.url, trpcPrefix);
    if (target) {
      const methods = target.paths && trpcMethods(target);
      if (!methods) return refuseTrpc(req, reply, target);
      return reply.code(204).header('allow', allowHeader(methods)).send();
    }
    if (isUnder(req.url, trpcPrefix)) return errors.notFound(trpcPrefix)(req, reply);
    const allow = allowFor(req.url);
    if (allow) return reply.code(204).header('allow', allow).send();
    if (isUnder(req.url, opts.rest.prefix)) return restNotFound(req, reply);
    return reply.callNotFound();
  }

  /**
   * After CORS, before the CSRF guard: methods a REST path does not serve; HEAD as GET on the API; methods
   * tRPC does not read.
   */
  async function methods(req: FastifyRequest, reply: FastifyReply) {
    const method = req.method;
    if (method === 'OPTIONS') return; // a CORS preflight, answered by @fastify/cors
    if (req.url.startsWith(restBase)) {
      const refused = refuseRest(req, reply);
      if (refused) return refused;
    }
    // /api itself, or a method no route takes (TRACE, PROPFIND) on a path nothing serves: the REST mirror's own
    // 404, as GET on an unknown path below /api gets, not fastify's.
    if (req.routeOptions.url === undefined && isUnder(req.url, opts.rest.prefix))
      return restNotFound(req, reply);
    if (method === 'GET' || method === 'POST') return;
    if (method === 'HEAD') {
      const route = req.routeOptions.url;
      if (route === trpcRoute || route === restRoute) {
        headAsGet.add(req);
        req.raw.method = 'GET';
      }
      return;
    }
    // tRPC reads GET and POST only: any other method is refused in tRPC's shape, before the CSRF guard (415).
    const target = trpcTarget(req.url, trpcPrefix);
    if (target) return refuseTrpc(req, reply, target);
    if (isUnder(req.url, trpcPrefix)) return errors.notFound(trpcPrefix)(req, reply);
  }

  /**
   * 405 for a method a path below /api does not serve (HEAD as GET), with Allow; undefined when the method is
   * served there, or when nothing is (the REST mirror's 404).
   */
  function refuseRest(req: FastifyRequest, reply: FastifyReply) {
    const pathname = req.url.split('?', 1)[0] ?? '';
    const method = req.method === 'HEAD' ? 'GET' : req.method;
    const served = restPathMethods(pathname);
    if (!served) return undefined;
    const set = new Set(served);
    if (set.has(method)) return undefined;
    const allow = allowHeader(set);
    const error = new AppError(
      'METHOD_NOT_SUPPORTED',
      'METHOD_NOT_SUPPORTED',
      `This path does not serve ${method}: it allows ${allow}.`,
    );
    reply.header('allow', allow);
    return opts.errors.send(req, reply, error, 405);
  }

  /** The REST mirror's answer to a path it does not serve, counted as its own 404s are. */
  function restNotFound(req: FastifyRequest, reply: FastifyReply) {
    return opts.errors.send(req, reply, new AppError('NOT_FOUND', 'NOT_FOUND', 'Not found'), 404);
  }

  /** tRPC's per-call answer to a method it does not read: 405, or 404 for a path that is no procedure. */
  function refuseTrpc(req: FastifyRequest, reply: FastifyReply, target: TrpcTarget) {
    if (!target.paths) {
      const error = new TRPCError({ code: 'BAD_REQUEST', message: 'Invalid URL-encoding in path' });
      return errors.request(req, reply, error, target);
    }
    const refusals = target.paths.map((path) => {
      const type = procedureType(path);
      const error = type
        ? new TRPCError({
            code: 'METHOD_NOT_SUPPORTED',
            message: `Unsupported ${req.method}-request to ${type} procedure at path "${path}"`,
          })
        : new TRPCError({ code: 'NOT_FOUND', message: `No procedure found on path "${path}"` });
      return { error, path };
    });
    return errors.calls(req, reply, target.batch, refusals);
  }

  return { plainOptions, methods };
}

export type HttpMethods = ReturnType<typeof createHttpMethods>;

function allowHeader(methods: Iterable<string>): string {
  const set = new Set(methods);
  if (set.has('GET')) set.add('HEAD');
  set.add('OPTIONS');
  return METHOD_ORDER.filter((m) => set.has(m)).join(', ');
}

/** A web Response (the official tRPC adapter sends one; fastify applies its status and headers after onSend). */
function isResponse(payload: unknown): payload is Response {
  return payload instanceof Response;
}

/**
 * A HEAD answer from the payload GET would have sent: a web Response (the official tRPC adapter) gives its
 * status and headers; a stream is cancelled (an SSE subscription would otherwise run until the client left);
 * a string or Buffer is left to fastify, which sets its Content-Length (Node sends no body for a HEAD).
 */
function withoutBody(reply: FastifyReply, payload: unknown): unknown {
  if (isResponse(payload)) {
    reply.code(payload.status);
    for (const [name, value] of payload.headers) reply.header(name, value);
    payload.body?.cancel().catch(() => {});
    return null;
  }
  if (payload !== null && typeof payload === 'object') {
    const p = payload as { destroy?: () => void; cancel?: () => Promise<void>; getReader?: unknown };
    if (typeof p.getReader === 'function' && typeof p.cancel === 'function') {
      p.cancel().catch(() => {});
      return null;
    }
    if (typeof p.destroy === 'function' && !Buffer.isBuffer(payload)) {
      p.destroy();
      return null;
    }
  }
  return payload;
}

/**
 * A path as trpc-to-openapi reads it: the pathname of `http://127.0.0.1${path}` (dot segments resolved,
 * backslashes as slashes). Never as a URL of its own: `//x` would be a host.
 */
function normalized(path: string): string {
  if (!/[.%\\]/.test(path)) return path;
  try {
    return new URL(`http://localhost${path}`).pathname;
  } catch {
    return path;
  }
}

interface RestOperation {
  pattern: RegExp;
  methods: string[];
}

/**
 * Each path of the OpenAPI document as a pattern over the path below the prefix, with its methods; paths with
 * static segments first, as the REST mirror matches them (/chat/recent is not /chat/{id}).
 */
function restOperations(doc: OpenAPIObject): RestOperation[] {
  const paths = Object.entries(doc.paths ?? {}).sort(([a], [b]) => compareSpecificity(a, b));
  return paths.map(([path, item]) => {
    const source = path
      .replace(/\/+$/, '')
      .split('/')
      .map((s) => (s.startsWith('{') ? '[^/]+' : s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
      .join('/');
    const methods = ['get', 'post', 'put', 'patch', 'delete']
      .filter((m) => (item as Record<string, unknown>)[m] !== undefined)
      .map((m) => m.toUpperCase());
    return { pattern: new RegExp(`^${source}/?$`, 'i'), methods };
  });
}

/**
 * The methods the document gives `path` (below the prefix): those of its most specific path that matches
 * (/chat/recent is its own resource, GET only, not a chat id); undefined when it has no such path. The path is
 * normalized first as trpc-to-openapi reads it, through a WHATWG URL (dot segments, backslashes).
 */
function restMethods(ops: RestOperation[], path: string): string[] | undefined {
  return ops.find((o) => o.pattern.test(normalized(path)))?.methods;
}

import { AppError } from '@chatplatform/api';
import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';
import helmet from 'helmet';
import type { ApiErrors } from './api-errors';
import type { HttpMethods } from './http-methods';
import { isUnder } from './trpc-errors';

const JSON_TYPE = /^application\/json\s*(;|$)/i;

/** /trpc/..., /api/... (and the bare prefixes), not /apiary or /trpcx, nor the docs page and its assets. */
const isApiPath = (url: string) => /^\/(trpc|api)(\/|\?|$)/.test(url) && !/^\/api\/docs(\/|\?|$)/.test(url);

const UNSUPPORTED_MESSAGE = 'Requests that change data must send Content-Type: application/json.';

/**
 * Security headers, CORS from an allow list, and the CSRF guard: a cross-site HTML form can only send
 * form-urlencoded, multipart or text/plain bodies, and tRPC's adapter would run a no-input mutation from
 * one, so every non-GET request to the API must carry application/json. The guard's 415 is written by
 * `errors` (plugins/api-errors.ts) in the shape of the API it refuses: tRPC's on /trpc (one entry per call for
 * a batch), the REST mirror's on /api; the generic `{ code, message }` elsewhere.
 */
export async function registerSecurity(
  app: FastifyInstance,
  opts: {
    corsOrigins: string[];
    /**
     * plugins/http-methods.ts: its OPTIONS hook runs before CORS (which would refuse an OPTIONS without Origin
     * with 400), its methods hook after CORS (so a 405 carries CORS headers) and before the CSRF guard.
     */
    methods?: HttpMethods;
    /** The CSRF guard's 415 in the shape of the API refused (and counted as its errors are). */
    errors?: ApiErrors;
  },
) {
  // helmet's middleware, built once and run on the raw request and response. @fastify/helmet 13 built it anew on
  // every request (its CSP directives parsed each time, in two onRequest hooks): about 11 µs of CPU a request.
  const securityHeaders = helmet({
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    crossOriginEmbedderPolicy: false,
  });
  // Its next() takes no error since helmet 8.1: a bad configuration throws above, when it is built.
  // API answers are per caller and per moment (a sign-in nonce, a user's chats): no cache, shared or the
  // browser's, may keep one (with it, the `Vary: Origin` that tRPC's own Vary replaces no longer matters to a
  // cache). SSE sets its own `no-cache`, the OpenAPI document its own.
  app.addHook('onRequest', (req, reply, done) =>
    securityHeaders(req.raw, reply.raw, () => {
      if (isApiPath(req.url)) reply.header('cache-control', 'no-store');
      done();
    }),
  );
  if (opts.methods) app.addHook('onRequest', opts.methods.plainOptions);
  await app.register(cors, {
    origin: opts.corsOrigins,
    methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
    allowedHeaders: ['authorization', 'content-type', 'last-event-id', 'x-request-id', 'trpc-accept'],
    exposedHeaders: ['retry-after', 'x-request-id'],
    maxAge: 600,
  });
  if (opts.methods) app.addHook('onRequest', opts.methods.methods);
  app.addHook('onRequest', async (req, reply) => {
    if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return;
    const isTrpc = isUnder(req.url, '/trpc');
    if (!isTrpc && !isUnder(req.url, '/api')) return;
    const type = req.headers['content-type'];
    const hasBody = req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0';
    if ((type === undefined && (isTrpc || hasBody)) || (type !== undefined && !JSON_TYPE.test(type))) {
      const error = new AppError('UNSUPPORTED_MEDIA_TYPE', 'UNSUPPORTED_MEDIA_TYPE', UNSUPPORTED_MESSAGE);
      return (
        opts.errors?.send(req, reply, error, 415) ??
        reply.code(415).send({ code: 'UNSUPPORTED_MEDIA_TYPE', message: UNSUPPORTED_MESSAGE })
      );
    }
  });
}

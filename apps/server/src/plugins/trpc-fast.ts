import {
  type AnyTRPCProcedure,
  type AnyTRPCRouter,
  getTRPCErrorFromUnknown,
  TRPCError,
  transformTRPCResponse,
} from '@trpc/server';
import { type FastifyTRPCPluginOptions, fastifyRequestHandler } from '@trpc/server/adapters/fastify';
import { getHTTPStatusCode, type TRPCRequestInfo } from '@trpc/server/http';
import {
  getErrorShape,
  isAsyncIterable,
  isObject,
  isPromise,
} from '@trpc/server/unstable-core-do-not-import';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * tRPC at /trpc with a direct route for the two common calls: a single (non-batched) query by GET and a
 * single JSON mutation by POST. It invokes the procedure exactly as tRPC's `resolveResponse` (11.22.1) does,
 * the same `proc({ path, getRawInput, ctx, type, signal, batchIndex })` call, so middlewares, input parsing,
 * output validation, errorFormatter and onError all run, and it writes the same status, headers and JSON
 * bytes. It skips what makes the official adapter slow on Node 20: a fetch Request per request, two
 * AbortSignal.any() per call and a streamed (chunked) response body.
 *
 * Everything else goes to the official handler unchanged: batches, `trpc-accept: application/jsonl`
 * (httpBatchStreamLink), subscriptions, other content types, empty or BOM-prefixed POST bodies, unknown
 * procedures, wrong methods, HEAD, paths or query strings that tRPC would decode differently, and every
 * request when `responseMeta` is configured. It relies on tRPC internals (`router._def.procedures`, the
 * procedure call signature, getErrorShape): tRPC is pinned to an exact version and
 * test/trpc-fast.test.ts compares both paths byte for byte through the real @trpc/client.
 * TRPC_FAST_PATH=false registers the official plugin alone.
 */
export function trpcFastPlugin<TRouter extends AnyTRPCRouter>(
  fastify: FastifyInstance,
  opts: FastifyTRPCPluginOptions<TRouter>,
  done: (err?: Error) => void,
) {
  // The body parsers of the official plugin, so that what it is handed is exactly what it expects.
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, next) =>
    next(null, body),
  );
  fastify.removeContentTypeParser('multipart/form-data');
  fastify.addContentTypeParser('multipart/form-data', {}, (_req, body, next) => next(null, body));

  const trpc = opts.trpcOptions as Options;
  const direct = trpc.responseMeta ? undefined : directCaller(trpc);

  fastify.all('/:path', async (req, reply) => {
    const path = (req.params as { path: string }).path;
    const proc = direct?.match(req, path);
    if (direct && proc) return direct.call(req, reply, path, proc);
    await fastifyRequestHandler({ ...trpc, req, res: reply, path });
  });
  done();
}

type Options = FastifyTRPCPluginOptions<AnyTRPCRouter>['trpcOptions'];

const JSON_TYPE = 'application/json';
/** What the URL parser of tRPC's fetch Request would rewrite: anything but visible ASCII, and '#'. */
const UNUSUAL_QUERY = /[^\x21-\x7e]|#/;
const STREAM_IN_SINGLE_CALL =
  'Cannot use stream-like response in non-streaming request - use httpBatchStreamLink';

/** tRPC's `hasContentType`: media types are compared case-insensitively, parameters ignored. */
function mediaType(header: string | undefined): string | undefined {
  return header?.toLowerCase().split(';', 1)[0]?.trim();
}

/** resolveResponse's `isDataStream`: such a result needs httpBatchStreamLink. */
function isDataStream(v: unknown): boolean {
  if (!isObject(v)) return false;
  if (isAsyncIterable(v)) return true;
  const values = Object.values(v);
  return values.some(isPromise) || values.some(isAsyncIterable);
}

/** Raw input of one call, read lazily and once, with the error tRPC's memo() gives on a bad read. */
function lazyInput(read: () => unknown) {
  let state: 'unread' | 'ok' | 'failed' = 'unread';
  let value: unknown;
  let failure: TRPCError | undefined;
  return {
    getRawInput: async (): Promise<unknown> => {
      if (state === 'ok') return value;
      if (state === 'failed') throw failure;
      try {
        value = read();
        state = 'ok';
        return value;
      } catch (cause) {
        failure =
          cause instanceof TRPCError
            ? cause
            : new TRPCError({
                code: 'BAD_REQUEST',
                message: cause instanceof Error ? cause.message : 'Invalid input',
                cause,
              });
        state = 'failed';
        throw failure;
      }
    },
    result: (): unknown => (state === 'ok' ? value : undefined),
  };
}

function directCaller(trpc: Options) {
  const router = trpc.router;
  const config = router._def._config;
  const procedures = router._def.procedures as Record<string, AnyTRPCProcedure | undefined>;
  const deserialize = (v: unknown) => config.transformer.input.deserialize(v);

  return {
    /** The procedure when this request takes the direct route; undefined hands it to the official handler. */
    match(req: FastifyRequest, path: string): AnyTRPCProcedure | undefined {
      // tRPC decodes the (already decoded) path parameter once more.
      if (path.includes('%') || !Object.hasOwn(procedures, path)) return undefined;
      const proc = procedures[path];
      if (!proc) return undefined;
      const h = req.headers;
      if (h['trpc-accept'] !== undefined || h.accept?.includes('application/jsonl')) return undefined;
      const q = req.url.indexOf('?');
      const search = q === -1 ? '' : req.url.slice(q + 1);
      if (search !== '') {
        if (UNUSUAL_QUERY.test(search)) return undefined;
        const params = new URLSearchParams(search);
        if (params.has('batch') || params.has('connectionParams')) return undefined;
      }
      if (req.method === 'GET') {
        if (proc._def.type !== 'query' || h['content-type'] !== undefined) return undefined;
        return proc;
      }
      if (req.method === 'POST') {
        if (proc._def.type !== 'mutation' || mediaType(h['content-type']) !== JSON_TYPE) return undefined;
        const body: unknown = req.body;
        // Empty bodies are tRPC's to judge; Request.json() drops a BOM that JSON.parse refuses.
        if (typeof body !== 'string' || body === '' || body.charCodeAt(0) === 0xfeff) return undefined;
        return proc;
      }
      return undefined;
    },

    async call(req: FastifyRequest, reply: FastifyReply, path: string, proc: AnyTRPCProcedure) {
      const type = proc._def.type;
      const input = lazyInput(() => {
        let raw: unknown;
        if (req.method === 'GET') {
          const q = req.url.indexOf('?');
          const text = q === -1 ? null : new URLSearchParams(req.url.slice(q + 1)).get('input');
          if (text) raw = JSON.parse(text);
        } else {
          raw = JSON.parse(req.body as string);
        }
        return raw === undefined ? undefined : deserialize(raw);
      });

      // The request's signal: aborted when the client goes away before the response is written.
      const abort = new AbortController();
      const res = reply.raw;
      res.once('close', () => {
        if (!res.writableEnded) abort.abort();
      });

      const call = { batchIndex: 0, path, procedure: proc, ...input };
      let url: URL | null | undefined;
      const info: TRPCRequestInfo = {
        isBatchCall: false,
        accept: null,
        calls: [call],
        type,
        connectionParams: null,
        signal: abort.signal,
        get url() {
          url ??= new URL(req.url, `${req.protocol}://${req.headers.host ?? 'localhost'}`);
          return url;
        },
      };

      let ctx: unknown;
      let ctxError: TRPCError | undefined;
      try {
        ctx = await trpc.createContext?.({ req, res: reply, info });
      } catch (cause) {
        ctxError = getTRPCErrorFromUnknown(cause);
      }

      let data: unknown;
      let error: TRPCError | undefined;
      try {
        if (ctxError) throw ctxError;
        data = await proc({
          path,
          getRawInput: input.getRawInput,
          ctx,
          type,
          signal: abort.signal,
          batchIndex: 0,
        });
      } catch (cause) {
        error = getTRPCErrorFromUnknown(cause);
        trpc.onError?.({ error, path, input: input.result(), ctx, type, req });
      }

      reply.header('content-type', JSON_TYPE);
      reply.header('vary', 'trpc-accept, accept');
      let status: number;
      let body: string;
      try {
        if (!error && isDataStream(data)) {
          throw new TRPCError({ code: 'UNSUPPORTED_MEDIA_TYPE', message: STREAM_IN_SINGLE_CALL });
        }
        const response = error
          ? { error: getErrorShape({ config, ctx, error, input: input.result(), path, type }) }
          : { result: { data } };
        status = getHTTPStatusCode([response]);
        body = JSON.stringify(transformTRPCResponse(config, response));
      } catch (cause) {
        // resolveResponse's outer catch: an unserialisable result, a broken errorFormatter, a stream.
        const caught = getTRPCErrorFromUnknown(cause);
        trpc.onError?.({ error: caught, path: undefined, input: undefined, ctx, type, req });
        const response = {
          error: getErrorShape({ config, ctx, error: caught, input: undefined, path: undefined, type }),
        };
        status = getHTTPStatusCode(response);
        body = JSON.stringify(transformTRPCResponse(config, response));
      }
      // A Buffer, so that fastify keeps the content type as tRPC sets it (a string would gain "; charset=utf-8").
      return reply.code(status).send(Buffer.from(body));
    },
  };
}

import { Readable } from 'node:stream';
import {
  type AnyTRPCProcedure,
  type AnyTRPCRouter,
  getTRPCErrorFromUnknown,
  TRPCError,
  transformTRPCResponse,
} from '@trpc/server';
import { type FastifyTRPCPluginOptions, fastifyRequestHandler } from '@trpc/server/adapters/fastify';
import { getHTTPStatusCode, type TRPCRequestInfo } from '@trpc/server/http';
import { isObservable, observableToAsyncIterable } from '@trpc/server/observable';
import {
  getErrorShape,
  getLastEventId,
  isAbortError,
  isAsyncIterable,
  isObject,
  isPromise,
  isTrackedEnvelope,
  sseHeaders,
} from '@trpc/server/unstable-core-do-not-import';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * tRPC at /trpc with a direct route for the three common calls: a single (non-batched) query by GET, a
 * single JSON mutation by POST, and a subscription over SSE by GET (httpSubscriptionLink). It invokes the
 * procedure exactly as tRPC's `resolveResponse` (11.22.1) does, the same
 * `proc({ path, getRawInput, ctx, type, signal, batchIndex })` call, so middlewares, input parsing, output
 * validation, errorFormatter and onError all run, and it writes the same status, headers and bytes. It skips
 * what makes the official adapter slow on Node 20: a fetch Request per request, two AbortSignal.any() per
 * call, a streamed (chunked) body for a single JSON answer, and for SSE a stack of web streams per open
 * subscription.
 *
 * Everything else goes to the official handler unchanged: batches, `trpc-accept: application/jsonl`
 * (httpBatchStreamLink), SSE with pings or a maximum duration configured, other content types, empty or
 * BOM-prefixed POST bodies, unknown procedures, wrong methods, HEAD, paths or query strings that tRPC would
 * decode differently, and every request when `responseMeta` is configured. It relies on tRPC internals
 * (`router._def.procedures`, the procedure call signature, getErrorShape): tRPC is pinned to an exact
 * version, and test/trpc-fast.test.ts and test/trpc-fast-sse.test.ts compare both paths byte for byte
 * through the real @trpc/client. TRPC_FAST_PATH=false registers the official plugin alone.
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

/** The request's query string. */
function searchParams(req: FastifyRequest): URLSearchParams {
  const at = req.url.indexOf('?');
  return new URLSearchParams(at === -1 ? '' : req.url.slice(at + 1));
}

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
  const serialize = (v: unknown) => config.transformer.output.serialize(v);
  // Subscriptions take the direct route only with SSE as tRPC configures it by default: no pings, no
  // maximum duration, no end after the first event. Any of those hands them to the official handler.
  const sse = config.sse;
  const plainSSE =
    sse?.enabled !== false && !sse?.ping?.enabled && !sse?.maxDurationMs && !sse?.emitAndEndImmediately;
  const connected = `event: connected\ndata: ${JSON.stringify(sse?.client ?? {})}\n\n\n`;

  /** The raw input of a GET call: the `input` query parameter, deserialized. */
  const queryInput = (params: URLSearchParams) =>
    lazyInput(() => {
      const text = params.get('input');
      const raw: unknown = text ? JSON.parse(text) : undefined;
      return raw === undefined ? undefined : deserialize(raw);
    });

  const requestInfo = (
    req: FastifyRequest,
    call: TRPCRequestInfo['calls'][number],
    signal: AbortSignal,
  ): TRPCRequestInfo => {
    let url: URL | undefined;
    return {
      isBatchCall: false,
      accept: null,
      calls: [call],
      type: call.procedure?._def.type ?? 'unknown',
      connectionParams: null,
      signal,
      get url() {
        url ??= new URL(req.url, `${req.protocol}://${req.headers.host ?? 'localhost'}`);
        return url;
      },
    };
  };

  /**
   * A subscription over SSE, written as tRPC's sseStreamProducer writes it (the same events, bytes and
   * headers; see the test) straight into one Node stream that fastify pipes to the socket. The official
   * handler wraps the same procedure in a fetch Request, two AbortSignal.any(), two async generators, a
   * ReadableStream with two TransformStreams, a second ReadableStream for its abort and a WritableStream
   * to reach the socket: about 70 KB per open subscription, which is the platform's memory per idle
   * subscriber. One difference, on purpose: a subscription that fails before its first event reports the
   * error to onError once; the official handler reports it twice (for the call, and again as it formats
   * the SSE error event), which counts every such error twice in the metrics.
   */
  async function subscribe(req: FastifyRequest, reply: FastifyReply, path: string, proc: AnyTRPCProcedure) {
    const type = proc._def.type;
    const params = searchParams(req);
    const input = queryInput(params);
    const header = req.headers['last-event-id'];
    const given = getLastEventId({
      headers: new Headers(typeof header === 'string' ? { 'last-event-id': header } : undefined),
      searchParams: params,
    });
    // As tRPC's getRequestInfo: the id a reconnecting EventSource sends goes into the input.
    const getRawInput = async () => {
      const raw = await input.getRawInput();
      if (!given) return raw;
      if (isObject(raw)) return { ...raw, lastEventId: given };
      return raw ?? { lastEventId: given };
    };
    const abort = new AbortController();
    let resume: (() => void) | undefined;
    const body = new Readable({
      read() {
        resume?.();
      },
      destroy(err, callback) {
        abort.abort();
        resume?.();
        callback(err);
      },
    });
    reply.raw.once('close', () => {
      abort.abort();
      resume?.();
    });
    /** Queues an event; waits while the client reads slower than the reply is written. */
    const write = async (text: string) => {
      if (abort.signal.aborted || body.push(text)) return;
      await new Promise<void>((r) => {
        resume = r;
      });
      resume = undefined;
    };

    const call = { batchIndex: 0, path, procedure: proc, getRawInput, result: input.result };
    let ctx: unknown;
    /** The SSE error event for `cause`, reported to onError once. */
    const fail = (cause: unknown) => {
      const error = getTRPCErrorFromUnknown(cause);
      trpc.onError?.({ error, path, input: input.result(), ctx, type, req });
      const shape = getErrorShape({ config, ctx, error, input: input.result(), path, type });
      return `event: serialized-error\ndata: ${JSON.stringify(serialize(shape))}\n\n\n`;
    };

    let iterable: AsyncIterable<unknown> | undefined;
    let failure: string | undefined;
    try {
      ctx = await trpc.createContext?.({ req, res: reply, info: requestInfo(req, call, abort.signal) });
      const data: unknown = await proc({
        path,
        getRawInput,
        ctx,
        type,
        signal: abort.signal,
        batchIndex: 0,
      });
      if (isObservable(data)) iterable = observableToAsyncIterable(data, abort.signal);
      else if (isAsyncIterable(data)) iterable = data;
      else
        failure = fail(
          new TRPCError({
            code: 'INTERNAL_SERVER_ERROR',
            message: `Subscription ${path} did not return an observable or a AsyncGenerator`,
          }),
        );
    } catch (cause) {
      failure = fail(cause);
    }

    reply.header('vary', 'trpc-accept, accept');
    for (const [k, v] of Object.entries(sseHeaders)) reply.header(k.toLowerCase(), v);
    reply.code(200).send(body);
    void pump();

    async function pump() {
      try {
        await write(connected);
        if (failure !== undefined) return void (await write(failure));
        if (!iterable) return;
        let lastEventId = given && !/[\0\n\r]/.test(given) ? given : null;
        try {
          for await (const value of iterable) {
            if (abort.signal.aborted) break;
            if (isTrackedEnvelope(value)) {
              lastEventId = value[0];
              await write(`data: ${JSON.stringify(serialize(value[1]))}\nid: ${value[0]}\n\n\n`);
            } else if (lastEventId === null) {
              await write(`data: ${JSON.stringify(serialize(value))}\n\n\n`);
            } else {
              await write(
                `data: ${JSON.stringify(serialize(value))}\nid: \n\n\nevent: restore-id\ndata: \nid: ${lastEventId}\n\n\n`,
              );
            }
          }
          if (!abort.signal.aborted) await write('event: return\ndata: \n\n\n');
        } catch (cause) {
          if (!isAbortError(cause) && !abort.signal.aborted) await write(fail(cause));
        }
      } catch (cause) {
        // Only a broken errorFormatter or transformer gets here: the stream ends as tRPC's would, cut.
        req.log.error({ err: cause, procedure: path }, 'subscription failed');
      } finally {
        if (!body.destroyed) body.push(null);
      }
    }
    return reply;
  }

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
        if (h['content-type'] !== undefined) return undefined;
        if (proc._def.type === 'query') return proc;
        if (proc._def.type === 'subscription' && plainSSE) return proc;
        return undefined;
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
      if (type === 'subscription') return subscribe(req, reply, path, proc);
      const input =
        req.method === 'GET'
          ? queryInput(searchParams(req))
          : lazyInput(() => {
              const raw: unknown = JSON.parse(req.body as string);
              return raw === undefined ? undefined : deserialize(raw);
            });

      // The request's signal: aborted when the client goes away before the response is written.
      const abort = new AbortController();
      const res = reply.raw;
      res.once('close', () => {
        if (!res.writableEnded) abort.abort();
      });

      const call = { batchIndex: 0, path, procedure: proc, ...input };
      const info = requestInfo(req, call, abort.signal);

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

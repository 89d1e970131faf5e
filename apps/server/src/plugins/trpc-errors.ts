import { AppError } from '@chatplatform/api';
import { type AnyTRPCRouter, TRPCError, transformTRPCResponse } from '@trpc/server';
import { getHTTPStatusCode } from '@trpc/server/http';
import { getErrorShape, HTTP_CODE_TO_JSONRPC2, isObject } from '@trpc/server/unstable-core-do-not-import';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

/** The tRPC plugin's onError, as far as the server's own refusals can fill it in. */
export type TrpcOnError = (opts: { error: TRPCError; path: string | undefined; req: FastifyRequest }) => void;

/** The calls a /trpc URL names: its path split at commas for a batch (`?batch=1`), as tRPC reads it. */
export interface TrpcTarget {
  batch: boolean;
  /** Procedure paths, decoded as tRPC decodes them; undefined when the path is not valid percent-encoding. */
  paths: string[] | undefined;
  /** How many calls the URL names (its comma-separated parts for a batch, else 1). */
  count: number;
}

/**
 * Reads a /trpc/<path> URL (undecoded, as the client sent it) the way tRPC does: fastify decodes the path
 * parameter once, tRPC decodes it again and splits a batch's at commas. Undefined for other URLs.
 */
export function trpcTarget(url: string, prefix: string): TrpcTarget | undefined {
  const q = url.indexOf('?');
  const pathname = q === -1 ? url : url.slice(0, q);
  if (!pathname.startsWith(`${prefix}/`)) return undefined;
  const raw = pathname.slice(prefix.length + 1);
  if (raw === '' || raw.includes('/')) return undefined;
  const batch = new URLSearchParams(q === -1 ? '' : url.slice(q + 1)).get('batch') === '1';
  const count = batch ? raw.split(/,|%2c/i).length : 1;
  let decoded: string;
  try {
    decoded = decodeURIComponent(decodeURIComponent(raw));
  } catch {
    return { batch, paths: undefined, count };
  }
  const paths = batch ? decoded.split(',') : [decoded];
  return { batch, paths, count: paths.length };
}

/**
 * The calls any URL under the prefix names, for the answers given to URLs that reach no procedure route: what
 * trpcTarget reads, else the path below the prefix decoded once (as is, when it is not valid percent-encoding;
 * empty for the bare prefix) and split at commas for a batch.
 */
export function trpcCalls(url: string, prefix: string): TrpcTarget & { paths: string[] } {
  const target = trpcTarget(url, prefix);
  if (target?.paths) return { ...target, paths: target.paths };
  const q = url.indexOf('?');
  const pathname = q === -1 ? url : url.slice(0, q);
  const raw = pathname.startsWith(`${prefix}/`) ? pathname.slice(prefix.length + 1) : '';
  const batch = new URLSearchParams(q === -1 ? '' : url.slice(q + 1)).get('batch') === '1';
  let decoded = raw;
  try {
    decoded = decodeURIComponent(raw);
  } catch {}
  const paths = batch ? decoded.split(',') : [decoded];
  return { batch, paths, count: paths.length };
}

/** Whether a URL is the prefix itself or below it (/trpc, /trpc?x, /trpc/...; not /trpcx). */
export function isUnder(url: string, prefix: string): boolean {
  if (!url.startsWith(prefix)) return false;
  const next = url.charCodeAt(prefix.length);
  return Number.isNaN(next) || next === 0x2f || next === 0x3f; // end, '/', '?'
}

/** tRPC has no code for some statuses (414, 431): those answer BAD_REQUEST with the real status in data.httpStatus. */
function codeFor(status: number): TRPCError['code'] {
  const codes: Partial<Record<number, TRPCError['code']>> = HTTP_CODE_TO_JSONRPC2;
  return codes[status] ?? 'BAD_REQUEST';
}

/**
 * Error answers in tRPC's shape for what the server refuses before (or around) tRPC: the batch guard, methods a
 * procedure does not serve, fastify's own errors on /trpc (a body over the limit, a bad URL). The body is what
 * tRPC writes for an error (the router's errorFormatter and transformer applied), an array with one entry per
 * call for a batch, so that httpBatchLink reads each call's error; the status is `status`, or what tRPC would
 * derive from the entries. Each error goes to `onError` (the metrics) as tRPC's own do.
 */
export function createTrpcErrors(opts: { router: AnyTRPCRouter; onError?: TrpcOnError | undefined }) {
  const config = opts.router._def._config;

  const entry = (error: TRPCError, path: string | undefined, status: number | undefined) => {
    const shape = getErrorShape({ config, ctx: undefined, error, input: undefined, path, type: 'unknown' });
    if (status !== undefined && isObject(shape.data)) shape.data.httpStatus = status;
    return { error: shape };
  };

  const write = (reply: FastifyReply, body: unknown, status: number) => {
    reply.header('content-type', 'application/json');
    reply.header('vary', 'trpc-accept, accept');
    // A Buffer, so that fastify keeps the content type as tRPC sets it (no "; charset=utf-8").
    return reply.code(status).send(Buffer.from(JSON.stringify(transformTRPCResponse(config, body as never))));
  };

  const report = (req: FastifyRequest, error: TRPCError, path: string | undefined) =>
    opts.onError?.({ error, path, req });

  /**
   * One error for the whole request (no call ran). A batch gets it once per call, without paths; onError hears
   * it once, with the procedure's path when the request names exactly one.
   */
  function request(
    req: FastifyRequest,
    reply: FastifyReply,
    error: TRPCError,
    target: { batch: boolean; paths?: string[] | undefined; count: number },
    status?: number,
  ) {
    report(req, error, target.paths?.length === 1 ? target.paths[0] : undefined);
    const one = entry(error, undefined, status);
    const body = target.batch ? Array.from({ length: Math.max(1, target.count) }, () => one) : one;
    return write(reply, body, status ?? getHTTPStatusCode(one));
  }

  /** One error per call, each with its path, as tRPC answers the calls it refuses one by one. */
  function calls(
    req: FastifyRequest,
    reply: FastifyReply,
    batch: boolean,
    errors: Array<{ error: TRPCError; path: string }>,
  ) {
    const entries = errors.map(({ error, path }) => {
      report(req, error, path);
      return entry(error, path, undefined);
    });
    return write(reply, batch ? entries : entries[0], getHTTPStatusCode(entries));
  }

  /**
   * An error handler for the /trpc routes: fastify's own errors (a body over the limit, a Content-Length that
   * does not match) in tRPC's shape; anything else is a 500 (onError logs it).
   */
  function errorHandler(prefix: string, bodyLimit: number) {
    return (err: FastifyError, req: FastifyRequest, reply: FastifyReply) => {
      const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
      const target = trpcTarget(req.url, prefix) ?? { batch: false, count: 1 };
      return request(req, reply, fastifyTrpcError(err, status, bodyLimit), target, status);
    };
  }

  /**
   * A not-found handler for URLs under `prefix` that reach no procedure route (the bare prefix, a path with a
   * slash): tRPC's answer to an unknown procedure, 404 NOT_FOUND naming the path, one entry per call for a
   * batch. No call of such a URL runs, whatever its comma-separated parts name, so onError hears each without
   * a path (counted under "unknown", never under a real procedure's name).
   */
  function notFound(prefix: string) {
    return (req: FastifyRequest, reply: FastifyReply) => {
      const { batch, paths } = trpcCalls(req.url, prefix);
      const entries = paths.map((path) => {
        const error = new TRPCError({ code: 'NOT_FOUND', message: `No procedure found on path "${path}"` });
        report(req, error, undefined);
        return entry(error, path, undefined);
      });
      return write(reply, batch ? entries : entries[0], getHTTPStatusCode(entries));
    };
  }

  return { request, calls, errorHandler, notFound };
}

export type TrpcErrors = ReturnType<typeof createTrpcErrors>;

/** The TRPCError for an error fastify raised; AppError so that the errorFormatter writes its reason. */
export function fastifyTrpcError(err: FastifyError, status: number, bodyLimit: number): TRPCError {
  const code = codeFor(status);
  if (status === 500)
    return new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message: 'Internal error', cause: err });
  if (status === 413)
    return new AppError(code, 'BODY_TOO_LARGE', `The request body is larger than ${bodyLimit} bytes.`);
  if (err.code === 'FST_ERR_BAD_URL')
    return new AppError(code, 'INVALID_URL', 'The URL path is not valid percent-encoding.');
  if (err.code === 'FST_ERR_MAX_PARAM_LENGTH')
    return new AppError(code, 'URI_TOO_LONG', 'The procedure path in the URL is too long.');
  return new AppError(code, code, err.message);
}

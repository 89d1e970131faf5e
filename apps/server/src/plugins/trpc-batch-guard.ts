import { type AnyTRPCRouter, TRPCError } from '@trpc/server';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createTrpcErrors, type TrpcOnError } from './trpc-errors';

export const BATCH_SHAPE_MESSAGE = "A batch's input must be an object keyed by the call indices 0..n-1";

/**
 * Refuses a tRPC batch (`?batch=1`, httpBatchLink and httpBatchStreamLink) whose input does not have the batch
 * shape, before tRPC sees it. tRPC 11.22.1 reads the input of call i as `input[i]` and takes a missing key for
 * "no input", so `{"title":"x"}` posted to `chat.create?batch=1` created a chat without its title, and
 * `{"x":1}` to `auth.logout?batch=1` logged the caller out. The input (the JSON body of a POST, the `input`
 * query parameter of a GET) must be absent, or an object whose keys are all among "0".."n-1" for the n paths
 * of the URL (a key may be missing: the client leaves out calls without input). Anything else is a 400
 * BAD_REQUEST in tRPC's error shape (the router's errorFormatter and transformer applied) and no procedure runs.
 * A refusal goes to `onError` as tRPC's own errors do (the metrics count it under the procedure's name when the
 * URL names exactly one procedure).
 *
 * A root hook, so that it covers the direct route (plugins/trpc-fast.ts) and the official adapter alike
 * (TRPC_FAST_PATH=false); register it before the tRPC plugin, whose routes inherit it. It reads the request
 * as tRPC's JSON content handler does: the query through a WHATWG URL, the path decoded once more and split
 * at commas, the body as the string the tRPC plugin's parser left. What tRPC refuses by itself (a path it
 * cannot decode, other content types) is left to it; a HEAD arrives here as the GET it answers as
 * (plugins/http-methods.ts).
 */
export function registerTrpcBatchGuard(
  app: FastifyInstance,
  opts: { router: AnyTRPCRouter; prefix?: string; onError?: TrpcOnError },
) {
  const route = `${opts.prefix ?? '/trpc'}/:path`;
  const errors = createTrpcErrors({ router: opts.router, onError: opts.onError });

  app.addHook('preHandler', async (req, reply) => {
    if (req.routeOptions.url !== route || req.method === 'HEAD') return;
    const at = req.url.indexOf('?');
    if (at === -1) return;
    let params: URLSearchParams;
    try {
      params = new URL(req.url, 'http://localhost').searchParams;
    } catch {
      return;
    }
    if (params.get('batch') !== '1') return;
    let paths: string[];
    try {
      paths = decodeURIComponent((req.params as { path: string }).path).split(',');
    } catch {
      return; // tRPC refuses the path itself ("Invalid URL-encoding in path").
    }

    let text: string | undefined;
    const type = mediaType(req.headers['content-type']);
    if (type === 'application/json') {
      if (req.method === 'GET') text = params.get('input') || undefined;
      else if (typeof req.body === 'string') text = req.body.replace(/^\uFEFF/, '') || undefined;
      else return; // nothing tRPC's handler would read as a batch
    } else if (
      req.method === 'GET' &&
      type !== 'multipart/form-data' &&
      type !== 'application/octet-stream'
    ) {
      text = params.get('input') || undefined;
    } else {
      return; // other handlers ignore `batch`, or refuse the request
    }
    if (text === undefined) return;

    let inputs: unknown;
    try {
      inputs = JSON.parse(text);
    } catch (cause) {
      return refuse(req, reply, paths, cause instanceof Error ? cause.message : 'Invalid input');
    }
    if (!isBatchShape(inputs, paths.length)) return refuse(req, reply, paths, BATCH_SHAPE_MESSAGE);
  });

  /** One error object for the request (not one per call): no call's input can be told apart. */
  function refuse(req: FastifyRequest, reply: FastifyReply, paths: string[], message: string) {
    req.log.info({ reason: message }, 'tRPC batch refused');
    const error = new TRPCError({ code: 'BAD_REQUEST', message });
    return errors.request(req, reply, error, { batch: false, paths, count: 1 });
  }
}

/** Whether `inputs` is an object whose own keys are all call indices "0".."n-1". */
export function isBatchShape(inputs: unknown, n: number): boolean {
  if (inputs === undefined) return true;
  if (typeof inputs !== 'object' || inputs === null || Array.isArray(inputs)) return false;
  return Object.keys(inputs).every((k) => /^(0|[1-9]\d*)$/.test(k) && Number(k) < n);
}

function mediaType(header: string | undefined): string | undefined {
  return header?.toLowerCase().split(';', 1)[0]?.trim();
}

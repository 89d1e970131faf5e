import { AppError } from '@chatplatform/api';
import type { TRPCError } from '@trpc/server';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { restErrorBody } from './rest';
import { isUnder, type TrpcErrors, type TrpcOnError, trpcCalls } from './trpc-errors';

export interface ApiErrorsOptions {
  trpc: { prefix: string; errors: TrpcErrors };
  /** `onError` hears what is refused on the REST mirror, as its procedures' errors are (the metrics). */
  rest: { prefix: string; onError?: TrpcOnError | undefined };
}

/**
 * Answers to what the server refuses itself in front of the API (the CSRF guard, a method a REST path does
 * not serve), in the shape of the API the request was sent to:
 *
 * - under /trpc, tRPC's error shape (the router's errorFormatter and transformer applied), one entry per call
 *   for a batch, through createTrpcErrors (whose onError counts it);
 * - under /api, the REST mirror's `{ code, message, reason }` (as rest.ts's restErrorBody writes it), heard by
 *   the REST onError;
 * - elsewhere, undefined: the caller answers in the generic shape.
 */
export function createApiErrors(opts: ApiErrorsOptions) {
  const { prefix: trpcPrefix, errors } = opts.trpc;
  const { prefix: restPrefix, onError } = opts.rest;

  function send(
    req: FastifyRequest,
    reply: FastifyReply,
    error: TRPCError,
    status = getHTTPStatusCodeFromError(error),
  ): FastifyReply | undefined {
    if (isUnder(req.url, trpcPrefix))
      return errors.request(req, reply, error, trpcCalls(req.url, trpcPrefix), status);
    if (isUnder(req.url, restPrefix)) {
      onError?.({ error, path: undefined, req });
      const given = {
        code: error.code,
        message: error.message,
        ...(error instanceof AppError ? { reason: error.reason } : {}),
      };
      return reply.code(status).send(restErrorBody(JSON.stringify(given), status));
    }
    return undefined;
  }

  return { send };
}

export type ApiErrors = ReturnType<typeof createApiErrors>;

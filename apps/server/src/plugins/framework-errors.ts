import { AppError } from '@chatplatform/api';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { RestErrorBody } from './rest';
import { fastifyTrpcError, type TrpcErrors, trpcTarget } from './trpc-errors';

/**
 * fastify's `frameworkErrors`: the errors its router raises before any route or hook runs, a path that is not
 * valid percent-encoding (400, FST_ERR_BAD_URL) and a path parameter over `maxParamLength` (414,
 * FST_ERR_MAX_PARAM_LENGTH). fastify would answer them in its own JSON shape; here /trpc answers in tRPC's
 * error shape (an array for a batch) and /api in the REST mirror's, with the same statuses. No hook runs for
 * them, so the request id is set here.
 */
export function createFrameworkErrors(opts: {
  trpc: { prefix: string; errors: TrpcErrors };
  rest: { prefix: string };
  bodyLimit: number;
}) {
  return (err: FastifyError, req: FastifyRequest, reply: FastifyReply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 400;
    reply.header('x-request-id', req.id);
    if (req.url.startsWith(`${opts.trpc.prefix}/`)) {
      const target = trpcTarget(req.url, opts.trpc.prefix) ?? { batch: false, count: 1 };
      const error = fastifyTrpcError(err, status, opts.bodyLimit);
      return opts.trpc.errors.request(req, reply, error, target, status);
    }
    if (req.url.startsWith(`${opts.rest.prefix}/`)) {
      const error = fastifyTrpcError(err, status, opts.bodyLimit);
      const body: RestErrorBody = {
        code: 'BAD_REQUEST',
        message: error.message,
        ...(error instanceof AppError ? { reason: error.reason } : {}),
      };
      return reply.code(status).send(body);
    }
    return reply.code(status).send(err); // fastify's own answer elsewhere
  };
}

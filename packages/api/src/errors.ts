import { TRPCError } from '@trpc/server';

type Code = TRPCError['code'];

/**
 * A typed domain error: a tRPC code, a message a person understands, and a machine-readable reason
 * (e.g. NONCE_USED, QUOTA_EXCEEDED) that the errorFormatter puts in `error.data.reason`.
 */
export class AppError extends TRPCError {
  readonly reason: string;
  readonly details: Record<string, unknown> | undefined;
  /** Seconds; sent as the Retry-After header on 429. */
  readonly retryAfter: number | undefined;

  constructor(
    code: Code,
    reason: string,
    message: string,
    extra: { details?: Record<string, unknown>; retryAfter?: number; cause?: unknown } = {},
  ) {
    super({ code, message, cause: extra.cause });
    this.reason = reason;
    this.details = extra.details;
    this.retryAfter = extra.retryAfter;
  }
}

export const notFound = (what: string) => new AppError('NOT_FOUND', 'NOT_FOUND', `${what} not found`);
export const unauthorized = (reason: string, message: string) =>
  new AppError('UNAUTHORIZED', reason, message);
export const badRequest = (reason: string, message: string) => new AppError('BAD_REQUEST', reason, message);

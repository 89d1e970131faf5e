import { TRPCError } from '@trpc/server';
import { ZodError } from 'zod';
import { AppError } from '../src/errors';

export interface Failure {
  code: TRPCError['code'];
  reason: string | undefined;
  message: string;
  /** Paths of the zod issues (e.g. "content", "cursor"), when the failure is bad input. */
  fields: string[];
  error: TRPCError;
}

/** Awaits a call that must fail with a TRPCError and describes the failure. */
export async function failure(p: Promise<unknown>): Promise<Failure> {
  try {
    await p;
  } catch (err) {
    if (!(err instanceof TRPCError)) throw err;
    const zod = err.cause instanceof ZodError ? err.cause : undefined;
    return {
      code: err.code,
      reason: err instanceof AppError ? err.reason : undefined,
      message: err.message,
      fields: zod ? zod.issues.map((i) => i.path.join('.')) : [],
      error: err,
    };
  }
  throw new Error('expected the call to fail, but it succeeded');
}

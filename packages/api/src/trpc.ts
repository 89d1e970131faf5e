import { initTRPC } from '@trpc/server';
import type { OpenApiMeta } from 'trpc-to-openapi';
import { ZodError, z } from 'zod';
import type { Context } from './context';
import { AppError } from './errors';

const t = initTRPC
  .context<Context>()
  .meta<OpenApiMeta>()
  .create({
    // Stack traces go to the log, never to a client.
    isDev: false,
    errorFormatter({ shape, error }) {
      const zodError = error.cause instanceof ZodError ? error.cause : null;
      const isApp = error instanceof AppError;
      const internal = error.code === 'INTERNAL_SERVER_ERROR' && !isApp;
      return {
        ...shape,
        message: zodError
          ? z.prettifyError(zodError)
          : internal
            ? 'Something went wrong on our side.'
            : shape.message,
        data: {
          code: shape.data.code,
          httpStatus: shape.data.httpStatus,
          path: shape.data.path,
          reason: isApp ? error.reason : zodError ? 'INVALID_INPUT' : internal ? 'INTERNAL' : shape.data.code,
          ...(isApp && error.details ? { details: error.details } : {}),
          ...(isApp && error.retryAfter !== undefined ? { retryAfter: error.retryAfter } : {}),
          ...(zodError ? { zodError: z.flattenError(zodError) } : {}),
        },
      };
    },
  });

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
export const middleware = t.middleware;

function tooManyRequests(ctx: Context, retryAfterMs: number): AppError {
  const retryAfter = Math.max(1, Math.ceil(retryAfterMs / 1000));
  ctx.req.setHeader('Retry-After', String(retryAfter));
  return new AppError(
    'TOO_MANY_REQUESTS',
    'RATE_LIMITED',
    `Too many requests; try again in ${retryAfter} s.`,
    {
      retryAfter,
    },
  );
}

/** Anyone may call it. */
export const publicProcedure = t.procedure;

/** Anyone may call it, at most `rateLimits.authPerIp` times per window per client IP (sign-in endpoints). */
export const ipLimitedProcedure = t.procedure.use(async ({ ctx, next }) => {
  const r = await ctx.limiters.authPerIp.consume(ctx.req.ip);
  if (!r.allowed) throw tooManyRequests(ctx, r.retryAfterMs);
  return next();
});

const BEARER = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/;

/** Only a signed-in user with a live session; narrows ctx.auth. Rate-limited per user. */
export const authedProcedure = t.procedure.use(async ({ ctx, next }) => {
  const header = ctx.req.authorization;
  if (!header) throw new AppError('UNAUTHORIZED', 'TOKEN_MISSING', 'Sign in first: no Authorization header.');
  const match = BEARER.exec(header);
  if (!match?.[1])
    throw new AppError('UNAUTHORIZED', 'TOKEN_INVALID', 'The Authorization header must be "Bearer <token>".');
  const claims = await ctx.tokens.verifyAccessToken(match[1]);
  await ctx.sessions.assertActive(claims.sessionId);
  const r = await ctx.limiters.authedPerUser.consume(claims.userId);
  if (!r.allowed) throw tooManyRequests(ctx, r.retryAfterMs);
  return next({ ctx: { auth: { userId: claims.userId, sessionId: claims.sessionId } } });
});

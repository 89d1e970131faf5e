import { createHash, randomInt, randomUUID, timingSafeEqual } from 'node:crypto';
import {
  confirmEmailVerification,
  deleteEmailVerification,
  getOpenEmailVerification,
  getUserById,
  isEmailVerifiedByOtherUser,
  issueEmailVerification,
  spendEmailVerificationAttempt,
} from '@chatplatform/db/queries';
import type { TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import type { Context } from '../context';
import { AppError, notFound } from '../errors';
import { isoDate } from '../schemas/common';
import { toUserOutput, userOutput } from '../schemas/user';
import { authedProcedure } from '../trpc';

const tags = ['auth'];

/** SHA-256 of the code keyed with the verification id: equal codes never share a hash, nothing reversible is stored. */
export function hashEmailCode(verificationId: string, code: string): string {
  return createHash('sha256').update(`${verificationId}:${code}`).digest('hex');
}

const emailInput = z
  .email({ message: 'must be an email address' })
  .max(254)
  .describe('the address to verify');

/** Addresses are compared case-insensitively; the domain part is stored lower-case, the local part as given. */
function normaliseEmail(email: string): string {
  const at = email.lastIndexOf('@');
  return `${email.slice(0, at)}@${email.slice(at + 1).toLowerCase()}`;
}

/**
 * The email procedures of the `auth` namespace (root.ts spreads this record into it):
 * auth.addEmail sends a code, auth.verifyEmail proves it.
 */
/** TOO_MANY_REQUESTS with a Retry-After header and `retryAfter` in seconds. */
function throttled(
  ctx: Context,
  retryAfterMs: number,
  reason: string,
  message: (seconds: number) => string,
): AppError {
  const retryAfter = Math.max(1, Math.ceil(retryAfterMs / 1000));
  ctx.req.setHeader('Retry-After', String(retryAfter));
  return new AppError('TOO_MANY_REQUESTS', reason, message(retryAfter), { retryAfter });
}

export const emailRouter = {
  /**
   * Sends a 6-digit code to the address. Codes expire (15 minutes by default), allow 5 attempts and supersede
   * older codes; sending is throttled per user. An address another user has verified is CONFLICT. Changing
   * email goes through the same path: the current address stays until the new one is verified.
   */
  addEmail: authedProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/auth/add-email',
        tags,
        protect: true,
        summary: 'Add or change your email: sends a verification code',
      },
    })
    .input(z.strictObject({ email: emailInput }))
    .output(
      z.object({
        email: z.string(),
        status: z.enum(['code_sent', 'already_verified']),
        expiresAt: isoDate.nullable().describe('when the code expires; null when already verified'),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const userId = ctx.auth.userId;
      const email = normaliseEmail(input.email);
      const cfg = ctx.config.email;
      const user = await getUserById(ctx.db, { id: userId });
      if (!user) throw notFound('User');
      if (user.emailVerifiedAt && user.email?.toLowerCase() === email.toLowerCase()) {
        return { email: user.email, status: 'already_verified' as const, expiresAt: null };
      }
      const attempt = await ctx.limiters.emailAttempts.consume(userId);
      if (!attempt.allowed)
        throw throttled(
          ctx,
          attempt.retryAfterMs,
          'EMAIL_ATTEMPTS_LIMITED',
          (s) => `Too many addresses tried this hour; try again in ${s} s.`,
        );
      if (await isEmailVerifiedByOtherUser(ctx.db, { email, userId })) {
        throw new AppError(
          'CONFLICT',
          'EMAIL_TAKEN',
          'This email address is already verified by another account.',
        );
      }

      const id = randomUUID();
      const code = randomInt(0, 1_000_000).toString().padStart(6, '0');
      const expiresAt = new Date(Date.now() + cfg.codeTtlSeconds * 1000);
      const issued = await issueEmailVerification(ctx.db, {
        id,
        userId,
        email,
        codeHash: hashEmailCode(id, code),
        expiresAt,
        minIntervalMs: cfg.resendIntervalSeconds * 1000,
        maxPerHour: cfg.maxPerHour,
      });
      if (issued.status === 'throttled')
        throw throttled(
          ctx,
          issued.retryAfterMs,
          'EMAIL_RESEND_THROTTLED',
          (s) => `A code was sent recently; you can ask for a new one in ${s} s.`,
        );
      const recipient = await ctx.limiters.emailRecipient.consume(
        createHash('sha256').update(email.toLowerCase()).digest('base64url'),
      );
      if (!recipient.allowed) {
        await deleteEmailVerification(ctx.db, { id });
        throw throttled(
          ctx,
          recipient.retryAfterMs,
          'EMAIL_ADDRESS_THROTTLED',
          (s) => `This address has been sent ${cfg.maxPerHour} codes this hour; try again in ${s} s.`,
        );
      }
      const minutes = Math.round(cfg.codeTtlSeconds / 60);
      try {
        await ctx.mailer.send({
          to: email,
          subject: `Your ChatPlatform verification code: ${code}`,
          text: [
            `Your verification code is ${code}`,
            '',
            `Enter it in ChatPlatform within ${minutes} minutes to verify ${email}.`,
            'If you did not ask for it, ignore this mail: nothing changes without the code.',
          ].join('\n'),
        });
      } catch (err) {
        // No mail, no code: forget it, so the user is not throttled for a mail that never left.
        await deleteEmailVerification(ctx.db, { id });
        ctx.logger.error({ err, userId }, 'verification mail could not be sent');
        throw new AppError(
          'SERVICE_UNAVAILABLE',
          'EMAIL_SEND_FAILED',
          'The verification mail could not be sent; try again later.',
        );
      }
      return { email, status: 'code_sent' as const, expiresAt: expiresAt.toISOString() };
    }),

  /** Proves the code from the newest mail; the address becomes the user's verified email. */
  verifyEmail: authedProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/auth/verify-email',
        tags,
        protect: true,
        summary: 'Verify your email with the code from the mail',
      },
    })
    .input(z.strictObject({ code: z.string().regex(/^\d{6}$/, { message: 'must be the 6-digit code' }) }))
    .output(userOutput)
    .mutation(async ({ ctx, input }) => {
      const userId = ctx.auth.userId;
      const cfg = ctx.config.email;
      const open = await getOpenEmailVerification(ctx.db, { userId });
      if (!open) {
        throw new AppError(
          'BAD_REQUEST',
          'NO_PENDING_CODE',
          'No valid code is pending (it expired, was used, or none was sent): ask for a new one.',
        );
      }
      const attempts = await spendEmailVerificationAttempt(ctx.db, {
        id: open.id,
        maxAttempts: cfg.maxAttempts,
      });
      if (attempts === undefined) {
        throw new AppError(
          'TOO_MANY_REQUESTS',
          'CODE_ATTEMPTS_EXHAUSTED',
          'Too many wrong codes: ask for a new one.',
        );
      }
      const expected = Buffer.from(open.codeHash, 'hex');
      const given = Buffer.from(hashEmailCode(open.id, input.code), 'hex');
      if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
        const attemptsLeft = Math.max(0, cfg.maxAttempts - attempts);
        throw new AppError('BAD_REQUEST', 'CODE_INVALID', `Wrong code; ${attemptsLeft} attempt(s) left.`, {
          details: { attemptsLeft },
        });
      }
      if (await isEmailVerifiedByOtherUser(ctx.db, { email: open.email, userId })) {
        throw new AppError(
          'CONFLICT',
          'EMAIL_TAKEN',
          'This email address is already verified by another account.',
        );
      }
      const r = await confirmEmailVerification(ctx.db, { id: open.id, userId });
      if (r.status === 'conflict')
        throw new AppError(
          'CONFLICT',
          'EMAIL_TAKEN',
          'This email address is already verified by another account.',
        );
      if (r.status === 'used')
        throw new AppError(
          'BAD_REQUEST',
          'NO_PENDING_CODE',
          'This code was already used: ask for a new one.',
        );
      return toUserOutput(r.user);
    }),
} satisfies TRPCRouterRecord;

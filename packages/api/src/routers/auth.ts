import type { TRPCRouterRecord } from '@trpc/server';
import type { Hex } from 'viem';
import { z } from 'zod';
import { isoDate } from '../schemas/common';
import { toUserOutput, userOutput } from '../schemas/user';
import { authedProcedure, ipLimitedProcedure, publicProcedure } from '../trpc';

/** An issued EIP-4361 message is a few hundred bytes; anything near this cap is not ours. */
export const MAX_SIWE_MESSAGE = 2048;
/** 65-byte ECDSA is 132 chars; EIP-1271/6492 wrappers are longer but stay well under this. */
export const MAX_SIGNATURE = 16_384;

const tokenPairOutput = z.object({
  accessToken: z.string(),
  refreshToken: z.string(),
  tokenType: z.literal('Bearer'),
  expiresIn: z.number().int().describe('access token lifetime in seconds'),
});

export const authRouter = {
  /** The EIP-4361 message to sign, built entirely by the server. */
  message: ipLimitedProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/auth/message',
        tags: ['auth'],
        protect: false,
        summary: 'The EIP-4361 message to sign for a wallet and chain',
      },
    })
    .input(
      z.strictObject({
        address: z.string().min(1).max(64),
        chainId: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
      }),
    )
    .output(z.object({ message: z.string(), nonce: z.string(), expiresAt: isoDate }))
    .query(async ({ ctx, input }) => {
      const issued = await ctx.siwe.issue(input);
      return { message: issued.message, nonce: issued.nonce, expiresAt: issued.expiresAt.toISOString() };
    }),

  /** Sign-in, or sign-up on the first signature of a new wallet. */
  authenticate: ipLimitedProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/auth/authenticate',
        tags: ['auth'],
        protect: false,
        summary: 'Sign in (or sign up) with the signed message; returns a token pair',
      },
    })
    .input(
      z.strictObject({
        message: z.string().min(1).max(MAX_SIWE_MESSAGE),
        signature: z
          .string()
          .max(MAX_SIGNATURE)
          .regex(/^0x[0-9a-fA-F]+$/, { message: 'must be 0x-prefixed hex' }),
      }),
    )
    .output(tokenPairOutput.extend({ isNewUser: z.boolean(), user: userOutput }))
    .mutation(async ({ ctx, input }) => {
      const { address } = await ctx.siwe.verify({
        message: input.message,
        signature: input.signature as Hex,
      });
      const result = await ctx.sessions.signIn({
        walletAddress: address,
        userAgent: ctx.req.userAgent,
        ip: ctx.req.ip,
      });
      ctx.observer.signIn?.({ isNewUser: result.isNewUser });
      return {
        accessToken: result.accessToken,
        refreshToken: result.refreshToken,
        tokenType: result.tokenType,
        expiresIn: result.expiresIn,
        isNewUser: result.isNewUser,
        user: toUserOutput(result.user),
      };
    }),

  /** A new token pair for a refresh token; the old one is rotated out. */
  refresh: ipLimitedProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/auth/refresh',
        tags: ['auth'],
        protect: false,
        summary: 'A new token pair for a refresh token (the old one is rotated out)',
      },
    })
    .input(z.strictObject({ refreshToken: z.string().min(1).max(128) }))
    .output(tokenPairOutput)
    .mutation(({ ctx, input }) => ctx.sessions.refresh(input.refreshToken)),

  /** Ends this session: its access tokens stop working at once. */
  logout: authedProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/auth/logout',
        tags: ['auth'],
        protect: true,
        summary: 'End this session',
      },
    })
    .input(z.strictObject({}).optional())
    .output(z.object({ success: z.literal(true) }))
    .mutation(async ({ ctx }) => {
      await ctx.sessions.revoke(ctx.auth.sessionId, 'logout');
      return { success: true as const };
    }),

  /** Ends every session of the user. */
  logoutAll: authedProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/auth/logout-all',
        tags: ['auth'],
        protect: true,
        summary: 'End every session of the user',
      },
    })
    .input(z.strictObject({}).optional())
    .output(z.object({ success: z.literal(true), revokedSessions: z.number().int() }))
    .mutation(async ({ ctx }) => {
      const revokedSessions = await ctx.sessions.revokeAll(ctx.auth.userId, 'logout_all');
      return { success: true as const, revokedSessions };
    }),

  /** What a client needs to know before signing in. */
  config: publicProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/auth/config',
        tags: ['auth'],
        protect: false,
        summary: 'Sign-in settings: SIWE domain, allowed chain ids',
      },
    })
    .input(z.strictObject({}).optional())
    .output(
      z.object({
        domain: z.string(),
        allowedChainIds: z.array(z.number().int()),
        demoWalletEnabled: z.boolean(),
      }),
    )
    .query(({ ctx }) => ({
      domain: ctx.config.siwe.domain,
      allowedChainIds: ctx.config.siwe.allowedChainIds,
      demoWalletEnabled: ctx.config.demoWalletEnabled,
    })),
} satisfies TRPCRouterRecord;

import { countOwnedAgents, getUserById, getUserByWallet, updateUserProfile } from '@chatplatform/db/queries';
import type { TRPCRouterRecord } from '@trpc/server';
import { getAddress } from 'viem';
import { z } from 'zod';
import { notFound } from '../errors';
import { evmAddress } from '../schemas/common';
import { label } from '../schemas/text';
import { limitsOutput, publicUserOutput, toLimitsOutput, toUserOutput, userOutput } from '../schemas/user';
import { authedProcedure } from '../trpc';

const tags = ['user'];

export const DISPLAY_NAME_MAX = 64;

export const userRouter = {
  /** Who the caller is. */
  profile: authedProcedure
    .meta({ openapi: { method: 'GET', path: '/user/profile', tags, protect: true, summary: 'Your profile' } })
    .input(z.strictObject({}).optional())
    .output(userOutput)
    .query(async ({ ctx }) => {
      const user = await getUserById(ctx.db, { id: ctx.auth.userId });
      if (!user) throw notFound('User');
      return toUserOutput(user);
    }),

  /**
   * Changes the display name (1 to 64 printable characters; null clears it). Unknown fields are refused, so
   * nobody can set their own limits or email through here (email goes through auth.addEmail).
   */
  updateProfile: authedProcedure
    .meta({
      openapi: { method: 'PUT', path: '/user/profile', tags, protect: true, summary: 'Update your profile' },
    })
    .input(z.strictObject({ displayName: label(DISPLAY_NAME_MAX).nullable() }))
    .output(userOutput)
    .mutation(async ({ ctx, input }) => {
      const user = await updateUserProfile(ctx.db, { id: ctx.auth.userId, displayName: input.displayName });
      if (!user) throw notFound('User');
      return toUserOutput(user);
    }),

  /** What the caller may still use: AI messages and API calls (their quota), and agents (AGENTS_MAX_PER_USER). */
  limits: authedProcedure
    .meta({
      openapi: { method: 'GET', path: '/user/limits', tags, protect: true, summary: 'Your usage limits' },
    })
    .input(z.strictObject({}).optional())
    .output(limitsOutput)
    .query(async ({ ctx }) => {
      const [user, owned] = await Promise.all([
        getUserById(ctx.db, { id: ctx.auth.userId }),
        countOwnedAgents(ctx.db, { ownerId: ctx.auth.userId }),
      ]);
      if (!user) throw notFound('User');
      return toLimitsOutput(user, { owned, maxPerUser: ctx.config.agents.maxPerUser });
    }),

  /** The public face of a user: wallet address, display name, since when. No email, no limits. */
  byWallet: authedProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/user/wallet/{address}',
        tags,
        protect: true,
        summary: 'A user by wallet address (public fields only)',
      },
    })
    .input(z.strictObject({ address: evmAddress }))
    .output(publicUserOutput)
    .query(async ({ ctx, input }) => {
      const user = await getUserByWallet(ctx.db, { walletAddress: getAddress(input.address.toLowerCase()) });
      if (!user) throw notFound('User');
      return {
        walletAddress: user.walletAddress,
        displayName: user.displayName,
        createdAt: user.createdAt.toISOString(),
      };
    }),
} satisfies TRPCRouterRecord;

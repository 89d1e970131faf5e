import { getUserById } from '@chatplatform/db/queries';
import type { TRPCRouterRecord } from '@trpc/server';
import { notFound } from '../errors';
import { limitsOutput, toLimitsOutput, toUserOutput, userOutput } from '../schemas/user';
import { authedProcedure } from '../trpc';

export const userRouter = {
  /** Who the caller is. */
  profile: authedProcedure.output(userOutput).query(async ({ ctx }) => {
    const user = await getUserById(ctx.db, { id: ctx.auth.userId });
    if (!user) throw notFound('User');
    return toUserOutput(user);
  }),

  /** What the caller may still use. */
  limits: authedProcedure.output(limitsOutput).query(async ({ ctx }) => {
    const user = await getUserById(ctx.db, { id: ctx.auth.userId });
    if (!user) throw notFound('User');
    return toLimitsOutput(user);
  }),
} satisfies TRPCRouterRecord;

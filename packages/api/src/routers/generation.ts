import { messageStatus } from '@chatplatform/db';
import { TRPCError, type TRPCRouterRecord, tracked } from '@trpc/server';
import { z } from 'zod';
import { uuid } from '../schemas/common';
import { contentWithin, messageContent, messageOutput, toMessageOutput } from '../schemas/message';
import { EVENT_ID } from '../services/generation/events';
import { authedProcedure } from '../trpc';

/** How often an open `message.stream` checks its session again (a logout ends it within about this). */
export const SESSION_RECHECK_MS = 1_000;

/**
 * The AI side of `message` (root.ts spreads it into the namespace next to the CRUD procedures):
 * send, stream, stop, regenerate.
 */
export const generationRouter = {
  /**
   * Stores the user message, reserves one AI reply from the quota (TOO_MANY_REQUESTS / QUOTA_EXCEEDED when
   * exhausted, nothing written), creates the reply with status `streaming`, starts it and returns at once.
   */
  send: authedProcedure
    .input(z.strictObject({ chatId: uuid, content: messageContent }))
    .output(z.object({ userMessage: messageOutput, assistantMessage: messageOutput }))
    .mutation(async ({ ctx, input }) => {
      const r = contentWithin(ctx.config.messages.maxContentLength).safeParse({ content: input.content });
      if (!r.success) throw new TRPCError({ code: 'BAD_REQUEST', message: r.error.message, cause: r.error });
      const out = await ctx.generation.send(ctx.auth.userId, input);
      return {
        userMessage: toMessageOutput(out.userMessage),
        assistantMessage: toMessageOutput(out.assistantMessage),
      };
    }),

  /**
   * The reply as events: `{ type: 'delta', text }`... then one of done / stopped / error / interrupted.
   * Replays from the start or after `lastEventId` (tracked ids; the SSE link resends it on reconnect).
   */
  stream: authedProcedure
    .input(
      z.strictObject({
        messageId: uuid,
        lastEventId: z
          .string()
          .regex(EVENT_ID, { message: 'must be an event id received from this stream' })
          .nullish(),
      }),
    )
    .subscription(async function* ({ ctx, input, signal }) {
      // The session was checked when the stream opened; it is checked again every SESSION_RECHECK_MS in the
      // background, so a logout (or a revocation) ends the stream within about that, whether deltas are flowing
      // or it waits for a slow model's first token, with UNAUTHORIZED / SESSION_REVOKED. No event goes out once the
      // revocation is seen, and no delta ever waits on a check (the flag is read, the store is not).
      const session = ctx.sessions.watch(ctx.auth.sessionId, signal, SESSION_RECHECK_MS);
      try {
        const events = ctx.generation.follow(
          ctx.auth.userId,
          { messageId: input.messageId, lastEventId: input.lastEventId ?? null },
          session.signal,
        );
        for await (const e of events) {
          if (session.revoked) throw session.revoked;
          yield tracked(e.id, e.event);
        }
        // follow() ends early, without its closing event, when the watch aborts its signal.
        if (session.revoked) throw session.revoked;
      } catch (err) {
        throw session.revoked ?? err;
      } finally {
        session.stop();
      }
    }),

  /** Stops a reply on whichever instance runs it; the text so far is kept with status `stopped`. */
  stop: authedProcedure
    .input(z.strictObject({ messageId: uuid }))
    .output(
      z.object({
        messageId: z.uuid(),
        status: z.enum([...messageStatus.enumValues, 'stopping']).describe('stopping: the stop was sent'),
      }),
    )
    .mutation(({ ctx, input }) => ctx.generation.stop(ctx.auth.userId, input)),

  /**
   * A new reply to the same user message (pass the user message or any reply to it), kept beside the
   * earlier ones (same parentId); consumes quota like any reply.
   */
  regenerate: authedProcedure
    .input(z.strictObject({ messageId: uuid }))
    .output(z.object({ assistantMessage: messageOutput }))
    .mutation(async ({ ctx, input }) => {
      const out = await ctx.generation.regenerate(ctx.auth.userId, input);
      return { assistantMessage: toMessageOutput(out.assistantMessage) };
    }),
} satisfies TRPCRouterRecord;

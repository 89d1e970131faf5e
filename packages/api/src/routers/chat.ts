import {
  createChatForUser,
  getChatForUser,
  listChatsForUser,
  updateChatTitleForUser,
} from '@chatplatform/db/queries';
import type { TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { notFound } from '../errors';
import {
  chatCreateInput,
  chatIdInput,
  chatListInput,
  chatOutput,
  chatPageOutput,
  chatRecentInput,
  chatUpdateInput,
  DEFAULT_CHAT_TITLE,
  toChatOutput,
} from '../schemas/chat';
import { decodeChatCursor, encodeChatCursor } from '../schemas/cursor';
import { authedProcedure } from '../trpc';

const tags = ['chat'];

export const chatRouter = {
  /** A new chat, titled "New chat" unless a title is given (a given title is never replaced automatically). */
  create: authedProcedure
    .meta({ openapi: { method: 'POST', path: '/chat/', tags, protect: true, summary: 'Create a chat' } })
    .input(chatCreateInput)
    .output(chatOutput)
    .mutation(async ({ ctx, input }) => {
      const chat = await createChatForUser(ctx.db, {
        userId: ctx.auth.userId,
        title: input?.title ?? DEFAULT_CHAT_TITLE,
        // A caller-chosen title is final; only the default title may be replaced from the first message.
        titleLocked: input?.title !== undefined,
        agentId: input?.agentId ?? null,
      });
      if (!chat) throw notFound('Agent');
      return toChatOutput(chat);
    }),

  /** The caller's chats, most recently updated first, one keyset page at a time. */
  list: authedProcedure
    .meta({ openapi: { method: 'GET', path: '/chat/', tags, protect: true, summary: "The user's chats" } })
    .input(chatListInput)
    .output(chatPageOutput)
    .query(async ({ ctx, input }) => {
      const limit = input?.limit ?? 20;
      const after = input?.cursor ? decodeChatCursor(input.cursor) : undefined;
      const page = await listChatsForUser(ctx.db, { userId: ctx.auth.userId, limit, after });
      const last = page.chats.at(-1);
      return {
        items: page.chats.map(toChatOutput),
        nextCursor: page.hasMore && last ? encodeChatCursor(last) : null,
        hasMore: page.hasMore,
      };
    }),

  /** The few most recently updated chats. */
  recent: authedProcedure
    .meta({ openapi: { method: 'GET', path: '/chat/recent', tags, protect: true, summary: 'Recent chats' } })
    .input(chatRecentInput)
    .output(z.array(chatOutput))
    .query(async ({ ctx, input }) => {
      const page = await listChatsForUser(ctx.db, { userId: ctx.auth.userId, limit: input?.limit ?? 10 });
      return page.chats.map(toChatOutput);
    }),

  byId: authedProcedure
    .meta({ openapi: { method: 'GET', path: '/chat/{id}', tags, protect: true, summary: 'A chat by id' } })
    .input(chatIdInput)
    .output(chatOutput)
    .query(async ({ ctx, input }) => {
      const chat = await getChatForUser(ctx.db, { id: input.id, userId: ctx.auth.userId });
      if (!chat) throw notFound('Chat');
      return toChatOutput(chat);
    }),

  /** Renames a chat; the title is then locked (never replaced automatically). */
  update: authedProcedure
    .meta({ openapi: { method: 'PUT', path: '/chat/{id}', tags, protect: true, summary: 'Rename a chat' } })
    .input(chatUpdateInput)
    .output(chatOutput)
    .mutation(async ({ ctx, input }) => {
      const chat = await updateChatTitleForUser(ctx.db, {
        id: input.id,
        userId: ctx.auth.userId,
        title: input.title,
      });
      if (!chat) throw notFound('Chat');
      return toChatOutput(chat);
    }),

  /**
   * Deletes a chat and all its messages; replies still being written are stopped first (the call returns once
   * they have ended). Used quota is not given back.
   */
  delete: authedProcedure
    .meta({
      openapi: {
        method: 'DELETE',
        path: '/chat/{id}',
        tags,
        protect: true,
        summary: 'Delete a chat and its messages',
      },
    })
    .input(chatIdInput)
    .output(z.object({ success: z.literal(true), id: z.uuid() }))
    .mutation(async ({ ctx, input }) => {
      // Stops the chat's running replies and deletes once they have ended (see GenerationService.deleteChat).
      const deleted = await ctx.generation.deleteChat(ctx.auth.userId, input.id);
      if (!deleted) throw notFound('Chat');
      return { success: true as const, id: input.id };
    }),
} satisfies TRPCRouterRecord;

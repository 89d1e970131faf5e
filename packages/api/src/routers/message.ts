import {
  getChatForUser,
  getMessageForUser,
  insertMessage,
  listMessagesForChat,
  removeMessageForUser,
  updateUserMessageForUser,
} from '@chatplatform/db/queries';
import { TRPCError, type TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import type { Context } from '../context';
import { AppError, notFound } from '../errors';
import { toChatOutput } from '../schemas/chat';
import { decodeMessageCursor, encodeMessageCursor } from '../schemas/cursor';
import {
  chatFullOutput,
  contentWithin,
  messageChatFullInput,
  messageCreateInput,
  messageIdInput,
  messageListInput,
  messageOutput,
  messagePageOutput,
  messageRecentInput,
  messageUpdateInput,
  toMessageOutput,
} from '../schemas/message';
import { authedProcedure } from '../trpc';

const tags = ['message'];

/** Applies the configured content cap as a zod failure on `content`: BAD_REQUEST naming the field. */
function checkContentLength(ctx: Context, content: string): void {
  const r = contentWithin(ctx.config.messages.maxContentLength).safeParse({ content });
  if (!r.success)
    throw new TRPCError({ code: 'BAD_REQUEST', message: z.prettifyError(r.error), cause: r.error });
}

async function page(
  ctx: Context,
  params: { chatId: string; limit: number; direction: 'older' | 'newer'; cursor?: string },
) {
  const cursorSeq = params.cursor ? decodeMessageCursor(params.cursor) : undefined;
  const { messages, hasMore } = await listMessagesForChat(ctx.db, {
    chatId: params.chatId,
    limit: params.limit,
    direction: params.direction,
    cursorSeq,
  });
  const edge = params.direction === 'older' ? messages[0] : messages.at(-1);
  return {
    items: messages.map(toMessageOutput),
    // An empty page keeps the caller's place, so polling `newer` from the end never loses it.
    nextCursor: edge ? encodeMessageCursor(edge.seq) : (params.cursor ?? null),
    hasMore,
  };
}

export const messageRouter = {
  /** Stores a user message in one of the caller's chats (no AI reply: that is message.send). */
  create: authedProcedure
    .meta({
      openapi: { method: 'POST', path: '/message/', tags, protect: true, summary: 'Create a user message' },
    })
    .input(messageCreateInput)
    .output(messageOutput)
    .mutation(async ({ ctx, input }) => {
      checkContentLength(ctx, input.content);
      const r = await insertMessage(ctx.db, {
        chatId: input.chatId,
        userId: ctx.auth.userId,
        role: 'USER',
        content: input.content,
      });
      if (!r) throw notFound('Chat');
      return toMessageOutput(r.message);
    }),

  /** A chat's messages, one keyset page at a time, each page oldest first. */
  listByChat: authedProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/message/chat/{chatId}',
        tags,
        protect: true,
        summary: 'Messages of a chat',
      },
    })
    .input(messageListInput)
    .output(messagePageOutput)
    .query(async ({ ctx, input }) => {
      const chat = await getChatForUser(ctx.db, { id: input.chatId, userId: ctx.auth.userId });
      if (!chat) throw notFound('Chat');
      return page(ctx, input);
    }),

  /** The chat and its latest page of messages, in one call. */
  chatFull: authedProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/message/chat/{chatId}/full',
        tags,
        protect: true,
        summary: 'A chat with its latest messages',
      },
    })
    .input(messageChatFullInput)
    .output(chatFullOutput)
    .query(async ({ ctx, input }) => {
      const chat = await getChatForUser(ctx.db, { id: input.chatId, userId: ctx.auth.userId });
      if (!chat) throw notFound('Chat');
      const messages = await page(ctx, { chatId: chat.id, limit: input.limit, direction: 'older' });
      return { chat: toChatOutput(chat), messages };
    }),

  /** The latest messages of a chat, oldest first. */
  recent: authedProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/message/chat/{chatId}/recent',
        tags,
        protect: true,
        summary: 'Recent messages of a chat',
      },
    })
    .input(messageRecentInput)
    .output(z.array(messageOutput))
    .query(async ({ ctx, input }) => {
      const chat = await getChatForUser(ctx.db, { id: input.chatId, userId: ctx.auth.userId });
      if (!chat) throw notFound('Chat');
      const r = await listMessagesForChat(ctx.db, {
        chatId: chat.id,
        limit: input.limit,
        direction: 'older',
      });
      return r.messages.map(toMessageOutput);
    }),

  byId: authedProcedure
    .meta({
      openapi: { method: 'GET', path: '/message/{id}', tags, protect: true, summary: 'A message by id' },
    })
    .input(messageIdInput)
    .output(messageOutput)
    .query(async ({ ctx, input }) => {
      const message = await getMessageForUser(ctx.db, { id: input.id, userId: ctx.auth.userId });
      if (!message) throw notFound('Message');
      return toMessageOutput(message);
    }),

  /**
   * Edits one of the caller's own USER messages. AI messages are immutable (FORBIDDEN, reason
   * AI_MESSAGE_IMMUTABLE): the message exists and is the caller's, so NOT_FOUND would be untrue, and the
   * input is well formed, so BAD_REQUEST would be too; the action itself is what is not allowed.
   */
  update: authedProcedure
    .meta({
      openapi: { method: 'PUT', path: '/message/{id}', tags, protect: true, summary: 'Edit a user message' },
    })
    .input(messageUpdateInput)
    .output(messageOutput)
    .mutation(async ({ ctx, input }) => {
      checkContentLength(ctx, input.content);
      const r = await updateUserMessageForUser(ctx.db, {
        id: input.id,
        userId: ctx.auth.userId,
        content: input.content,
      });
      if (r.status === 'not_found') throw notFound('Message');
      if (r.status === 'not_user_message')
        throw new AppError(
          'FORBIDDEN',
          'AI_MESSAGE_IMMUTABLE',
          'AI messages cannot be edited: they record what the model said. Regenerate the reply instead.',
        );
      return toMessageOutput(r.message);
    }),

  /**
   * Deletes a message. A reply still being generated (status streaming) is CONFLICT, reason
   * MESSAGE_STREAMING: stop it first (message.stop), then delete; the generator would otherwise keep
   * writing into a row the user believes gone. Used quota is not given back.
   */
  delete: authedProcedure
    .meta({
      openapi: { method: 'DELETE', path: '/message/{id}', tags, protect: true, summary: 'Delete a message' },
    })
    .input(messageIdInput)
    .output(z.object({ success: z.literal(true), id: z.uuid() }))
    .mutation(async ({ ctx, input }) => {
      const r = await removeMessageForUser(ctx.db, { id: input.id, userId: ctx.auth.userId });
      if (r === 'not_found') throw notFound('Message');
      if (r === 'streaming')
        throw new AppError(
          'CONFLICT',
          'MESSAGE_STREAMING',
          'This reply is still being generated: stop it first, then delete it.',
        );
      return { success: true as const, id: input.id };
    }),
} satisfies TRPCRouterRecord;

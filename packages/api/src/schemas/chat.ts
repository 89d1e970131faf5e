import type { Chat } from '@chatplatform/db';
import { z } from 'zod';
import { iso, isoDate, uuid } from './common';
import { cursorInput, decodeChatCursor, limitInput } from './cursor';
import { label } from './text';

export const TITLE_MAX = 200;
export const DEFAULT_CHAT_TITLE = 'New chat';

export const chatOutput = z.object({
  id: z.uuid(),
  title: z.string(),
  /** False while the title is the default one (the first message may title the chat). */
  titleLocked: z.boolean(),
  agentId: z.uuid().nullable().describe('null: the default agent'),
  messageCount: z.number().int(),
  createdAt: isoDate,
  updatedAt: isoDate,
});
export type ChatOutput = z.infer<typeof chatOutput>;

export function toChatOutput(c: Chat): ChatOutput {
  return {
    id: c.id,
    title: c.title,
    titleLocked: c.titleLocked,
    agentId: c.agentId,
    messageCount: c.messageCount,
    createdAt: iso(c.createdAt),
    updatedAt: iso(c.updatedAt),
  };
}

export const chatIdInput = z.strictObject({ id: uuid });

export const chatCreateInput = z
  .strictObject({
    title: label(TITLE_MAX).optional(),
    agentId: uuid.optional().describe('a platform agent or one of yours; default agent when absent'),
  })
  .optional();

export const chatListInput = z
  .strictObject({
    cursor: cursorInput(decodeChatCursor).optional(),
    limit: limitInput(20),
  })
  .optional();

export const chatRecentInput = z.strictObject({ limit: limitInput(10) }).optional();

export const chatUpdateInput = z.strictObject({ id: uuid, title: label(TITLE_MAX) });

export const chatPageOutput = z.object({
  items: z.array(chatOutput),
  nextCursor: z.string().nullable().describe('pass as cursor for the next page; null on the last page'),
  hasMore: z.boolean(),
});

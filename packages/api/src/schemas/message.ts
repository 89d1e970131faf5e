import type { Message } from '@chatplatform/db';
import { messageRole, messageStatus } from '@chatplatform/db';
import { z } from 'zod';
import { chatOutput } from './chat';
import { iso, isoDate, uuid } from './common';
import { cursorInput, decodeMessageCursor, limitInput } from './cursor';
import { freeText } from './text';

/**
 * Above every configurable cap (MESSAGE_MAX_LENGTH is at most 1,000,000): the schema refuses absurd input
 * before the procedure applies the configured limit.
 */
export const CONTENT_HARD_MAX = 1_000_000;

const int = z.number().int().nullable();

export const messageOutput = z.object({
  id: z.uuid(),
  chatId: z.uuid(),
  userId: z.uuid(),
  role: z.enum(messageRole.enumValues),
  content: z.string(),
  status: z.enum(messageStatus.enumValues).describe('streaming while an AI reply is being generated'),
  parentId: z.uuid().nullable().describe('for an AI message: the user message it answers'),
  agentId: z.uuid().nullable(),
  modelUsed: z.string().nullable(),
  tokensUsed: int,
  promptTokens: int,
  completionTokens: int,
  finishReason: z.string().nullable(),
  errorMessage: z.string().nullable(),
  timeToFirstTokenMs: int,
  durationMs: int,
  createdAt: isoDate,
  updatedAt: isoDate,
});
export type MessageOutput = z.infer<typeof messageOutput>;

export function toMessageOutput(m: Message): MessageOutput {
  return {
    id: m.id,
    chatId: m.chatId,
    userId: m.userId,
    role: m.role,
    content: m.content,
    status: m.status,
    parentId: m.parentId,
    agentId: m.agentId,
    modelUsed: m.modelUsed,
    tokensUsed: m.tokensUsed,
    promptTokens: m.promptTokens,
    completionTokens: m.completionTokens,
    finishReason: m.finishReason,
    errorMessage: m.errorMessage,
    timeToFirstTokenMs: m.timeToFirstTokenMs,
    durationMs: m.durationMs,
    createdAt: iso(m.createdAt),
    updatedAt: iso(m.updatedAt),
  };
}

export const messageContent = freeText(CONTENT_HARD_MAX);

/**
 * The configured cap, applied inside the procedure; a failure is a ZodError on `content`, so the client sees
 * the same BAD_REQUEST shape (field named) as for any other invalid field.
 */
export const contentWithin = (max: number) =>
  z.object({ content: z.string().max(max, { message: `must be at most ${max} characters` }) });

export const messageIdInput = z.strictObject({ id: uuid });

export const messageCreateInput = z.strictObject({ chatId: uuid, content: messageContent });

export const messageUpdateInput = z.strictObject({ id: uuid, content: messageContent });

export const messageDirection = z
  .enum(['older', 'newer'])
  .default('older')
  .describe(
    'older: the page before the cursor (default; without a cursor the latest messages); newer: after it',
  );

export const messageListInput = z.strictObject({
  chatId: uuid,
  cursor: cursorInput(decodeMessageCursor).optional(),
  limit: limitInput(50),
  direction: messageDirection,
});

export const messageRecentInput = z.strictObject({ chatId: uuid, limit: limitInput(20) });

export const messageChatFullInput = z.strictObject({ chatId: uuid, limit: limitInput(50) });

export const messagePageOutput = z.object({
  items: z.array(messageOutput).describe('oldest first'),
  nextCursor: z
    .string()
    .nullable()
    .describe(
      'continues in the same direction from the edge of this page; present whenever a cursor exists, even on the last page (a reader following a chat polls newer with it)',
    ),
  hasMore: z.boolean().describe('whether more messages lay beyond this page when it was read'),
});

export const chatFullOutput = z.object({ chat: chatOutput, messages: messagePageOutput });

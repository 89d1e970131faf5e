import { z } from 'zod';

/** What message.stream sends: deltas, then exactly one closing event. */
export const streamEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('delta'), text: z.string() }),
  z.object({
    type: z.literal('done'),
    finishReason: z.string().nullable(),
    model: z.string(),
    usage: z.object({
      promptTokens: z.number().nullable(),
      completionTokens: z.number().nullable(),
      totalTokens: z.number().nullable(),
    }),
  }),
  z.object({ type: z.literal('stopped') }),
  z.object({ type: z.literal('error'), message: z.string() }),
  z.object({ type: z.literal('interrupted'), message: z.string() }),
]);
export type StreamEvent = z.infer<typeof streamEvent>;
export type ClosingEvent = Exclude<StreamEvent, { type: 'delta' }>;

export const isClosing = (e: StreamEvent): e is ClosingEvent => e.type !== 'delta';

export const logKey = (messageId: string) => `msg:${messageId}`;

export function parseEvent(data: string): StreamEvent | undefined {
  try {
    const r = streamEvent.safeParse(JSON.parse(data));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}

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

/**
 * A message.stream event id: the event log entry's id, then `.` and how much of the reply's text (UTF-16 code
 * units) the client holds once it has this event. The offset lets a client resume exactly even when the log is
 * gone (an expired TTL, an embedded server that restarted). Ids without it (older servers) are still taken.
 */
export const EVENT_ID = /^(\d{1,16}-\d{1,16})(?:\.(\d{1,10}))?$/;

export const eventId = (logId: string, held: number | null) => (held === null ? logId : `${logId}.${held}`);

export function parseEvent(data: string): StreamEvent | undefined {
  try {
    const r = streamEvent.safeParse(JSON.parse(data));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}

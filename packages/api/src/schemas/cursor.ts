import { z } from 'zod';

/**
 * Opaque page cursors: base64url of a small JSON document tagged with its kind, so a chat cursor cannot be
 * passed where a message cursor is expected. Clients must treat them as opaque strings.
 */
export function encodeCursor(kind: string, value: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify({ k: kind, ...value }), 'utf8').toString('base64url');
}

function decodeRaw(raw: string): Record<string, unknown> | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(raw)) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Dates PostgreSQL and JS agree on (a crafted cursor with year 0 must be bad input, not a database error). */
const cursorDate = z.iso.datetime({ offset: true }).refine((u) => {
  const y = new Date(u).getUTCFullYear();
  return y >= 1970 && y <= 9999;
});
const chatKey = z.object({ k: z.literal('c'), u: cursorDate, i: z.uuid() });
const messageKey = z.object({ k: z.literal('m'), s: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER) });

export function encodeChatCursor(key: { updatedAt: Date; id: string }): string {
  return encodeCursor('c', { u: key.updatedAt.toISOString(), i: key.id });
}
export function decodeChatCursor(raw: string): { updatedAt: Date; id: string } | undefined {
  const r = chatKey.safeParse(decodeRaw(raw));
  return r.success ? { updatedAt: new Date(r.data.u), id: r.data.i } : undefined;
}

export function encodeMessageCursor(seq: number): string {
  return encodeCursor('m', { s: seq });
}
export function decodeMessageCursor(raw: string): number | undefined {
  const r = messageKey.safeParse(decodeRaw(raw));
  return r.success ? r.data.s : undefined;
}

/** Input field for a cursor: rejected with BAD_REQUEST naming the field when it does not decode. */
export const cursorInput = (decode: (raw: string) => unknown) =>
  z
    .string()
    .max(512)
    .refine((s) => decode(s) !== undefined, { message: 'invalid cursor: pass back a nextCursor unchanged' })
    .describe('opaque cursor from a previous page (nextCursor)');

/**
 * Page size. A number over tRPC (no coercion: `true` or "0x10" are bad input); over REST the mirror converts a
 * well-formed numeric query string before the procedure parses it.
 */
export const limitInput = (def: number) =>
  z.number().int().min(1).max(100).default(def).describe('page size, 1 to 100');

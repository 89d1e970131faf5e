import { z } from 'zod';

/** Code points, not UTF-16 units: an emoji counts as one character. */
export const charCount = (s: string) => [...s].length;

/** In unicode mode a surrogate range only matches unpaired halves, which UTF-8 cannot encode. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
export const isWellFormed = (s: string) => !LONE_SURROGATE.test(s);

/** Control characters (C0/C1, NUL included: PostgreSQL text cannot hold NUL). */
const CONTROL = /[\p{Cc}]/u;
const hasControlExceptWhitespace = (s: string) =>
  CONTROL.test(s.replaceAll('\t', '').replaceAll('\n', '').replaceAll('\r', ''));

/**
 * Invisible characters that let a name pose as another or hide: bidi overrides, embeddings and isolates (a
 * name shown reversed), zero-width spaces and joiners that are not part of a script or emoji (ZWJ and ZWNJ, and
 * the marks LRM/RLM that right-to-left names need, stay), the soft hyphen, BOM and the two noncharacters.
 */
const INVISIBLE = /[\u00AD\u200B\u202A-\u202E\u2060-\u2064\u2066-\u206F\uFEFF\uFFFE\uFFFF]/u;

/**
 * A single-line label (title, display name): 1..max printable characters, surrounding whitespace trimmed.
 * Lone surrogates, control characters and the invisible ones above are refused rather than stored.
 */
export const label = (max: number) =>
  z
    .string()
    .max(max * 4)
    .trim()
    .refine((s) => isWellFormed(s), { message: 'must be valid Unicode text' })
    .refine((s) => !CONTROL.test(s), { message: 'must not contain control characters' })
    .refine((s) => !INVISIBLE.test(s), {
      message: 'must not contain invisible or direction-changing characters',
    })
    .refine((s) => charCount(s) >= 1, { message: 'must not be empty' })
    .refine((s) => charCount(s) <= max, { message: `must be at most ${max} characters` });

/**
 * Free text (message content): not blank, no NUL or other control characters except tab and newlines,
 * valid Unicode. The length cap comes from configuration and is checked by the procedure.
 */
export const freeText = (hardMax: number) =>
  z
    .string()
    .max(hardMax)
    .refine((s) => s.trim().length > 0, { message: 'must not be blank' })
    .refine((s) => isWellFormed(s), { message: 'must be valid Unicode text' })
    .refine((s) => !hasControlExceptWhitespace(s), { message: 'must not contain control characters' });

/**
 * Optional free text (an agent's description or system prompt): may be empty, at most `max` UTF-16 units, valid
 * Unicode, no control characters except tab and newlines.
 */
export const optionalText = (max: number) =>
  z
    .string()
    .max(max)
    .refine((s) => isWellFormed(s), { message: 'must be valid Unicode text' })
    .refine((s) => !hasControlExceptWhitespace(s), { message: 'must not contain control characters' });

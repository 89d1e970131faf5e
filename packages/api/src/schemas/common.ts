import { z } from 'zod';

/** Dates leave the API as ISO 8601 strings (no transformer), so any HTTP client can read them. */
export const isoDate = z.iso.datetime({ offset: true }).describe('ISO 8601 timestamp');
export const iso = (d: Date) => d.toISOString();
export const isoOrNull = (d: Date | null) => (d ? d.toISOString() : null);

export const uuid = z.uuid({ message: 'must be a UUID' });

/** A 20-byte hex address in any letter case; the API answers in EIP-55 form. */
export const evmAddress = z
  .string()
  .max(64)
  .regex(/^0x[0-9a-fA-F]{40}$/, { message: 'must be a 0x-prefixed 20-byte hex address' });

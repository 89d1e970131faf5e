import type { User } from '@chatplatform/db';
import { z } from 'zod';
import { iso, isoDate, isoOrNull } from './common';

export const userOutput = z.object({
  id: z.uuid(),
  walletAddress: z.string(),
  email: z.string().nullable(),
  emailVerified: z.boolean(),
  displayName: z.string().nullable(),
  createdAt: isoDate,
  updatedAt: isoDate,
});

export const publicUserOutput = z.object({
  walletAddress: z.string(),
  displayName: z.string().nullable(),
  createdAt: isoDate,
});

const limit = z.object({ limit: z.number().int(), used: z.number().int(), remaining: z.number().int() });
export const limitsOutput = z.object({ aiMessages: limit, apiCalls: limit });

export function toUserOutput(u: User): z.infer<typeof userOutput> {
  return {
    id: u.id,
    walletAddress: u.walletAddress,
    email: u.email,
    emailVerified: u.emailVerifiedAt !== null,
    displayName: u.displayName,
    createdAt: iso(u.createdAt),
    updatedAt: iso(u.updatedAt),
  };
}

export function toLimitsOutput(u: User): z.infer<typeof limitsOutput> {
  return {
    aiMessages: {
      limit: u.aiMessagesLimit,
      used: u.aiMessagesUsed,
      remaining: Math.max(0, u.aiMessagesLimit - u.aiMessagesUsed),
    },
    apiCalls: {
      limit: u.apiCallsLimit,
      used: u.apiCallsUsed,
      remaining: Math.max(0, u.apiCallsLimit - u.apiCallsUsed),
    },
  };
}

export { isoOrNull };

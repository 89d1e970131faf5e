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
export const limitsOutput = z.object({ aiMessages: limit, apiCalls: limit, agents: limit });

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

const limitOf = (max: number, used: number) => ({ limit: max, used, remaining: Math.max(0, max - used) });

/** `agents`: the agents the user owns against AGENTS_MAX_PER_USER (one number for everybody, not a user column). */
export function toLimitsOutput(
  u: User,
  agents: { owned: number; maxPerUser: number },
): z.infer<typeof limitsOutput> {
  return {
    aiMessages: limitOf(u.aiMessagesLimit, u.aiMessagesUsed),
    apiCalls: limitOf(u.apiCallsLimit, u.apiCallsUsed),
    agents: limitOf(agents.maxPerUser, agents.owned),
  };
}

export { isoOrNull };

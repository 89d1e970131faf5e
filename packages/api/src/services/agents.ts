import type { Agent, Database, Executor } from '@chatplatform/db';
import {
  type AgentFields,
  createAgentWithinLimit,
  getAgentForUser,
  getPlatformAgentBySlug,
  syncPlatformAgents,
} from '@chatplatform/db/queries';
import type { AiConfig } from '../config';
import { AppError, notFound } from '../errors';
import type { Logger } from '../logger';

/** What a generation needs from an agent. */
export interface ResolvedAgent {
  id: string | null;
  name: string;
  systemPrompt: string;
  model: string;
  temperature: number;
  maxOutputTokens: number;
}

/**
 * Makes the platform agents in the database match the configuration file (inserted, updated in place by
 * slug, removed when no longer listed). Runs at start; safe to run from several instances at once.
 */
export async function syncAgentsFromConfig(db: Database, ai: AiConfig, logger: Logger): Promise<void> {
  const defs = ai.platformAgents.map((a) => ({
    slug: a.slug,
    name: a.name,
    description: a.description,
    systemPrompt: a.systemPrompt,
    model: a.model ?? ai.defaultModel,
    temperature: a.temperature,
    maxOutputTokens: a.maxOutputTokens,
  }));
  const r = await syncPlatformAgents(db, { agents: defs });
  logger.info({ ...r, slugs: defs.map((d) => d.slug) }, 'platform agents synced from configuration');
}

const fromRow = (a: Agent): ResolvedAgent => ({
  id: a.id,
  name: a.name,
  systemPrompt: a.systemPrompt,
  model: a.model,
  temperature: a.temperature,
  maxOutputTokens: a.maxOutputTokens,
});

/**
 * The agent a chat talks to: its own (when still visible to the user), else the default platform agent,
 * else a bare agent on the default model (a database whose agents were never synced still answers).
 */
export async function resolveChatAgent(
  db: Executor,
  ai: AiConfig,
  params: { agentId: string | null; userId: string },
): Promise<ResolvedAgent> {
  if (params.agentId) {
    const own = await getAgentForUser(db, { id: params.agentId, userId: params.userId });
    if (own) return fromRow(own);
  }
  const def = await getPlatformAgentBySlug(db, { slug: ai.defaultAgentSlug });
  if (def) return fromRow(def);
  return {
    id: null,
    name: 'Assistant',
    systemPrompt: '',
    model: ai.defaultModel,
    temperature: 0.7,
    maxOutputTokens: 1024,
  };
}

const agentsText = (n: number) => `${n} agent${n === 1 ? '' : 's'}`;

/**
 * Creates one of the user's own agents unless they already own `maxPerUser` (platform agents do not count),
 * decided under the user's row lock so that parallel creates never pass the cap. At the cap: FORBIDDEN, reason
 * AGENT_LIMIT_REACHED, `details` { owned, max }, and nothing is written. Deleting an agent frees its slot.
 */
export async function createOwnAgent(
  db: Executor,
  params: AgentFields & { ownerId: string; maxPerUser: number },
): Promise<Agent> {
  const { maxPerUser: max, ...fields } = params;
  const r = await createAgentWithinLimit(db, { ...fields, max });
  if (r.status === 'created') return r.agent;
  if (r.status === 'no_owner') throw notFound('User');
  const { owned } = r;
  // Over the cap (it was lowered after they were created): say how many must go before one more fits.
  const message =
    owned > max
      ? `You have ${agentsText(owned)} and one account may have at most ${max}; delete ${owned - max + 1} to create another.`
      : `You have ${agentsText(owned)}, the most one account may have; delete one to create another.`;
  throw new AppError('FORBIDDEN', 'AGENT_LIMIT_REACHED', message, { details: { owned, max } });
}

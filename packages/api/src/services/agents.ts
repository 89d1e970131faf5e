import type { Agent, Database, Executor } from '@chatplatform/db';
import { getAgentForUser, getPlatformAgentBySlug, syncPlatformAgents } from '@chatplatform/db/queries';
import type { AiConfig } from '../config';
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

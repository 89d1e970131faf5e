import { and, asc, count, eq, inArray, isNull, not, or, type Placeholder, sql } from 'drizzle-orm';
import type { Executor } from '../client';
import { type Agent, agents } from '../schema/agents';
import { users } from '../schema/users';
import { statement } from './prepared';

export interface AgentFields {
  name: string;
  description: string;
  systemPrompt: string;
  model: string;
  temperature: number;
  maxOutputTokens: number;
}

const visibleTo = (userId: string | Placeholder) => or(isNull(agents.ownerId), eq(agents.ownerId, userId));

/** Platform agents first (by name), then the user's own (by name). */
export async function listAgentsForUser(db: Executor, params: { userId: string }): Promise<Agent[]> {
  return agentsForUser(db, params);
}

const agentsForUser = statement('agents_for_user', (db) =>
  db
    .select()
    .from(agents)
    .where(visibleTo(sql.placeholder('userId')))
    .orderBy(sql`${agents.ownerId} is not null`, asc(agents.name), asc(agents.id)),
);

/** A platform agent or one of the user's own; anyone else's is undefined, like a missing one. */
export async function getAgentForUser(
  db: Executor,
  params: { id: string; userId: string },
): Promise<Agent | undefined> {
  const [row] = await agentForUser(db, params);
  return row;
}

const agentForUser = statement('agent_for_user', (db) =>
  db
    .select()
    .from(agents)
    .where(and(eq(agents.id, sql.placeholder('id')), visibleTo(sql.placeholder('userId'))))
    .limit(1),
);

/**
 * Takes a share lock on an agent the user may use (a platform agent or their own) until the transaction ends, so
 * it cannot be deleted meanwhile; false, locking nothing, for anyone else's or a missing one.
 */
export async function shareLockAgentForUser(
  db: Executor,
  params: { id: string; userId: string },
): Promise<boolean> {
  const [row] = await agentLockForUser(db, params);
  return row !== undefined;
}

const agentLockForUser = statement('agent_lock_for_user', (db) =>
  db
    .select({ id: agents.id })
    .from(agents)
    .where(and(eq(agents.id, sql.placeholder('id')), visibleTo(sql.placeholder('userId'))))
    .for('share')
    .limit(1),
);

export async function getPlatformAgentBySlug(
  db: Executor,
  params: { slug: string },
): Promise<Agent | undefined> {
  const [row] = await platformAgentBySlug(db, params);
  return row;
}

const platformAgentBySlug = statement('platform_agent_by_slug', (db) =>
  db
    .select()
    .from(agents)
    .where(and(eq(agents.slug, sql.placeholder('slug')), isNull(agents.ownerId)))
    .limit(1),
);

/** Inserts a user's agent with no cap (fixtures, operators); requests go through createAgentWithinLimit. */
export async function createAgent(db: Executor, params: AgentFields & { ownerId: string }): Promise<Agent> {
  const [row] = await db
    .insert(agents)
    .values({ ...params, slug: null })
    .returning();
  if (!row) throw new Error('insert returned no agent');
  return row;
}

/** How many agents the user owns (platform agents, owner null, are nobody's): what AGENTS_MAX_PER_USER caps. */
export async function countOwnedAgents(db: Executor, params: { ownerId: string }): Promise<number> {
  const [row] = await db.select({ owned: count() }).from(agents).where(eq(agents.ownerId, params.ownerId));
  return row?.owned ?? 0;
}

/** What createAgentWithinLimit did: created the agent, or found the owner at the cap (or gone), writing nothing. */
export type CreateAgentWithinLimitResult =
  | { status: 'created'; agent: Agent }
  | { status: 'limit_reached'; owned: number }
  | { status: 'no_owner' };

/**
 * Creates an agent unless its owner already owns `max` (platform agents, owner null, do not count). Decided under
 * the owner's user row lock, as the quota reservation's conditional UPDATE and issueEmailVerification do, so
 * parallel creates run one at a time per user and never pass `max`: a count then an insert without the lock would
 * let each of them see the same free slot under READ COMMITTED. The lock is FOR NO KEY UPDATE, the one the quota
 * UPDATE takes, so foreign-key checks of the user's concurrent chat and message inserts do not wait for it.
 */
export async function createAgentWithinLimit(
  db: Executor,
  params: AgentFields & { ownerId: string; max: number },
): Promise<CreateAgentWithinLimitResult> {
  const { max, ...fields } = params;
  return db.transaction(async (tx) => {
    const [owner] = await tx
      .select({ id: users.id })
      .from(users)
      .where(eq(users.id, fields.ownerId))
      .for('no key update');
    if (!owner) return { status: 'no_owner' as const };
    // A statement of its own, after the lock: under READ COMMITTED it sees every create committed before.
    const owned = await countOwnedAgents(tx, { ownerId: fields.ownerId });
    if (owned >= max) return { status: 'limit_reached' as const, owned };
    return { status: 'created' as const, agent: await createAgent(tx, fields) };
  });
}

/** Updates an agent the user owns; platform agents and others' agents are undefined (nothing written). */
export async function updateAgentForOwner(
  db: Executor,
  params: { id: string; ownerId: string; patch: Partial<AgentFields> },
): Promise<Agent | undefined> {
  const [row] = await db
    .update(agents)
    .set({ ...params.patch, updatedAt: sql`now()` })
    .where(and(eq(agents.id, params.id), eq(agents.ownerId, params.ownerId)))
    .returning();
  return row;
}

/** Deletes an agent the user owns; its chats fall back to the default agent (agent_id set null). */
export async function deleteAgentForOwner(
  db: Executor,
  params: { id: string; ownerId: string },
): Promise<boolean> {
  const rows = await db
    .delete(agents)
    .where(and(eq(agents.id, params.id), eq(agents.ownerId, params.ownerId)))
    .returning({ id: agents.id });
  return rows.length > 0;
}

/**
 * Makes the platform agents (owner null) exactly the given set, keyed by slug: new ones inserted, existing
 * ones updated in place (their ids, and so chats bound to them, survive), ones no longer listed deleted.
 */
export async function syncPlatformAgents(
  db: Executor,
  params: { agents: Array<AgentFields & { slug: string }> },
): Promise<{ upserted: number; deleted: number }> {
  return db.transaction(async (tx) => {
    for (const a of params.agents) {
      await tx
        .insert(agents)
        .values({ ...a, ownerId: null })
        .onConflictDoUpdate({
          target: agents.slug,
          targetWhere: isNull(agents.ownerId),
          set: {
            name: a.name,
            description: a.description,
            systemPrompt: a.systemPrompt,
            model: a.model,
            temperature: a.temperature,
            maxOutputTokens: a.maxOutputTokens,
            updatedAt: sql`now()`,
          },
        });
    }
    const slugs = params.agents.map((a) => a.slug);
    const deleted = await tx
      .delete(agents)
      .where(and(isNull(agents.ownerId), slugs.length ? not(inArray(agents.slug, slugs)) : undefined))
      .returning({ id: agents.id });
    return { upserted: params.agents.length, deleted: deleted.length };
  });
}

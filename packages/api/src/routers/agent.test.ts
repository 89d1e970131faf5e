import { randomUUID } from 'node:crypto';
import { agents, count, eq } from '@chatplatform/db';
import { createAgentWithinLimit } from '@chatplatform/db/queries';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness, type SignedIn } from '../../test/harness';
import { failure } from '../../test/trpc-error';

const MAX = 5;

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ config: { agents: { maxPerUser: MAX } } });
});
afterAll(async () => h?.cleanup());

/** The user's own agents, counted in the database (not through the API under test). */
async function owned(userId: string): Promise<number> {
  const [row] = await h.db.select({ n: count() }).from(agents).where(eq(agents.ownerId, userId));
  return row?.n ?? 0;
}

async function createMany(u: SignedIn, n: number, prefix = 'agent'): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push((await u.caller.agent.create({ name: `${prefix} ${i}` })).id);
  return ids;
}

describe('agent.create: at most agents.maxPerUser own agents per user', () => {
  it('creates up to the cap, then refuses with FORBIDDEN AGENT_LIMIT_REACHED and writes nothing', async () => {
    const a = await h.signIn();
    await createMany(a, MAX);
    const listed = await a.caller.agent.list();

    const f = await failure(a.caller.agent.create({ name: 'one too many', systemPrompt: 'x' }));
    expect(f.code).toBe('FORBIDDEN');
    expect(f.reason).toBe('AGENT_LIMIT_REACHED');
    expect(f.message).toBe('You have 5 agents, the most one account may have; delete one to create another.');
    expect(f.error).toMatchObject({ details: { owned: MAX, max: MAX } });

    expect(await owned(a.userId)).toBe(MAX);
    expect(await a.caller.agent.list()).toEqual(listed);
    expect(listed.filter((x) => x.name === 'one too many')).toEqual([]);
  });

  it('counts only the caller’s own agents: platform agents and other users’ take no slot', async () => {
    const a = await h.signIn();
    const b = await h.signIn();
    await h.db.insert(agents).values(
      Array.from({ length: MAX + 2 }, (_, i) => ({
        name: `platform ${i}`,
        model: 'local/demo',
        slug: `p-${randomUUID()}`,
      })),
    );
    await createMany(b, MAX);
    expect((await failure(b.caller.agent.create({ name: 'b extra' }))).reason).toBe('AGENT_LIMIT_REACHED');

    await createMany(a, MAX);
    expect(await owned(a.userId)).toBe(MAX);
    const list = await a.caller.agent.list();
    expect(list.filter((x) => !x.isPlatform)).toHaveLength(MAX);
    expect(list.filter((x) => x.isPlatform).length).toBeGreaterThanOrEqual(MAX + 2);
    expect((await failure(a.caller.agent.create({ name: 'a extra' }))).reason).toBe('AGENT_LIMIT_REACHED');
  });

  it('frees a slot when an agent is deleted, and only one', async () => {
    const a = await h.signIn();
    const ids = await createMany(a, MAX);
    expect((await failure(a.caller.agent.create({ name: 'full' }))).reason).toBe('AGENT_LIMIT_REACHED');

    await a.caller.agent.delete({ id: ids[0] ?? '' });
    const again = await a.caller.agent.create({ name: 'in the freed slot' });
    expect(again.isPlatform).toBe(false);
    expect(await owned(a.userId)).toBe(MAX);
    expect((await failure(a.caller.agent.create({ name: 'full again' }))).reason).toBe('AGENT_LIMIT_REACHED');
  });

  it('user.limits reports the cap: owned agents as used, following creates and deletes, platform agents not counted', async () => {
    const a = await h.signIn();
    expect((await a.caller.user.limits()).agents).toEqual({ limit: MAX, used: 0, remaining: MAX });
    const ids = await createMany(a, MAX);
    expect((await a.caller.user.limits()).agents).toEqual({ limit: MAX, used: MAX, remaining: 0 });
    await a.caller.agent.delete({ id: ids[1] ?? '' });
    expect((await a.caller.user.limits()).agents).toEqual({ limit: MAX, used: MAX - 1, remaining: 1 });
    // Over the cap (an operator's fixture, or a cap lowered after the fact) shows nothing remaining, never negative.
    await h.db
      .insert(agents)
      .values(
        Array.from({ length: 2 }, (_, i) => ({ name: `extra ${i}`, model: 'local/demo', ownerId: a.userId })),
      );
    expect((await a.caller.user.limits()).agents).toEqual({ limit: MAX, used: MAX + 1, remaining: 0 });
  });

  it('20 parallel creates with 3 slots left create exactly 3; the other 17 are AGENT_LIMIT_REACHED', async () => {
    const a = await h.signIn();
    await createMany(a, MAX - 3);
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => a.caller.agent.create({ name: `parallel ${i}` })),
    );
    const created = results.filter((r) => r.status === 'fulfilled');
    const refused = await Promise.all(
      results.flatMap((r) => (r.status === 'rejected' ? [failure(Promise.reject(r.reason))] : [])),
    );
    expect(created).toHaveLength(3);
    expect(refused).toHaveLength(17);
    for (const f of refused) {
      expect(f).toMatchObject({ code: 'FORBIDDEN', reason: 'AGENT_LIMIT_REACHED' });
      expect(f.error).toMatchObject({ details: { owned: MAX, max: MAX } });
    }
    expect(await owned(a.userId)).toBe(MAX);
  });

  it('parallel creates of two users do not take each other’s slots', async () => {
    const a = await h.signIn();
    const b = await h.signIn();
    const results = await Promise.allSettled(
      Array.from({ length: 24 }, (_, i) => (i % 2 ? a : b).caller.agent.create({ name: `both ${i}` })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(2 * MAX);
    expect(await owned(a.userId)).toBe(MAX);
    expect(await owned(b.userId)).toBe(MAX);
  });

  it('tells a user over a lowered cap how many agents to delete before one more fits', async () => {
    const a = await h.signIn();
    await h.db.insert(agents).values(
      Array.from({ length: MAX + 2 }, (_, i) => ({
        name: `old ${i}`,
        model: 'local/demo',
        ownerId: a.userId,
      })),
    );
    const f = await failure(a.caller.agent.create({ name: 'new' }));
    expect(f).toMatchObject({ code: 'FORBIDDEN', reason: 'AGENT_LIMIT_REACHED' });
    expect(f.message).toBe(
      'You have 7 agents and one account may have at most 5; delete 3 to create another.',
    );
    expect(f.error).toMatchObject({ details: { owned: MAX + 2, max: MAX } });
    expect(await owned(a.userId)).toBe(MAX + 2);
  });

  it('says "1 agent" when the cap is one', async () => {
    const previous = h.config.agents.maxPerUser;
    h.config.agents.maxPerUser = 1;
    try {
      const a = await h.signIn();
      await a.caller.agent.create({ name: 'the only one' });
      const f = await failure(a.caller.agent.create({ name: 'second' }));
      expect(f.message).toBe(
        'You have 1 agent, the most one account may have; delete one to create another.',
      );
      expect(f.error).toMatchObject({ details: { owned: 1, max: 1 } });
    } finally {
      h.config.agents.maxPerUser = previous;
    }
  });
});

describe('createAgentWithinLimit', () => {
  it('creates nothing for a user that does not exist', async () => {
    const ownerId = randomUUID();
    const r = await createAgentWithinLimit(h.db, {
      ownerId,
      max: MAX,
      name: 'orphan',
      description: '',
      systemPrompt: '',
      model: 'local/demo',
      temperature: 0.7,
      maxOutputTokens: 1024,
    });
    expect(r).toEqual({ status: 'no_owner' });
    expect(await owned(ownerId)).toBe(0);
  });
});

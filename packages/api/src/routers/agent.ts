import type { Agent } from '@chatplatform/db';
import {
  deleteAgentForOwner,
  getAgentForUser,
  listAgentsForUser,
  updateAgentForOwner,
} from '@chatplatform/db/queries';
import type { TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import type { Context } from '../context';
import { AppError, notFound } from '../errors';
import { iso, isoDate, uuid } from '../schemas/common';
import { label, optionalText } from '../schemas/text';
import { createOwnAgent } from '../services/agents';
import { authedProcedure } from '../trpc';

const agentOutput = z.object({
  id: z.uuid(),
  name: z.string(),
  description: z.string(),
  systemPrompt: z.string(),
  model: z.string(),
  temperature: z.number(),
  maxOutputTokens: z.number().int(),
  /** A platform agent (from the server's configuration): everyone sees it, nobody edits it. */
  isPlatform: z.boolean(),
  slug: z.string().nullable(),
  createdAt: isoDate,
  updatedAt: isoDate,
});

const toAgentOutput = (a: Agent): z.infer<typeof agentOutput> => ({
  id: a.id,
  name: a.name,
  description: a.description,
  systemPrompt: a.systemPrompt,
  model: a.model,
  temperature: a.temperature,
  maxOutputTokens: a.maxOutputTokens,
  isPlatform: a.ownerId === null,
  slug: a.slug,
  createdAt: iso(a.createdAt),
  updatedAt: iso(a.updatedAt),
});

const fields = {
  name: label(100),
  description: z.string().trim().pipe(optionalText(1000)),
  systemPrompt: optionalText(8000),
  model: z.string().min(1).max(200).describe('a model id from agent.models'),
  // The column is a PostgreSQL real: below about 1e-38 a value does not store (and the 0 it would round to is
  // a different setting), so temperatures are 0 or from 0.001.
  temperature: z
    .number()
    .min(0)
    .max(2)
    .refine((t) => t === 0 || t >= 0.001, { message: 'must be 0 or from 0.001 to 2' }),
  maxOutputTokens: z.number().int().min(1).max(32_000),
};

/** The allow list is server-side: a model not on it is BAD_REQUEST naming the field. */
function checkModel(ctx: Context, model: string | undefined): void {
  if (model === undefined || ctx.generation.registry.has(model)) return;
  throw new AppError(
    'BAD_REQUEST',
    'MODEL_NOT_ALLOWED',
    `model: "${model}" is not on this server's model list`,
    {
      details: { field: 'model', allowed: ctx.generation.registry.list().map((m) => m.id) },
    },
  );
}

async function notOwned(ctx: Context & { auth: { userId: string } }, id: string): Promise<AppError> {
  const visible = await getAgentForUser(ctx.db, { id, userId: ctx.auth.userId });
  return visible
    ? new AppError(
        'FORBIDDEN',
        'PLATFORM_AGENT',
        'Platform agents are defined by the server and cannot be changed.',
      )
    : notFound('Agent');
}

export const agentRouter = {
  /** The models agents may use (the server's allow list) and the default one. */
  models: authedProcedure
    .output(
      z.object({
        models: z.array(z.object({ id: z.string(), provider: z.string() })),
        defaultModel: z.string(),
      }),
    )
    .query(({ ctx }) => ({
      models: ctx.generation.registry.list(),
      defaultModel: ctx.config.ai.defaultModel,
    })),

  /**
   * Platform agents and the caller's own, all in one answer: unpaginated because agent.create caps a user's
   * own at agents.maxPerUser (AGENTS_MAX_PER_USER), so the list is at most that plus the platform agents.
   */
  list: authedProcedure.output(z.array(agentOutput)).query(async ({ ctx }) => {
    const rows = await listAgentsForUser(ctx.db, { userId: ctx.auth.userId });
    return rows.map(toAgentOutput);
  }),

  /** A platform agent or one of the caller's; anyone else's is NOT_FOUND. */
  byId: authedProcedure
    .input(z.strictObject({ id: uuid }))
    .output(agentOutput)
    .query(async ({ ctx, input }) => {
      const a = await getAgentForUser(ctx.db, { id: input.id, userId: ctx.auth.userId });
      if (!a) throw notFound('Agent');
      return toAgentOutput(a);
    }),

  /** Creates one of the caller's agents; past agents.maxPerUser of their own, FORBIDDEN AGENT_LIMIT_REACHED. */
  create: authedProcedure
    .input(
      z.strictObject({
        name: fields.name,
        description: fields.description.default(''),
        systemPrompt: fields.systemPrompt.default(''),
        model: fields.model.optional(),
        temperature: fields.temperature.default(0.7),
        maxOutputTokens: fields.maxOutputTokens.default(1024),
      }),
    )
    .output(agentOutput)
    .mutation(async ({ ctx, input }) => {
      checkModel(ctx, input.model);
      const a = await createOwnAgent(ctx.db, {
        ...input,
        model: input.model ?? ctx.config.ai.defaultModel,
        ownerId: ctx.auth.userId,
        maxPerUser: ctx.config.agents.maxPerUser,
      });
      return toAgentOutput(a);
    }),

  /** Changes the given fields of one of the caller's agents. */
  update: authedProcedure
    .input(
      z.strictObject({
        id: uuid,
        name: fields.name.optional(),
        description: fields.description.optional(),
        systemPrompt: fields.systemPrompt.optional(),
        model: fields.model.optional(),
        temperature: fields.temperature.optional(),
        maxOutputTokens: fields.maxOutputTokens.optional(),
      }),
    )
    .output(agentOutput)
    .mutation(async ({ ctx, input }) => {
      checkModel(ctx, input.model);
      const { id, ...patch } = input;
      const clean = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
      const a = await updateAgentForOwner(ctx.db, { id, ownerId: ctx.auth.userId, patch: clean });
      if (!a) throw await notOwned(ctx, id);
      return toAgentOutput(a);
    }),

  /** Deletes one of the caller's agents; its chats continue with the default agent. */
  delete: authedProcedure
    .input(z.strictObject({ id: uuid }))
    .output(z.object({ deleted: z.literal(true) }))
    .mutation(async ({ ctx, input }) => {
      const ok = await deleteAgentForOwner(ctx.db, { id: input.id, ownerId: ctx.auth.userId });
      if (!ok) throw await notOwned(ctx, input.id);
      return { deleted: true as const };
    }),
} satisfies TRPCRouterRecord;

import { sql } from 'drizzle-orm';
import { index, integer, pgTable, real, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { id, timestamps } from './_columns';
import { users } from './users';

/** An AI agent: a model with a system prompt. owner_id null = a platform agent from the repo's config file. */
export const agents = pgTable(
  'agents',
  {
    id: id(),
    ownerId: uuid().references(() => users.id, { onDelete: 'cascade' }),
    /** Stable key of a platform agent in the config file; null for user agents. */
    slug: text(),
    name: text().notNull(),
    description: text().notNull().default(''),
    systemPrompt: text().notNull().default(''),
    model: text().notNull(),
    temperature: real().notNull().default(0.7),
    maxOutputTokens: integer().notNull().default(1024),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('agents_platform_slug_key').on(t.slug).where(sql`${t.ownerId} is null`),
    index('agents_owner_id_idx').on(t.ownerId),
  ],
);

export type Agent = typeof agents.$inferSelect;
export type NewAgent = typeof agents.$inferInsert;

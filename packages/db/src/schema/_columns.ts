import { sql } from 'drizzle-orm';
import { timestamp, uuid } from 'drizzle-orm/pg-core';

/**
 * Every timestamp is `timestamptz(3)`: millisecond precision round-trips exactly through a JS Date,
 * which keyset cursors built from dates depend on.
 */
export const tstz = (name?: string) =>
  name
    ? timestamp(name, { withTimezone: true, precision: 3, mode: 'date' })
    : timestamp({ withTimezone: true, precision: 3, mode: 'date' });

export const id = () => uuid().primaryKey().default(sql`gen_random_uuid()`);

export const timestamps = {
  createdAt: tstz().notNull().defaultNow(),
  updatedAt: tstz().notNull().defaultNow(),
};

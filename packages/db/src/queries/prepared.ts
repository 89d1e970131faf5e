import { PgTransaction } from 'drizzle-orm/pg-core';
import type { Database, Executor } from '../client';

type Values = Record<string, unknown>;

/** A drizzle query built with `sql.placeholder()`s: run at once with their values, or prepared for reuse. */
interface Preparable<R> {
  execute(values?: Values): Promise<R>;
  prepare(name: string): { execute(values?: Values): Promise<R> };
}

/**
 * A statement of the token path built once per database handle instead of once per call. drizzle's query
 * builder costs 100 to 250 us of CPU and tens of KB of garbage per statement on a 2-core machine (a select of
 * every message column, an update that sets ten of them); prepared, a call only binds its values, and
 * PostgreSQL (a named statement, parsed and planned once per connection) skips its parse too.
 *
 * A prepared statement belongs to the handle's pool, not to a transaction's connection, so inside a
 * transaction the query is built and run as before. `name` must be unique among the app's statements.
 */
export function statement<R>(name: string, build: (db: Executor) => Preparable<R>) {
  const prepared = new WeakMap<Database, { execute(values?: Values): Promise<R> }>();
  return (db: Executor, values: Values): Promise<R> => {
    if (db instanceof PgTransaction) return build(db).execute(values);
    let p = prepared.get(db);
    if (!p) {
      p = build(db).prepare(name);
      prepared.set(db, p);
    }
    return p.execute(values);
  };
}

import { sql } from 'drizzle-orm';
import { PgTransaction } from 'drizzle-orm/pg-core';
import type { Database, Executor } from '../client';

type Values = Record<string, unknown>;

/** Transactions opened on one connection's own handle (client.ts), and that handle. */
const connectionOf = new WeakMap<object, Database>();

/**
 * Marks `tx` as running on the connection that `db` (a handle over that one connection) drives: statements
 * prepared on `db` then run inside the transaction, since they go to the same connection.
 */
export function runsOn<T extends object>(tx: T, db: Database): T {
  connectionOf.set(tx, db);
  return tx;
}

/**
 * A placeholder as plain SQL, bound without the column's encoder: for an update's SET (drizzle types placeholders
 * for inserts and filters only) and for a value whose encoder would not take null (a Date column).
 */
export const value = (name: string) => sql`${sql.placeholder(name)}`;

/** Every statement's name: PostgreSQL refuses a second statement under a name already prepared. */
const names = new Set<string>();

/** A drizzle query built with `sql.placeholder()`s: run at once with their values, or prepared for reuse. */
interface Preparable<R> {
  execute(values?: Values): Promise<R>;
  prepare(name: string): { execute(values?: Values): Promise<R> };
}

/**
 * A statement of a hot path (a reply's send and writes, the reads by id, the list pages, chat creation) built
 * once per database handle instead of once per call. drizzle's query builder costs 100 to 250 us of CPU and tens
 * of KB of garbage per statement on a 2-core machine (a select of every message column, an update that sets ten
 * of them); prepared, a call only binds its values, and PostgreSQL (a named statement, parsed and planned once
 * per connection) skips its parse too.
 *
 * On PostgreSQL a transaction runs on its connection's own handle (client.ts), so the statements that handle
 * prepared run inside it. Elsewhere (PGlite, a nested transaction) the query is built and run on the
 * transaction as before. `name` must be unique among the app's statements (checked here, at load).
 */
export function statement<R>(name: string, build: (db: Executor) => Preparable<R>) {
  if (names.has(name)) throw new Error(`two prepared statements are named ${name}`);
  names.add(name);
  const prepared = new WeakMap<Database, { execute(values?: Values): Promise<R> }>();
  return (db: Executor, values: Values): Promise<R> => {
    const handle = db instanceof PgTransaction ? connectionOf.get(db) : db;
    if (!handle) return build(db).execute(values);
    let p = prepared.get(handle);
    if (!p) {
      p = build(handle).prepare(name);
      prepared.set(handle, p);
    }
    return p.execute(values);
  };
}

export * from 'drizzle-orm';
export type { Database, DbHandle, DbOptions, Executor, Transaction } from './client';
export { createDb, migrationsFolder } from './client';
export * from './schema/index';

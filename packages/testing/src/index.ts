export * from './db';
export * from './wallet';

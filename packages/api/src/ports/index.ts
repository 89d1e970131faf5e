export { createMemoryPorts, ExpiringMap } from './memory';
export { createRedisPorts } from './redis';
export type * from './types';

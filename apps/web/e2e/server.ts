import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type SpawnedServer, spawnServer } from '@chatplatform/testing/server-process';

export const webDist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist');

export type E2EServer = SpawnedServer;

/** The real server serving the built web app from apps/web/dist, with the demo wallet on (development). */
export function startE2EServer(env: Record<string, string> = {}): Promise<E2EServer> {
  return spawnServer({ WEB_DIST: webDist, ENVIRONMENT: 'development', ...env });
}

import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type SpawnedServer, spawnServer } from '@chatplatform/testing/server-process';

export const webDist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist');

export type E2EServer = SpawnedServer;

/** The real server serving the built web app from apps/web/dist, with the demo wallet on (development). */
export async function startE2EServer(env: Record<string, string> = {}): Promise<E2EServer> {
  // Without the build every page is the server's 404 and each test would wait out its timeouts instead.
  if (!existsSync(path.join(webDist, 'index.html')))
    throw new Error(
      `${webDist} has no index.html: build the web app first (\`pnpm --filter @chatplatform/web test\` and \`pnpm test\` do)`,
    );
  return spawnServer({ WEB_DIST: webDist, ENVIRONMENT: 'development', ...env });
}

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestDb, type TestDb, testRedisUrl } from '@chatplatform/testing/db';

const serverDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../apps/server');

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export interface SpawnedServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/**
 * The real server as a child process (`node --import tsx src/main.ts`), exactly as `pnpm start` runs it, on
 * loopback with a temporary data and key directory. With TEST_DATABASE_URL / TEST_REDIS_URL set it uses a
 * fresh PostgreSQL database and the real Redis instead of the embedded defaults.
 */
export async function spawnServer(env: Record<string, string> = {}): Promise<SpawnedServer> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'chatplatform-client-'));
  let db: TestDb | undefined;
  const backend: Record<string, string> = {};
  if (process.env.TEST_DATABASE_URL) {
    db = await createTestDb({ poolSize: 1 });
    if (db.url) backend.DATABASE_URL = db.url;
  }
  if (testRedisUrl) backend.REDIS_URL = testRedisUrl;
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: serverDir,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      APP_HOST: '127.0.0.1',
      PORT: String(port),
      DATA_DIR: path.join(dir, 'data'),
      JWT_KEYS_DIR: path.join(dir, 'keys'),
      LOG_LEVEL: 'warn',
      ENVIRONMENT: 'test',
      RATE_LIMIT_AUTH_PER_IP: '100000',
      RATE_LIMIT_USER: '1000000',
      ...backend,
      ...env,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // Wait for /healthz; PGlite boots and migrates in a few seconds on a loaded machine.
  const deadline = Date.now() + 60_000;
  for (;;) {
    const done = await Promise.race([exited.then(() => true), new Promise((r) => setTimeout(r, 200, false))]);
    if (done) throw new Error(`server exited before it was ready (code ${child.exitCode})`);
    try {
      const r = await fetch(`${url}/healthz`);
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error('server did not become ready within 60 s');
    }
  }
  return {
    url,
    port,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      await db?.cleanup();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

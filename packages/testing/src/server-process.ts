import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestDb, type TestDb, testRedisUrl } from './db';

/** apps/server, run as a process (packages never import an app). */
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
  /** Log lines the server wrote (JSON, pino); mail goes here when no SMTP is configured. */
  logs: string[];
  /** The newest verification code mailed to `email`, read from the server's log. */
  lastCodeFor(email: string): string | undefined;
  stop(): Promise<void>;
}

/**
 * The real server as `pnpm start` runs it (`node --import tsx src/main.ts`), as a child process on loopback with a
 * temporary data and key directory; `env` adds or overrides variables (e.g. WEB_DIST). With TEST_DATABASE_URL /
 * TEST_REDIS_URL it uses a fresh PostgreSQL database and the real Redis instead of the embedded defaults.
 */
export async function spawnServer(env: Record<string, string> = {}): Promise<SpawnedServer> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'chatplatform-server-'));
  let db: TestDb | undefined;
  const backend: Record<string, string> = {};
  if (process.env.TEST_DATABASE_URL) {
    db = await createTestDb({ poolSize: 1 });
    if (db.url) backend.DATABASE_URL = db.url;
  }
  if (testRedisUrl) backend.REDIS_URL = testRedisUrl;
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: serverDir,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      APP_HOST: '127.0.0.1',
      PORT: String(port),
      DATA_DIR: path.join(dir, 'data'),
      JWT_KEYS_DIR: path.join(dir, 'keys'),
      SIWE_DOMAIN: `127.0.0.1:${port}`,
      SIWE_URI: url,
      LOG_LEVEL: 'warn',
      ENVIRONMENT: 'test',
      RATE_LIMIT_AUTH_PER_IP: '100000',
      RATE_LIMIT_USER: '1000000',
      ...backend,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  let buffered = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    logs.push(...lines.filter(Boolean));
  });
  child.stderr?.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + 90_000;
  for (;;) {
    const done = await Promise.race([exited.then(() => true), new Promise((r) => setTimeout(r, 250, false))]);
    if (done)
      throw new Error(`server exited before it was ready (code ${child.exitCode}):\n${logs.join('\n')}`);
    try {
      const r = await fetch(`${url}/healthz`);
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error('server did not become ready within 90 s');
    }
  }
  return {
    url,
    port,
    logs,
    lastCodeFor(email) {
      for (const line of [...logs].reverse()) {
        if (!line.includes(email)) continue;
        try {
          const entry = JSON.parse(line) as { mail?: { to?: string; text?: string } };
          const code = entry.mail?.to === email ? /\b(\d{6})\b/.exec(entry.mail.text ?? '')?.[1] : undefined;
          if (code) return code;
        } catch {
          // not JSON
        }
      }
      return undefined;
    },
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

import { afterAll, beforeAll } from 'vitest';
import { startServer, type TestServer } from './harness';
import { FRAMING } from './http-raw';

/** The two ways a pair serves tRPC, named as tests say them: `describe.each(ROUTES)`, `it.each(ROUTES)`. */
export const ROUTES = [['direct route'], ['official adapter']] as const;

/** A value as tRPC's `input` query parameter. */
export const enc = (v: unknown) => encodeURIComponent(JSON.stringify(v));

export type Route = (typeof ROUTES)[number][0];

export interface LivePair {
  /** The server with the direct tRPC route (src/plugins/trpc-fast.ts, TRPC_FAST_PATH default). */
  readonly fast: TestServer;
  /** The server with the official adapter alone (TRPC_FAST_PATH=false). */
  readonly official: TestServer;
  /** An access token of a person signed in on the pair. */
  readonly token: string;
  /** The server a `ROUTES` name stands for. */
  server(name: Route): TestServer;
}

/**
 * Two servers on one database, Redis and key set, for the file or describe it is called in: both start before
 * its tests (beforeAll) and stop after them. `fast` serves tRPC on the direct route, `official` with the official
 * adapter alone; the pair tests send every request to both and compare the answers. `env` may be a function, read
 * when the pair starts (for what an earlier beforeAll started); `shareWith` puts the pair on another pair's
 * database and Redis.
 */
export function livePair(
  env: Record<string, string> | (() => Record<string, string>) = {},
  opts: { shareWith?: LivePair } = {},
): LivePair {
  let fast: TestServer | undefined;
  let official: TestServer | undefined;
  let token: string | undefined;
  beforeAll(async () => {
    const e = typeof env === 'function' ? env() : env;
    fast = await startServer({ env: e, shareWith: opts.shareWith?.fast });
    official = await startServer({ env: { ...e, TRPC_FAST_PATH: 'false' }, shareWith: fast });
    token = (await fast.signIn()).accessToken;
  });
  afterAll(async () => {
    await official?.close();
    await fast?.close();
  });
  const live = () => {
    if (!fast || !official || token === undefined)
      throw new Error('livePair: the servers start in beforeAll; read them in a test');
    return { fast, official, token };
  };
  return {
    get fast() {
      return live().fast;
    },
    get official() {
      return live().official;
    },
    get token() {
      return live().token;
    },
    server: (name) => (name === 'direct route' ? live().fast : live().official),
  };
}

export interface Snapshot {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Status, headers (less framing) and body of a response; `direct` when it came in one buffer with a
 * content-length, as only the direct route writes a JSON answer (the official adapter streams it, chunked).
 */
export async function snapshot(res: Response): Promise<{ snap: Snapshot; direct: boolean }> {
  const headers: Record<string, string> = {};
  for (const [k, v] of res.headers) if (!FRAMING.has(k)) headers[k] = v;
  const direct = res.headers.has('content-length') && !res.headers.has('transfer-encoding');
  return { snap: { status: res.status, headers, body: await res.text() }, direct };
}

/** trpc_errors_total by procedure and code: what onError counted. */
export async function errorCounts(s: TestServer): Promise<Record<string, number>> {
  const text = await fetch(`${s.url}/metrics`).then((r) => r.text());
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^trpc_errors_total(\{[^}]*\}) (\d+)$/.exec(line);
    if (m?.[1] && m[2]) out[m[1]] = Number(m[2]);
  }
  return out;
}

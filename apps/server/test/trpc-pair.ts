import type { TestServer } from './harness';
import { startServer } from './harness';
import { FRAMING } from './http-raw';

/** The two ways a pair serves tRPC, named as tests say them: `describe.each(ROUTES)`, `it.each(ROUTES)`. */
export const ROUTES = [['direct route'], ['official adapter']] as const;

/** A value as tRPC's `input` query parameter. */
export const enc = (v: unknown) => encodeURIComponent(JSON.stringify(v));

/**
 * Two servers on one database, Redis and key set: `fast` with the direct tRPC route (src/plugins/trpc-fast.ts,
 * TRPC_FAST_PATH default), `official` with the official adapter alone (TRPC_FAST_PATH=false). The trpc-fast
 * tests send every request to both and compare the answers.
 */
export async function startPair(env: Record<string, string> = {}) {
  const fast = await startServer({ env });
  const official = await startServer({ env: { ...env, TRPC_FAST_PATH: 'false' }, shareWith: fast });
  const token = (await fast.signIn()).accessToken;
  return {
    fast,
    official,
    token,
    async close() {
      await official.close();
      await fast.close();
    },
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

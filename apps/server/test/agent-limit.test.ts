import { createOpenApiDocument } from '@chatplatform/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientFor } from './ai-client';
import { startServer, type TestServer } from './harness';
import { rest } from './rest-helpers';

const data = (err: unknown) =>
  (err as { data?: { code?: string; httpStatus?: number; reason?: string; details?: unknown } }).data;

const FULL = 'You have 3 agents, the most one account may have; delete one to create another.';

// The direct route (plugins/trpc-fast.ts) and the official adapter must refuse alike.
describe.each(['true', 'false'])('AGENTS_MAX_PER_USER over HTTP, TRPC_FAST_PATH=%s', (fastPath) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ env: { AGENTS_MAX_PER_USER: '3', TRPC_FAST_PATH: fastPath } });
  });
  afterAll(async () => server?.close());

  it('20 parallel agent.create with a cap of 3 create 3; the rest are 403 FORBIDDEN AGENT_LIMIT_REACHED', async () => {
    const s = await server.signIn();
    const client = clientFor(server.url, s.accessToken);
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => client.agent.create.mutate({ name: `parallel ${i}` })),
    );
    const refused = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as Error] : []));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
    expect(refused).toHaveLength(17);
    for (const err of refused) {
      expect(err.message).toBe(FULL);
      expect(data(err)).toMatchObject({
        code: 'FORBIDDEN',
        httpStatus: 403,
        reason: 'AGENT_LIMIT_REACHED',
        details: { owned: 3, max: 3 },
      });
    }
    const own = (await client.agent.list.query()).filter((a) => !a.isPlatform);
    expect(own).toHaveLength(3);

    // The response itself is a 403, not a 200 carrying an error.
    const res = await fetch(`${server.url}/trpc/agent.create`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${s.accessToken}` },
      body: JSON.stringify({ name: 'raw' }),
    });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({
      error: { message: FULL, data: { code: 'FORBIDDEN', reason: 'AGENT_LIMIT_REACHED' } },
    });

    // Deleting one frees its slot.
    await client.agent.delete.mutate({ id: own[0]?.id ?? '' });
    await client.agent.create.mutate({ name: 'in the freed slot' });
    expect(data(await client.agent.create.mutate({ name: 'again' }).catch((e) => e))).toMatchObject({
      reason: 'AGENT_LIMIT_REACHED',
    });
  });

  it('agent.create is not in the REST mirror (when it gets OpenAPI meta, test its 403 here)', async () => {
    const paths = Object.keys(createOpenApiDocument().paths ?? {});
    expect(paths.filter((p) => p.startsWith('/agent'))).toEqual([]);
    const s = await server.signIn();
    const r = await rest(server, 'POST', '/agent/', { token: s.accessToken, body: { name: 'x' } });
    expect(r.status).toBe(404);
  });
});

import type { AppRouter } from '@chatplatform/api';
import { createTRPCClient, httpBatchLink, httpLink } from '@trpc/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './harness';

let s: TestServer;
beforeAll(async () => {
  s = await startServer();
});
afterAll(async () => s?.close());

describe('mutations without input', () => {
  it.each([
    ['httpLink', httpLink],
    ['httpBatchLink', httpBatchLink],
  ] as const)('work through %s (an empty JSON body means no input)', async (_name, link) => {
    const u = await s.signIn();
    const client = createTRPCClient<AppRouter>({
      links: [link({ url: `${s.url}/trpc`, headers: { authorization: `Bearer ${u.accessToken}` } })],
    });
    await expect(client.auth.logout.mutate()).resolves.toEqual({ success: true });
    await expect(client.user.profile.query()).rejects.toMatchObject({ data: { reason: 'SESSION_REVOKED' } });
  });
});

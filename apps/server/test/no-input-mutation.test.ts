import type { AppRouter } from '@chatplatform/api';
import { createTRPCClient, httpBatchLink, httpLink } from '@trpc/client';
import { describe, expect, it } from 'vitest';
import { livePair, ROUTES } from './trpc-pair';

const pair = livePair();

describe('mutations without input', () => {
  it.each([
    ['httpLink', httpLink],
    ['httpBatchLink', httpBatchLink],
  ] as const)('work through %s (an empty JSON body means no input)', async (_name, link) => {
    for (const s of [pair.fast, pair.official]) {
      const u = await s.signIn();
      const client = createTRPCClient<AppRouter>({
        links: [link({ url: `${s.url}/trpc`, headers: { authorization: `Bearer ${u.accessToken}` } })],
      });
      await expect(client.auth.logout.mutate()).resolves.toEqual({ success: true });
      await expect(client.user.profile.query()).rejects.toMatchObject({
        data: { reason: 'SESSION_REVOKED' },
      });
    }
  });

  it.each(['{bad', 'null,', '\uFEFF{', '{"a":'])(
    'refuse a JSON body that is not JSON (%j), as for a procedure with input, and run nothing',
    async (body) => {
      for (const [name] of ROUTES) {
        const s = pair.server(name);
        const u = await s.signIn();
        const headers = { 'content-type': 'application/json', authorization: `Bearer ${u.accessToken}` };
        const res = await fetch(`${s.url}/trpc/auth.logout`, { method: 'POST', headers, body });
        expect(res.status, name).toBe(400);
        const json = (await res.json()) as {
          error: { message: string; data: { code: string; path: string } };
        };
        expect(json.error.data, name).toMatchObject({ code: 'BAD_REQUEST', path: 'auth.logout' });
        expect(json.error.message.length, name).toBeGreaterThan(0);
        // The same body to a procedure that reads its input gets the same code from tRPC itself.
        const withInput = await fetch(`${s.url}/trpc/chat.create`, { method: 'POST', headers, body });
        expect(withInput.status, name).toBe(400);
        expect(((await withInput.json()) as typeof json).error.data.code, name).toBe('BAD_REQUEST');
        // Still signed in: the logout did not run.
        const profile = await fetch(`${s.url}/trpc/user.profile`, { headers });
        expect(profile.status, name).toBe(200);
      }
    },
  );
});

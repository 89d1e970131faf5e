import { describe, expect, it } from 'vitest';
import { livePair } from './trpc-pair';

/** API answers are per caller and per moment: no cache may keep one (a sign-in nonce served twice is refused). */
const pair = livePair();

const address = encodeURIComponent(JSON.stringify({ address: `0x${'11'.repeat(20)}`, chainId: 1 }));

describe('Cache-Control on API answers', () => {
  it.each([
    ['a sign-in message (tRPC)', `/trpc/auth.message?input=${address}`, false],
    ['a user query (tRPC)', '/trpc/user.profile', true],
    ['a batch (official adapter on both)', '/trpc/user.profile,user.limits?batch=1', true],
    ['an error (tRPC)', '/trpc/user.profile', false],
    ['an unknown procedure', '/trpc/nope', true],
    ['a REST query', '/api/user/profile', true],
    ['a REST error', '/api/user/profile', false],
    ['the auth config (REST)', '/api/auth/config', false],
  ])('%s is no-store', async (_name, path, authed) => {
    for (const s of [pair.fast, pair.official]) {
      const res = await fetch(`${s.url}${path}`, {
        headers: authed ? { authorization: `Bearer ${pair.token}` } : {},
      });
      await res.arrayBuffer();
      expect(
        res.headers.get('cache-control'),
        `${s === pair.fast ? 'direct' : 'official'} ${res.status}`,
      ).toBe('no-store');
    }
  });

  it('leaves the docs page, the OpenAPI document and the key set their own', async () => {
    const docs = await fetch(`${pair.fast.url}/api/docs`);
    expect(docs.status).toBe(200);
    expect(docs.headers.get('cache-control')).not.toBe('no-store');
    const doc = await fetch(`${pair.fast.url}/api/openapi.json`);
    expect(doc.headers.get('cache-control')).toBe('no-cache');
    const jwks = await fetch(`${pair.fast.url}/.well-known/jwks.json`);
    expect(jwks.headers.get('cache-control')).toBe('public, max-age=300');
  });
});

import { createHash } from 'node:crypto';
import { newWallet } from '@chatplatform/testing/wallet';
import { TRPCError } from '@trpc/server';
import { SignJWT } from 'jose';
import { createSiweMessage } from 'viem/siwe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../../test/harness';
import { AppError } from '../errors';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => h?.cleanup());

/** The error a call rejects with, as code + reason. */
async function failure(p: Promise<unknown>): Promise<{ code: string; reason: string | undefined }> {
  try {
    await p;
  } catch (err) {
    if (err instanceof TRPCError)
      return { code: err.code, reason: err instanceof AppError ? err.reason : undefined };
    throw err;
  }
  throw new Error('expected the call to fail');
}

async function issueAndSign(wallet = newWallet(), chainId = 1) {
  const { message, nonce } = await h.caller().auth.message({ address: wallet.address, chainId });
  return { wallet, message, nonce, signature: await wallet.signMessage({ message }) };
}

describe('auth.message', () => {
  it('builds the whole EIP-4361 message from configuration with a fresh 160-bit nonce', async () => {
    const wallet = newWallet();
    const a = await h.caller().auth.message({ address: wallet.address.toLowerCase(), chainId: 8453 });
    const b = await h.caller().auth.message({ address: wallet.address, chainId: 8453 });
    expect(a.message).toContain(
      `localhost:3000 wants you to sign in with your Ethereum account:\n${wallet.address}\n`,
    );
    expect(a.message).toContain('URI: http://localhost:3000');
    expect(a.message).toContain('Chain ID: 8453');
    expect(a.message).toContain(`Nonce: ${a.nonce}`);
    expect(a.nonce).toMatch(/^[0-9a-f]{40}$/);
    expect(a.nonce).not.toBe(b.nonce);
    const ttl = new Date(a.expiresAt).getTime() - Date.now();
    expect(ttl).toBeGreaterThan(500_000);
    expect(ttl).toBeLessThanOrEqual(600_000);
  });

  it('refuses a chain id outside the allow list', async () => {
    const f = await failure(h.caller().auth.message({ address: newWallet().address, chainId: 999_999 }));
    expect(f).toEqual({ code: 'BAD_REQUEST', reason: 'CHAIN_NOT_ALLOWED' });
  });

  it.each([
    ['not hex', 'hello'],
    ['too short', '0x1234'],
    ['empty', ''],
  ])('refuses an address that is %s', async (_what, address) => {
    const f = await failure(h.caller().auth.message({ address, chainId: 1 }));
    expect(f.code).toBe('BAD_REQUEST');
  });
});

describe('auth.authenticate', () => {
  it('signs up a new wallet, then signs the same wallet in', async () => {
    const s = await issueAndSign();
    const first = await h.caller().auth.authenticate({ message: s.message, signature: s.signature });
    expect(first.isNewUser).toBe(true);
    expect(first.tokenType).toBe('Bearer');
    expect(first.expiresIn).toBe(900);
    const again = await issueAndSign(s.wallet);
    const second = await h.caller().auth.authenticate({ message: again.message, signature: again.signature });
    expect(second.isNewUser).toBe(false);
    expect(second.user.id).toBe(first.user.id);
  });

  it('treats lowercase and checksummed forms of an address as one user', async () => {
    const wallet = newWallet();
    const lower = await h.caller().auth.message({ address: wallet.address.toLowerCase(), chainId: 1 });
    const r1 = await h.caller().auth.authenticate({
      message: lower.message,
      signature: await wallet.signMessage({ message: lower.message }),
    });
    const checksummed = await issueAndSign(wallet);
    const r2 = await h
      .caller()
      .auth.authenticate({ message: checksummed.message, signature: checksummed.signature });
    expect(r2.user.id).toBe(r1.user.id);
    expect(r1.user.walletAddress).toBe(wallet.address);
  });

  it('rejects a replayed message', async () => {
    const s = await issueAndSign();
    await h.caller().auth.authenticate({ message: s.message, signature: s.signature });
    const f = await failure(h.caller().auth.authenticate({ message: s.message, signature: s.signature }));
    expect(f).toEqual({ code: 'UNAUTHORIZED', reason: 'NONCE_UNKNOWN' });
  });

  it('lets exactly one of 20 concurrent submissions of one signed message win', async () => {
    const s = await issueAndSign();
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () =>
        h.caller().auth.authenticate({ message: s.message, signature: s.signature }),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results.filter((r) => r.status === 'rejected')) {
      expect((r as PromiseRejectedResult).reason).toMatchObject({ code: 'UNAUTHORIZED' });
    }
  });

  it('rejects a nonce that was never issued', async () => {
    const wallet = newWallet();
    const message = createSiweMessage({
      domain: 'localhost:3000',
      address: wallet.address,
      uri: 'http://localhost:3000',
      version: '1',
      chainId: 1,
      nonce: 'deadbeefdeadbeefdeadbeef',
      issuedAt: new Date(),
    });
    const f = await failure(
      h.caller().auth.authenticate({ message, signature: await wallet.signMessage({ message }) }),
    );
    expect(f).toEqual({ code: 'UNAUTHORIZED', reason: 'NONCE_UNKNOWN' });
  });

  it('rejects a message edited after it was issued (domain, uri, chain id or statement)', async () => {
    for (const edit of [
      (m: string) => m.replace('localhost:3000 wants', 'evil.example wants'),
      (m: string) => m.replace('URI: http://localhost:3000', 'URI: https://evil.example'),
      (m: string) => m.replace('Chain ID: 1', 'Chain ID: 8453'),
      (m: string) => m.replace('Sign in to ChatPlatform.', 'Transfer everything.'),
      (m: string) => `${m}\nResources:\n- https://evil.example`,
    ]) {
      const s = await issueAndSign();
      const edited = edit(s.message);
      expect(edited).not.toBe(s.message);
      const f = await failure(
        h
          .caller()
          .auth.authenticate({ message: edited, signature: await s.wallet.signMessage({ message: edited }) }),
      );
      expect(f).toEqual({ code: 'UNAUTHORIZED', reason: 'MESSAGE_MISMATCH' });
    }
  });

  it('rejects a signature by another key and leaves the nonce usable by its owner', async () => {
    const s = await issueAndSign();
    const forged = await newWallet().signMessage({ message: s.message });
    const f = await failure(h.caller().auth.authenticate({ message: s.message, signature: forged }));
    expect(f).toEqual({ code: 'UNAUTHORIZED', reason: 'BAD_SIGNATURE' });
    const ok = await h.caller().auth.authenticate({ message: s.message, signature: s.signature });
    expect(ok.user.walletAddress).toBe(s.wallet.address);
  });

  it.each([
    ['empty signature', { signature: '' }],
    ['non-hex signature', { signature: '0xzz' }],
    ['1 MB signature', { signature: `0x${'ab'.repeat(512 * 1024)}` }],
    ['empty message', { message: '' }],
    ['1 MB message', { message: 'a'.repeat(1024 * 1024) }],
    ['malformed message', { message: 'hello, I am not SIWE' }],
  ] as [string, { message?: string; signature?: string }][])(
    'answers BAD_REQUEST to a %s',
    async (_what, patch) => {
      const s = await issueAndSign();
      const input = { message: s.message, signature: s.signature as string, ...patch };
      const f = await failure(h.caller().auth.authenticate(input));
      expect(f.code).toBe('BAD_REQUEST');
      // The real message is still usable: bad input changed nothing.
      await expect(
        h.caller().auth.authenticate({ message: s.message, signature: s.signature }),
      ).resolves.toBeTruthy();
    },
  );

  it('rejects a truncated (non-65-byte) signature without an RPC as an unverifiable smart-wallet signature', async () => {
    const s = await issueAndSign();
    const f = await failure(
      h.caller().auth.authenticate({ message: s.message, signature: s.signature.slice(0, 100) }),
    );
    expect(f).toEqual({ code: 'UNAUTHORIZED', reason: 'SMART_WALLET_NO_RPC' });
  });
});

describe('expired messages', () => {
  it('rejects a message signed after its expiration time', async () => {
    const short = await createHarness({
      config: {
        siwe: { ...h.config.siwe, messageTtlSeconds: 1, clockSkewSeconds: 0 },
      },
    });
    try {
      const wallet = newWallet();
      const { message } = await short.caller().auth.message({ address: wallet.address, chainId: 1 });
      await new Promise((r) => setTimeout(r, 2100));
      const f = await failure(
        short.caller().auth.authenticate({ message, signature: await wallet.signMessage({ message }) }),
      );
      expect(f).toEqual({ code: 'UNAUTHORIZED', reason: 'MESSAGE_EXPIRED' });
    } finally {
      await short.cleanup();
    }
  });
});

describe('access tokens', () => {
  const profile = (token: string) => h.authed(token).user.profile();

  async function forge(
    header: Record<string, unknown>,
    payload: Record<string, unknown>,
    sign: (data: string) => string,
  ) {
    const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const data = `${enc(header)}.${enc(payload)}`;
    return `${data}.${sign(data)}`;
  }

  async function claimsOf(token: string) {
    const [, payload] = token.split('.');
    return JSON.parse(Buffer.from(payload ?? '', 'base64url').toString());
  }

  it('accepts its own token', async () => {
    const u = await h.signIn();
    await expect(profile(u.accessToken)).resolves.toMatchObject({ id: u.userId });
  });

  it('refuses a request with no token or a malformed header', async () => {
    expect(await failure(h.caller().user.profile())).toEqual({
      code: 'UNAUTHORIZED',
      reason: 'TOKEN_MISSING',
    });
    expect(await failure(h.caller({ authorization: 'Basic abc' }).user.profile())).toEqual({
      code: 'UNAUTHORIZED',
      reason: 'TOKEN_INVALID',
    });
  });

  it('refuses alg none', async () => {
    const u = await h.signIn();
    const claims = await claimsOf(u.accessToken);
    const token = await forge({ alg: 'none', typ: 'at+jwt' }, claims, () => '');
    expect(await failure(profile(token))).toEqual({ code: 'UNAUTHORIZED', reason: 'TOKEN_INVALID' });
  });

  it('refuses HS256 signed with the public key (key confusion)', async () => {
    const u = await h.signIn();
    const claims = await claimsOf(u.accessToken);
    const publicPem =
      [...h.keys.verifying.values()][0]?.export({ type: 'spki', format: 'pem' }).toString() ?? '';
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: h.keys.signing.kid })
      .sign(new TextEncoder().encode(publicPem));
    expect(await failure(profile(token))).toEqual({ code: 'UNAUTHORIZED', reason: 'TOKEN_INVALID' });
  });

  it('refuses an unknown kid, a wrong issuer or audience, a missing exp, an expired token', async () => {
    const u = await h.signIn();
    const claims = await claimsOf(u.accessToken);
    const key = h.keys.signing.privateKey;
    const sign = (c: Record<string, unknown>, kid = h.keys.signing.kid) =>
      new SignJWT(c).setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid }).sign(key);
    const now = Math.floor(Date.now() / 1000);
    const cases: [string, Promise<string>, string][] = [
      ['unknown kid', sign(claims, 'not-a-key'), 'TOKEN_INVALID'],
      ['wrong issuer', sign({ ...claims, iss: 'someone-else' }), 'TOKEN_INVALID'],
      ['wrong audience', sign({ ...claims, aud: 'another-api' }), 'TOKEN_INVALID'],
      ['no exp', sign({ ...claims, exp: undefined }), 'TOKEN_INVALID'],
      ['no sid', sign({ ...claims, sid: undefined }), 'TOKEN_INVALID'],
      ['expired', sign({ ...claims, iat: now - 7200, exp: now - 3600 }), 'TOKEN_EXPIRED'],
    ];
    for (const [what, token, reason] of cases) {
      expect({ what, ...(await failure(profile(await token))) }).toEqual({
        what,
        code: 'UNAUTHORIZED',
        reason,
      });
    }
  });

  it('refuses a token whose payload was tampered with', async () => {
    const u = await h.signIn();
    const other = await h.signIn();
    const [header, , sig] = u.accessToken.split('.');
    const claims = await claimsOf(u.accessToken);
    const payload = Buffer.from(JSON.stringify({ ...claims, sub: other.userId })).toString('base64url');
    expect(await failure(profile(`${header}.${payload}.${sig}`))).toEqual({
      code: 'UNAUTHORIZED',
      reason: 'TOKEN_INVALID',
    });
  });

  it('refuses a refresh token used as an access token', async () => {
    const u = await h.signIn();
    expect((await failure(profile(u.refreshToken))).code).toBe('UNAUTHORIZED');
  });

  it('serves /.well-known keys without private parts', () => {
    for (const k of h.keys.jwks.keys) {
      expect(Object.keys(k).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n', 'use']);
    }
  });
});

describe('refresh tokens', () => {
  it('rotates: the new pair works, and the session stays one', async () => {
    const u = await h.signIn();
    const next = await h.caller().auth.refresh({ refreshToken: u.refreshToken });
    expect(next.refreshToken).not.toBe(u.refreshToken);
    expect(next.accessToken).not.toBe(u.accessToken);
    await expect(h.authed(next.accessToken).user.profile()).resolves.toMatchObject({ id: u.userId });
    const third = await h.caller().auth.refresh({ refreshToken: next.refreshToken });
    expect(third.refreshToken).not.toBe(next.refreshToken);
  });

  it('lets two simultaneous refreshes with one token both succeed (two tabs)', async () => {
    const u = await h.signIn();
    const [a, b] = await Promise.all([
      h.caller().auth.refresh({ refreshToken: u.refreshToken }),
      h.caller().auth.refresh({ refreshToken: u.refreshToken }),
    ]);
    await expect(h.authed(a.accessToken).user.profile()).resolves.toBeTruthy();
    await expect(h.authed(b.accessToken).user.profile()).resolves.toBeTruthy();
  });

  it('revokes the whole family when a rotated token is reused after the grace window', async () => {
    const strict = await createHarness({
      config: { tokens: { ...h.config.tokens, refreshGraceSeconds: 0 } },
    });
    try {
      const u = await strict.signIn();
      const next = await strict.caller().auth.refresh({ refreshToken: u.refreshToken });
      await new Promise((r) => setTimeout(r, 50));
      const f = await failure(strict.caller().auth.refresh({ refreshToken: u.refreshToken }));
      expect(f).toEqual({ code: 'UNAUTHORIZED', reason: 'REFRESH_REUSED' });
      // The thief's reuse cost the legitimate holder too: the family is gone.
      expect((await failure(strict.caller().auth.refresh({ refreshToken: next.refreshToken }))).reason).toBe(
        'SESSION_REVOKED',
      );
      expect((await failure(strict.authed(next.accessToken).user.profile())).reason).toBe('SESSION_REVOKED');
    } finally {
      await strict.cleanup();
    }
  });

  it('refuses an unknown refresh token', async () => {
    const f = await failure(h.caller().auth.refresh({ refreshToken: 'x'.repeat(43) }));
    expect(f).toEqual({ code: 'UNAUTHORIZED', reason: 'REFRESH_INVALID' });
  });

  it('stores refresh tokens hashed, never in clear', async () => {
    const u = await h.signIn();
    const { refreshTokens, eq } = await import('@chatplatform/db');
    const hash = createHash('sha256').update(u.refreshToken).digest('hex');
    const rows = await h.db.select().from(refreshTokens).where(eq(refreshTokens.tokenHash, hash));
    expect(rows).toHaveLength(1);
    const clear = await h.db.select().from(refreshTokens).where(eq(refreshTokens.tokenHash, u.refreshToken));
    expect(clear).toHaveLength(0);
  });
});

describe('logout', () => {
  it('kills this session at once, access and refresh token alike, and leaves other sessions alone', async () => {
    const wallet = newWallet();
    const a = await h.signIn(wallet);
    const b = await h.signIn(wallet);
    await a.caller.auth.logout();
    expect((await failure(a.caller.user.profile())).reason).toBe('SESSION_REVOKED');
    expect((await failure(h.caller().auth.refresh({ refreshToken: a.refreshToken }))).reason).toBe(
      'SESSION_REVOKED',
    );
    await expect(b.caller.user.profile()).resolves.toBeTruthy();
  });

  it('logoutAll kills every session of the user and no one else', async () => {
    const wallet = newWallet();
    const a = await h.signIn(wallet);
    const b = await h.signIn(wallet);
    const stranger = await h.signIn();
    const r = await a.caller.auth.logoutAll();
    expect(r.revokedSessions).toBe(2);
    expect((await failure(a.caller.user.profile())).reason).toBe('SESSION_REVOKED');
    expect((await failure(b.caller.user.profile())).reason).toBe('SESSION_REVOKED');
    await expect(stranger.caller.user.profile()).resolves.toBeTruthy();
  });
});

describe('rate limits', () => {
  it('answers TOO_MANY_REQUESTS with Retry-After once an IP exhausts the sign-in budget', async () => {
    const limited = await createHarness({
      config: { rateLimits: { authPerIp: 3, authedPerUser: 1000, windowSeconds: 60 } },
    });
    try {
      const headers: Record<string, string> = {};
      const c = limited.caller({
        ip: '203.0.113.9',
        setHeader: (k, v) => {
          headers[k] = v;
        },
      });
      const address = newWallet().address;
      for (let i = 0; i < 3; i++) await c.auth.message({ address, chainId: 1 });
      expect(await failure(c.auth.message({ address, chainId: 1 }))).toEqual({
        code: 'TOO_MANY_REQUESTS',
        reason: 'RATE_LIMITED',
      });
      expect(Number(headers['Retry-After'])).toBeGreaterThan(0);
      // Another IP is not affected.
      await expect(
        limited.caller({ ip: '203.0.113.10' }).auth.message({ address, chainId: 1 }),
      ).resolves.toBeTruthy();
    } finally {
      await limited.cleanup();
    }
  });
});

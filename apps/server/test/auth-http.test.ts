import { newWallet } from '@chatplatform/testing/wallet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './harness';

let s: TestServer;
beforeAll(async () => {
  s = await startServer();
});
afterAll(async () => s?.close());

interface TrpcErrorBody {
  error: { message: string; data: { reason: string; zodError: { fieldErrors: Record<string, unknown> } } };
}

const post = (url: string, body: string, headers: Record<string, string>) =>
  fetch(url, { method: 'POST', body, headers });

describe('CSRF guard on mutations', () => {
  it.each([
    [
      'multipart/form-data; boundary=x',
      '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--\r\n',
    ],
    ['application/x-www-form-urlencoded', 'a=1'],
    ['text/plain', '{}'],
  ])(
    'refuses a %s POST to a no-input mutation, even with a valid token, and changes nothing',
    async (type, body) => {
      const u = await s.signIn();
      const res = await post(`${s.url}/trpc/auth.logoutAll`, body, {
        'content-type': type,
        authorization: `Bearer ${u.accessToken}`,
      });
      expect(res.status).toBe(415);
      expect(await res.json()).toMatchObject({
        error: { data: { code: 'UNSUPPORTED_MEDIA_TYPE', httpStatus: 415 } },
      });
      const profile = await fetch(`${s.url}/trpc/user.profile`, {
        headers: { authorization: `Bearer ${u.accessToken}` },
      });
      expect(profile.status).toBe(200);
    },
  );

  it('refuses a POST with no content type', async () => {
    const res = await fetch(`${s.url}/trpc/auth.logout`, { method: 'POST' });
    expect(res.status).toBe(415);
  });
});

describe('bad input over HTTP', () => {
  it('answers 400, not 500, to malformed JSON', async () => {
    const res = await post(`${s.url}/trpc/auth.authenticate`, '{"message": ', {
      'content-type': 'application/json',
    });
    expect(res.status).toBe(400);
  });

  it('answers 413 to a body over the limit', async () => {
    const big = JSON.stringify({ message: 'a'.repeat(2 * 1024 * 1024), signature: '0x00' });
    const res = await post(`${s.url}/trpc/auth.authenticate`, big, { 'content-type': 'application/json' });
    expect(res.status).toBe(413);
  });

  it('names the field in a BAD_REQUEST', async () => {
    const input = encodeURIComponent(JSON.stringify({ address: newWallet().address, chainId: 'abc' }));
    const res = await fetch(`${s.url}/trpc/auth.message?input=${input}`);
    expect(res.status).toBe(400);
    const body = (await res.json()) as TrpcErrorBody;
    expect(body.error.message).toContain('chainId');
    expect(body.error.data.zodError.fieldErrors.chainId).toBeDefined();
    expect(JSON.stringify(body)).not.toContain('node_modules');
  });
});

describe('rate limits over HTTP', () => {
  it('answers 429 with a Retry-After header', async () => {
    const limited = await startServer({ env: { RATE_LIMIT_AUTH_PER_IP: '2' } });
    try {
      const input = encodeURIComponent(JSON.stringify({ address: newWallet().address, chainId: 1 }));
      const statuses: number[] = [];
      let retryAfter: string | null = null;
      for (let i = 0; i < 3; i++) {
        const res = await fetch(`${limited.url}/trpc/auth.message?input=${input}`);
        statuses.push(res.status);
        if (res.status === 429) {
          retryAfter = res.headers.get('retry-after');
          expect(((await res.json()) as TrpcErrorBody).error.data.reason).toBe('RATE_LIMITED');
        }
      }
      expect(statuses).toEqual([200, 200, 429]);
      expect(Number(retryAfter)).toBeGreaterThan(0);
    } finally {
      await limited.close();
    }
  });

  it('behind a proxy, counts the address the proxy saw, not one the client wrote into X-Forwarded-For', async () => {
    // TRUST_PROXY=true trusts a proxy on loopback (the test's own connection): the proxy appends the address it
    // saw, and the entries before it are the client's to write.
    const proxied = await startServer({ env: { RATE_LIMIT_AUTH_PER_IP: '2', TRUST_PROXY: 'true' } });
    try {
      const input = encodeURIComponent(JSON.stringify({ address: newWallet().address, chainId: 1 }));
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) {
        const res = await fetch(`${proxied.url}/trpc/auth.message?input=${input}`, {
          headers: { 'x-forwarded-for': `198.51.100.${i}, 203.0.113.7` },
        });
        statuses.push(res.status);
      }
      expect(statuses).toEqual([200, 200, 429]);
      // Another client behind the same proxy has its own budget.
      const other = await fetch(`${proxied.url}/trpc/auth.message?input=${input}`, {
        headers: { 'x-forwarded-for': '203.0.113.8' },
      });
      expect(other.status).toBe(200);
    } finally {
      await proxied.close();
    }
  });
});

describe('operational endpoints', () => {
  it('reports health, readiness, JWKS and sign-in metrics', async () => {
    await s.signIn();
    expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${s.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { status: string }).status).toBe('ready');
    const jwks = (await (await fetch(`${s.url}/.well-known/jwks.json`)).json()) as {
      keys: Record<string, unknown>[];
    };
    expect(jwks.keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });
    expect(jwks.keys[0]?.d).toBeUndefined();
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    expect(metrics).toMatch(/auth_sign_ins_total\{new_user="true"\} [1-9]/);
    expect(metrics).toContain(
      'http_requests_total{method="POST",route="trpc:auth.authenticate",status="200"}',
    );
  });

  it('keeps metric labels to the procedures that exist, whatever paths clients send', async () => {
    for (let i = 0; i < 5; i++) expect((await fetch(`${s.url}/trpc/no.such.procedure${i}`)).status).toBe(404);
    expect((await fetch(`${s.url}/trpc/junk.a,junk.b?batch=1`)).status).toBe(404);
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    expect(metrics).not.toContain('no.such.procedure');
    expect(metrics).not.toContain('junk');
    expect(metrics).toContain('http_requests_total{method="GET",route="trpc:unknown",status="404"}');
    expect(metrics).toMatch(/trpc_errors_total\{procedure="unknown",code="NOT_FOUND"\} [5-9]/);
  });

  it('answers /metrics only to its token when METRICS_TOKEN is set', async () => {
    const token = 'scrape-0123456789abcdef';
    const guarded = await startServer({ env: { METRICS_TOKEN: token } });
    try {
      const none = await fetch(`${guarded.url}/metrics`);
      expect(none.status).toBe(401);
      expect(((await none.json()) as { message: string }).message).toMatch(/METRICS_TOKEN/);
      const wrong = await fetch(`${guarded.url}/metrics`, { headers: { authorization: 'Bearer nope' } });
      expect(wrong.status).toBe(401);
      const right = await fetch(`${guarded.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
      expect(right.status).toBe(200);
      expect(await right.text()).toContain('http_requests_total');
    } finally {
      await guarded.close();
    }
  });

  it('sends security headers and a request id', async () => {
    const res = await fetch(`${s.url}/healthz`, { headers: { 'x-request-id': 'trace-123' } });
    expect(res.headers.get('x-request-id')).toBe('trace-123');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('allows CORS only for configured origins', async () => {
    const ok = await fetch(`${s.url}/trpc/auth.config`, { headers: { origin: 'http://localhost:5173' } });
    expect(ok.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    const evil = await fetch(`${s.url}/trpc/auth.config`, { headers: { origin: 'https://evil.example' } });
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('logging', () => {
  it('redacts authorization headers and tokens', async () => {
    const lines: string[] = [];
    const logged = await startServer({
      env: { LOG_LEVEL: 'info' },
      logStream: { write: (l: string) => void lines.push(l) },
    });
    try {
      const u = await logged.signIn();
      await fetch(`${logged.url}/trpc/user.profile`, {
        headers: { authorization: `Bearer ${u.accessToken}` },
      });
      const all = lines.join('\n');
      expect(all).toContain('/trpc/user.profile');
      expect(all).not.toContain(u.accessToken);
      expect(all).not.toContain(u.refreshToken);
    } finally {
      await logged.close();
    }
  });
});

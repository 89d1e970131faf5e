import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { newWallet } from '@chatplatform/testing/wallet';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../src/app';
import { loadConfig } from '../src/env';

async function signIn(url: string, wallet: ReturnType<typeof newWallet>) {
  const q = encodeURIComponent(JSON.stringify({ address: wallet.address, chainId: 1 }));
  const { result } = (await (await fetch(`${url}/trpc/auth.message?input=${q}`)).json()) as {
    result: { data: { message: string } };
  };
  const signature = await wallet.signMessage({ message: result.data.message });
  const res = await fetch(`${url}/trpc/auth.authenticate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ message: result.data.message, signature }),
  });
  return ((await res.json()) as { result: { data: { isNewUser: boolean; user: { id: string } } } }).result
    .data;
}

describe('embedded defaults', () => {
  it('starts with no DATABASE_URL, REDIS_URL or keys, signs a wallet in, and keeps its data across a restart', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'embedded-'));
    const config = loadConfig({ INIT_CWD: dir, LOG_LEVEL: 'silent' });
    expect(config.database).toEqual({ kind: 'pglite', dataDir: path.join(dir, '.data', 'pglite') });
    expect(config.redisUrl).toBeUndefined();
    expect(config.port).toBe(3000);

    const wallet = newWallet();
    const first = await buildApp(config);
    await first.listen({ host: '127.0.0.1', port: 0 });
    const url1 = `http://127.0.0.1:${(first.server.address() as { port: number }).port}`;
    const a = await signIn(url1, wallet);
    expect(a.isNewUser).toBe(true);
    const ready = (await (await fetch(`${url1}/readyz`)).json()) as { checks: Record<string, string> };
    expect(ready.checks).toEqual({ 'database:pglite': 'ok', 'store:memory': 'ok' });
    await first.close();
    expect(statSync(path.join(dir, 'keys', 'private.pem')).mode & 0o777).toBe(0o600);

    const second = await buildApp(config);
    await second.listen({ host: '127.0.0.1', port: 0 });
    const url2 = `http://127.0.0.1:${(second.server.address() as { port: number }).port}`;
    const b = await signIn(url2, wallet);
    expect(b).toMatchObject({ isNewUser: false, user: { id: a.user.id } });
    await second.close();
  });
});

describe('configuration', () => {
  it('stops the start with a message naming a bad variable', () => {
    expect(() => loadConfig({ APP_PORT: 'eighty' })).toThrow(/APP_PORT/);
    expect(() => loadConfig({ JWT_ALGORITHM: 'HS256' })).toThrow(/JWT_ALGORITHM/);
    expect(() => loadConfig({ SIWE_CHAIN_IDS: '1,abc' })).toThrow(/SIWE_CHAIN_IDS/);
    expect(() => loadConfig({ DATABASE_URL: 'not a url' })).toThrow(/DATABASE_URL/);
  });

  it('accepts the seed variable names and the usual URLs', () => {
    const c = loadConfig({
      APP_PORT: '8000',
      POSTGRES_HOST: 'db',
      POSTGRES_USER: 'chatplatform_user',
      POSTGRES_PASSWORD: 'p@ss',
      POSTGRES_DB: 'chatplatform',
      REDIS_HOST: 'cache',
      REDIS_PASSWORD: 'secret',
      JWT_EXPIRE_ACCESS: '600',
    });
    expect(c.port).toBe(8000);
    expect(c.database).toMatchObject({
      kind: 'postgres',
      url: 'postgres://chatplatform_user:p%40ss@db:5432/chatplatform',
    });
    expect(c.redisUrl).toBe('redis://:secret@cache:6379');
    expect(c.api.tokens.accessTtlSeconds).toBe(600);
    expect(loadConfig({ PORT: '4000', DATABASE_URL: 'postgres://x@h/d' })).toMatchObject({
      port: 4000,
      database: { kind: 'postgres', url: 'postgres://x@h/d' },
    });
  });
});

import type { AppRouter } from '@chatplatform/api';
import { type SpawnedServer, spawnServer } from '@chatplatform/testing/server-process';
import { newWallet } from '@chatplatform/testing/wallet';
import { createTRPCClient, type TRPCClient } from '@trpc/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AuthSession,
  chatPlatformLinks,
  createChatPlatform,
  memoryStorage,
  refreshVia,
  signInWithWallet,
  signOut,
} from '../src/index';

let server: SpawnedServer;
let trpcUrl: string;

beforeAll(async () => {
  server = await spawnServer();
  trpcUrl = `${server.url}/trpc`;
}, 90_000);

afterAll(async () => {
  await server?.stop();
});

/** A fetch that counts calls per procedure path, to see what the client really sends. */
function countingFetch() {
  const counts = new Map<string, number>();
  const headers: string[] = [];
  const f: typeof fetch = async (input, init) => {
    const url = new URL(String(input instanceof Request ? input.url : input));
    for (const p of url.pathname.replace('/trpc/', '').split(',')) counts.set(p, (counts.get(p) ?? 0) + 1);
    const h = new Headers(init?.headers);
    headers.push(h.get('authorization') ?? '');
    return fetch(input, init);
  };
  return { f, counts, headers };
}

/** Follows message.stream to its closing event; returns the concatenated deltas. */
function collectStream(client: TRPCClient<AppRouter>, messageId: string) {
  return new Promise<{ text: string; closing: string }>((resolve, reject) => {
    let text = '';
    const sub = client.message.stream.subscribe(
      { messageId },
      {
        onData: ({ data }) => {
          if (data.type === 'delta') text += data.text;
          else {
            sub.unsubscribe();
            resolve({ text, closing: data.type });
          }
        },
        onError: reject,
      },
    );
  });
}

function walletSigner(wallet = newWallet()) {
  return {
    address: wallet.address,
    chainId: 1,
    signMessage: (message: string) => wallet.signMessage({ message }),
  };
}

describe('@chatplatform/client against the real server', () => {
  it('signs in with a wallet and reads the profile with the bearer token', async () => {
    const { client, session } = createChatPlatform({ url: trpcUrl, storage: memoryStorage() });
    const signer = walletSigner();
    const result = await signInWithWallet(client, session, signer);
    expect(result.isNewUser).toBe(true);
    const profile = await client.user.profile.query();
    expect(profile.walletAddress).toBe(signer.address);
    session.dispose();
  });

  it('refreshes once and repeats the calls when the server rejects the access token', async () => {
    const counter = countingFetch();
    const { client, session } = createChatPlatform({
      url: trpcUrl,
      storage: memoryStorage(),
      fetch: counter.f,
    });
    await signInWithWallet(client, session, walletSigner());
    const good = session.current;
    if (!good) throw new Error('not signed in');
    // A token the server will refuse (signature broken), not yet near its expiry on this side.
    session.setTokens({
      accessToken: `${good.accessToken}x`,
      refreshToken: good.refreshToken,
      expiresIn: 900,
    });
    const [profile, limits] = await Promise.all([client.user.profile.query(), client.user.limits.query()]);
    expect(profile.id).toBeTruthy();
    expect(limits.aiMessages.limit).toBeGreaterThan(0);
    expect(counter.counts.get('auth.refresh')).toBe(1);
    expect(session.current?.accessToken).not.toBe(`${good.accessToken}x`);
    session.dispose();
  });

  it('keeps two tabs signed in when both refresh the same token together', async () => {
    const shared = memoryStorage();
    const tab = () =>
      new AuthSession({
        storage: shared,
        refresh: refreshVia(trpcUrl),
        autoRefresh: false,
        lock: (fn) => fn(),
      });
    const a = tab();
    const { client } = createChatPlatform({ url: trpcUrl, storage: memoryStorage() });
    await signInWithWallet(client, a, walletSigner());
    const b = tab();
    expect(b.current?.refreshToken).toBe(a.current?.refreshToken);
    const used = a.current?.refreshToken;
    // Both tabs present the same refresh token at once (no cross-tab lock): the server's grace window
    // accepts the second presentation, so neither tab is signed out.
    const [ta, tb] = await Promise.all([
      a.refreshNow(a.current?.accessToken),
      b.refreshNow(b.current?.accessToken),
    ]);
    expect(ta).toBeTruthy();
    expect(tb).toBeTruthy();
    for (const [s, token] of [
      [a, ta],
      [b, tb],
    ] as const) {
      const c = createTRPCClient<AppRouter>({ links: chatPlatformLinks({ url: trpcUrl, session: s }) });
      expect(s.current?.refreshToken).not.toBe(used);
      expect((await c.user.profile.query()).id).toBeTruthy();
      expect(token).toBe(s.current?.accessToken);
    }
    a.dispose();
    b.dispose();
  });

  it('signs out on the server: the old refresh token no longer works', async () => {
    const { client, session } = createChatPlatform({ url: trpcUrl, storage: memoryStorage() });
    await signInWithWallet(client, session, walletSigner());
    const refreshToken = session.current?.refreshToken ?? '';
    await signOut(client, session);
    expect(session.isSignedIn).toBe(false);
    await expect(refreshVia(trpcUrl)(refreshToken)).rejects.toMatchObject({
      data: { code: 'UNAUTHORIZED', reason: 'SESSION_REVOKED' },
    });
    await expect(client.user.profile.query()).rejects.toMatchObject({ data: { code: 'UNAUTHORIZED' } });
  });

  it('streams a reply over SSE with the Authorization header, and the deltas add up to the stored text', async () => {
    const sse: string[] = [];
    const f: typeof fetch = (input, init) => {
      const url = String(input instanceof Request ? input.url : input);
      if (url.includes('message.stream')) sse.push(new Headers(init?.headers).get('authorization') ?? '');
      return fetch(input, init);
    };
    const { client, session } = createChatPlatform({ url: trpcUrl, storage: memoryStorage(), fetch: f });
    await signInWithWallet(client, session, walletSigner());
    const chat = await client.chat.create.mutate({});
    const { assistantMessage } = await client.message.send.mutate({ chatId: chat.id, content: 'Hi there' });
    const { text, closing } = await collectStream(client, assistantMessage.id);
    expect(closing).toBe('done');
    const stored = await client.message.byId.query({ id: assistantMessage.id });
    expect(stored.status).toBe('done');
    expect(text).toBe(stored.content);
    expect(sse.length).toBeGreaterThan(0);
    for (const h of sse) expect(h).toBe(`Bearer ${session.current?.accessToken}`);
    session.dispose();
  });

  it('re-opens a stream the server refused for a bad access token, after one refresh', async () => {
    const counter = countingFetch();
    const { client, session } = createChatPlatform({
      url: trpcUrl,
      storage: memoryStorage(),
      fetch: counter.f,
    });
    await signInWithWallet(client, session, walletSigner());
    const chat = await client.chat.create.mutate({});
    const { assistantMessage } = await client.message.send.mutate({ chatId: chat.id, content: 'Again' });
    const good = session.current;
    if (!good) throw new Error('not signed in');
    session.setTokens({
      accessToken: `${good.accessToken}x`,
      refreshToken: good.refreshToken,
      expiresIn: 900,
    });
    const { text, closing } = await collectStream(client, assistantMessage.id);
    expect(closing).toBe('done');
    expect(text).toBe((await client.message.byId.query({ id: assistantMessage.id })).content);
    expect(counter.counts.get('auth.refresh')).toBe(1);
    session.dispose();
  });

  it('never puts a token in a URL', async () => {
    const urls: string[] = [];
    const f: typeof fetch = (input, init) => {
      urls.push(String(input instanceof Request ? input.url : input));
      return fetch(input, init);
    };
    const { client, session } = createChatPlatform({ url: trpcUrl, storage: memoryStorage(), fetch: f });
    await signInWithWallet(client, session, walletSigner());
    await client.user.profile.query();
    const token = session.current?.accessToken ?? 'missing';
    expect(urls.length).toBeGreaterThan(1);
    for (const u of urls) expect(u).not.toContain(token.slice(0, 40));
    session.dispose();
  });
});

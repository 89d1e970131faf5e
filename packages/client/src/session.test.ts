import { afterEach, describe, expect, it, vi } from 'vitest';
import { AuthSession, type TokenPair } from './session';
import { localStorageTokens, memoryStorage, type StoredSession } from './storage';

const T0 = 1_700_000_000_000;

function pair(n: number, expiresIn = 900): TokenPair {
  return { accessToken: `access-${n}`, refreshToken: `refresh-${n}`, expiresIn };
}

function stored(n: number, issuedAt: number, expiresIn = 900): StoredSession {
  return {
    accessToken: `access-${n}`,
    refreshToken: `refresh-${n}`,
    accessIssuedAt: issuedAt,
    accessExpiresAt: issuedAt + expiresIn * 1000,
  };
}

/** A refresh endpoint stand-in that rotates like the server: each pair is numbered in order. */
function rotatingRefresh() {
  let n = 1;
  const calls: string[] = [];
  const fn = vi.fn(async (refreshToken: string) => {
    calls.push(refreshToken);
    await new Promise((r) => setTimeout(r, 5));
    n += 1;
    return pair(n);
  });
  return { fn, calls };
}

const unauthorized = () => Object.assign(new Error('revoked'), { data: { code: 'UNAUTHORIZED' } });
const noLock = <T>(fn: () => Promise<T>) => fn();

afterEach(() => {
  vi.useRealTimers();
});

describe('AuthSession', () => {
  it('hands out the stored access token without refreshing while it is fresh', async () => {
    let now = T0;
    const { fn } = rotatingRefresh();
    const s = new AuthSession({
      storage: memoryStorage(stored(1, T0)),
      refresh: fn,
      now: () => now,
      autoRefresh: false,
      lock: noLock,
    });
    now = T0 + 600_000; // 10 of 15 minutes used
    expect(await s.getAccessToken()).toBe('access-1');
    expect(fn).not.toHaveBeenCalled();
  });

  it('refreshes shortly before the access token expires', async () => {
    let now = T0;
    const { fn, calls } = rotatingRefresh();
    const s = new AuthSession({
      storage: memoryStorage(stored(1, T0)),
      refresh: fn,
      now: () => now,
      autoRefresh: false,
      lock: noLock,
    });
    now = T0 + 900_000 - 30_000; // 30 s left, inside the 60 s leeway
    expect(await s.getAccessToken()).toBe('access-2');
    expect(calls).toEqual(['refresh-1']);
    expect(s.current?.refreshToken).toBe('refresh-2');
  });

  it('shares one refresh between concurrent callers', async () => {
    let now = T0;
    const { fn } = rotatingRefresh();
    const s = new AuthSession({
      storage: memoryStorage(stored(1, T0)),
      refresh: fn,
      now: () => now,
      autoRefresh: false,
      lock: noLock,
    });
    now = T0 + 890_000;
    const tokens = await Promise.all(Array.from({ length: 10 }, () => s.getAccessToken()));
    expect(new Set(tokens)).toEqual(new Set(['access-2']));
    expect(fn).toHaveBeenCalledTimes(1);
    // A rejected token is refreshed once too, however many requests saw the rejection.
    const again = await Promise.all(Array.from({ length: 5 }, () => s.refreshNow('access-2')));
    expect(new Set(again)).toEqual(new Set(['access-3']));
    expect(fn).toHaveBeenCalledTimes(2);
  });

  it('signs out when the server rejects the refresh token', async () => {
    const events: unknown[] = [];
    const storage = memoryStorage(stored(1, T0));
    const s = new AuthSession({
      storage,
      refresh: async () => {
        throw unauthorized();
      },
      now: () => T0,
      autoRefresh: false,
      lock: noLock,
    });
    s.subscribe((e) => events.push(e));
    expect(await s.refreshNow('access-1')).toBeNull();
    expect(s.isSignedIn).toBe(false);
    expect(storage.load()).toBeNull();
    expect(events).toEqual([{ session: null, reason: 'refresh-rejected' }]);
  });

  it('keeps the session when the refresh fails for a network reason', async () => {
    const storage = memoryStorage(stored(1, T0));
    const s = new AuthSession({
      storage,
      refresh: async () => {
        throw new TypeError('fetch failed');
      },
      now: () => T0 + 899_000,
      autoRefresh: false,
      lock: noLock,
    });
    await expect(s.getAccessToken()).rejects.toThrow('fetch failed');
    expect(s.current?.refreshToken).toBe('refresh-1');
    expect(storage.load()?.refreshToken).toBe('refresh-1');
  });

  it('adopts the token another tab already refreshed instead of rotating again', async () => {
    const shared = memoryStorage(stored(1, T0));
    const { fn } = rotatingRefresh();
    const now = () => T0 + 100_000;
    const tabA = new AuthSession({ storage: shared, refresh: fn, now, autoRefresh: false, lock: noLock });
    const tabB = new AuthSession({ storage: shared, refresh: fn, now, autoRefresh: false, lock: noLock });
    expect(await tabA.refreshNow('access-1')).toBe('access-2');
    // Tab B still holds access-1 and was just told it is rejected: the shared storage already has access-2.
    expect(tabB.current?.accessToken).toBe('access-1');
    expect(await tabB.refreshNow('access-1')).toBe('access-2');
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('refreshes in the background before expiry without any request', async () => {
    vi.useFakeTimers({ now: T0 });
    const { fn } = rotatingRefresh();
    const s = new AuthSession({
      storage: memoryStorage(),
      refresh: fn,
      lock: noLock,
    });
    s.setTokens(pair(1, 900));
    await vi.advanceTimersByTimeAsync(800_000);
    expect(fn).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(50_000); // 850 s: inside the last minute
    expect(fn).toHaveBeenCalledTimes(1);
    expect(s.current?.accessToken).toBe('access-2');
    s.dispose();
  });

  it('never refreshes earlier than two thirds into a short-lived token', async () => {
    vi.useFakeTimers({ now: T0 });
    const { fn } = rotatingRefresh();
    const s = new AuthSession({ storage: memoryStorage(), refresh: fn, lock: noLock });
    s.setTokens(pair(1, 30)); // 30 s token: refresh due at 20 s, not at "60 s before expiry"
    await vi.advanceTimersByTimeAsync(17_000);
    expect(fn).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(6_000); // due at 20 s, plus up to 2 s of jitter between tabs
    expect(fn).toHaveBeenCalledTimes(1);
    s.dispose();
  });
});

/** localStorage and the window's storage events, as two tabs of one origin see them. */
function twoTabs() {
  const data = new Map<string, string>();
  const storage = {
    getItem: (k: string) => data.get(k) ?? null,
    setItem: (k: string, v: string) => void data.set(k, v),
    removeItem: (k: string) => void data.delete(k),
  } as Storage;
  const listeners = [new Set<(e: StorageEvent) => void>(), new Set<(e: StorageEvent) => void>()];
  const tab = (i: 0 | 1) => {
    const mine = listeners[i] as Set<(e: StorageEvent) => void>;
    const other = listeners[i === 0 ? 1 : 0] as Set<(e: StorageEvent) => void>;
    const events = {
      addEventListener: (_: string, l: (e: StorageEvent) => void) => void mine.add(l),
      removeEventListener: (_: string, l: (e: StorageEvent) => void) => void mine.delete(l),
    } as unknown as Window;
    const base = localStorageTokens({ storage, events });
    return {
      ...base,
      // A write in one tab fires `storage` in the other, never in itself (as browsers do).
      save(s: StoredSession | null) {
        base.save(s);
        for (const l of other) l({ key: 'chatplatform.session' } as StorageEvent);
      },
    };
  };
  return [tab(0), tab(1)] as const;
}

describe('localStorageTokens', () => {
  it('keeps a second tab signed in and signs it out with the first', async () => {
    const [storageA, storageB] = twoTabs();
    const { fn } = rotatingRefresh();
    const a = new AuthSession({ storage: storageA, refresh: fn, autoRefresh: false, lock: noLock });
    const b = new AuthSession({ storage: storageB, refresh: fn, autoRefresh: false, lock: noLock });
    const seenByB: unknown[] = [];
    b.subscribe((e) => seenByB.push(e.reason ?? e.session?.accessToken));

    a.setTokens(pair(1));
    expect(b.current?.accessToken).toBe('access-1');
    await a.refreshNow('access-1');
    expect(b.current?.accessToken).toBe('access-2');
    a.clear();
    expect(b.isSignedIn).toBe(false);
    expect(seenByB).toEqual(['access-1', 'access-2', 'other-tab']);
  });

  it('treats a damaged entry as signed out', () => {
    const storage = { getItem: () => '{not json', setItem() {}, removeItem() {} } as unknown as Storage;
    expect(localStorageTokens({ storage }).load()).toBeNull();
  });
});

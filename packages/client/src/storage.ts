/** What the client keeps between page loads: the token pair and when the access token expires. */
export interface StoredSession {
  accessToken: string;
  refreshToken: string;
  /** Epoch milliseconds (this device's clock) at which the access token was received. */
  accessIssuedAt: number;
  /** Epoch milliseconds (this device's clock) at which the access token stops working. */
  accessExpiresAt: number;
}

/** Where the session lives. `subscribe` reports changes made elsewhere (another tab), never our own writes. */
export interface TokenStorage {
  load(): StoredSession | null;
  save(session: StoredSession | null): void;
  subscribe?(listener: (session: StoredSession | null) => void): () => void;
}

function parse(raw: string | null): StoredSession | null {
  if (!raw) return null;
  try {
    const v = JSON.parse(raw) as Partial<StoredSession>;
    if (
      typeof v.accessToken === 'string' &&
      typeof v.refreshToken === 'string' &&
      typeof v.accessIssuedAt === 'number' &&
      typeof v.accessExpiresAt === 'number'
    ) {
      return {
        accessToken: v.accessToken,
        refreshToken: v.refreshToken,
        accessIssuedAt: v.accessIssuedAt,
        accessExpiresAt: v.accessExpiresAt,
      };
    }
  } catch {
    // A damaged entry is the same as none.
  }
  return null;
}

/** Keeps the session in memory only (Node scripts, tests, or a browser that should forget on close). */
export function memoryStorage(initial: StoredSession | null = null): TokenStorage {
  let value = initial;
  return {
    load: () => value,
    save: (s) => {
      value = s;
    },
  };
}

/**
 * Keeps the session in localStorage, shared by every tab of the origin. The `storage` event tells the other
 * tabs when one signs in, refreshes or signs out, so they all hold the same tokens.
 */
export function localStorageTokens(
  opts: {
    key?: string;
    storage?: Storage;
    events?: Pick<Window, 'addEventListener' | 'removeEventListener'>;
  } = {},
): TokenStorage {
  const key = opts.key ?? 'chatplatform.session';
  const storage = opts.storage ?? globalThis.localStorage;
  const events = opts.events ?? (typeof window === 'undefined' ? undefined : window);
  return {
    load: () => parse(storage.getItem(key)),
    save: (s) => {
      if (s) storage.setItem(key, JSON.stringify(s));
      else storage.removeItem(key);
    },
    subscribe(listener) {
      if (!events) return () => {};
      const onStorage = (e: StorageEvent) => {
        // e.key is null when another tab called localStorage.clear().
        if (e.key === key || e.key === null) listener(parse(storage.getItem(key)));
      };
      events.addEventListener('storage', onStorage);
      return () => events.removeEventListener('storage', onStorage);
    },
  };
}

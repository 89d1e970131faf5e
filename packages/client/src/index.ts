import type { AppRouter } from '@chatplatform/api';
import { createTRPCClient, type TRPCClient } from '@trpc/client';
import { chatPlatformLinks, refreshVia } from './links';
import { AuthSession, type AuthSessionOptions } from './session';
import { localStorageTokens, memoryStorage, type TokenStorage } from './storage';

export type { AppRouter, RouterInputs, RouterOutputs } from '@chatplatform/api';
export { authedFetch, chatPlatformLinks, refreshOnUnauthorizedLink, refreshVia } from './links';
export {
  AuthSession,
  type AuthSessionOptions,
  isAuthRejection,
  type SessionEvent,
  type SignedOutReason,
  type TokenPair,
} from './session';
export { localStorageTokens, memoryStorage, type StoredSession, type TokenStorage } from './storage';
export { signInWithWallet, signOut, type WalletSigner } from './wallet';

export interface ChatPlatformClientOptions {
  /** The tRPC endpoint, absolute: `http://localhost:3000/trpc`, or `new URL('/trpc', location.origin).href`. */
  url: string;
  /** Defaults to localStorage (shared by tabs) in a browser, memory elsewhere. */
  storage?: TokenStorage;
  fetch?: typeof globalThis.fetch;
  session?: Omit<AuthSessionOptions, 'storage' | 'refresh'>;
}

export interface ChatPlatform {
  client: TRPCClient<AppRouter>;
  session: AuthSession;
  links: ReturnType<typeof chatPlatformLinks>;
}

/** A typed client with the auth session wired in. See README.md for an example. */
export function createChatPlatform(opts: ChatPlatformClientOptions): ChatPlatform {
  const storage =
    opts.storage ?? (typeof globalThis.localStorage === 'undefined' ? memoryStorage() : localStorageTokens());
  const session = new AuthSession({ ...opts.session, storage, refresh: refreshVia(opts.url, opts.fetch) });
  const links = chatPlatformLinks({ url: opts.url, session, ...(opts.fetch ? { fetch: opts.fetch } : {}) });
  return { client: createTRPCClient<AppRouter>({ links }), session, links };
}

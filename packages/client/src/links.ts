import type { AppRouter } from '@chatplatform/api';
import {
  createTRPCClient,
  httpBatchLink,
  httpLink,
  httpSubscriptionLink,
  splitLink,
  type TRPCLink,
} from '@trpc/client';
import { observable, type Unsubscribable } from '@trpc/server/observable';
import { EventSource, type FetchLike } from 'eventsource';
import type { AuthSession, TokenPair } from './session';

type Fetch = typeof globalThis.fetch;

function isUnauthorized(err: unknown): boolean {
  return (err as { data?: { code?: unknown } } | null)?.data?.code === 'UNAUTHORIZED';
}

/** Procedures that must never trigger a refresh-and-retry (they are how a session starts or renews). */
const NO_RETRY = new Set(['auth.refresh', 'auth.authenticate', 'auth.message', 'auth.config']);

/**
 * On UNAUTHORIZED, refreshes once (shared by every request that failed at the same time) and repeats the
 * operation with the new token. Works for subscriptions too: the stream is opened again.
 */
export function refreshOnUnauthorizedLink(session: AuthSession): TRPCLink<AppRouter> {
  return () =>
    ({ op, next }) =>
      observable((observer) => {
        let sub: Unsubscribable | undefined;
        let retried = false;
        let closed = false;
        const attempt = () => {
          sub = next(op).subscribe({
            next: (v) => observer.next(v),
            complete: () => observer.complete(),
            error: (err) => {
              const rejected = session.current?.accessToken;
              if (retried || closed || !rejected || NO_RETRY.has(op.path) || !isUnauthorized(err)) {
                observer.error(err);
                return;
              }
              retried = true;
              session.refreshNow(rejected).then(
                (token) => {
                  if (closed) return;
                  if (token) attempt();
                  else observer.error(err);
                },
                () => observer.error(err),
              );
            },
          });
        };
        attempt();
        return () => {
          closed = true;
          sub?.unsubscribe();
        };
      });
}

export interface LinkOptions {
  /** The tRPC endpoint, absolute (e.g. `http://localhost:3000/trpc` or `new URL('/trpc', location.origin)`). */
  url: string;
  session: AuthSession;
  fetch?: Fetch;
}

/** A fetch for the SSE stream that sends the current access token in the Authorization header. */
export function authedFetch(
  session: AuthSession,
  fetchImpl: Fetch = (u, i) => globalThis.fetch(u, i),
): FetchLike {
  return async (url, init) => {
    const token = await session.getAccessToken();
    return fetchImpl(url, {
      ...init,
      headers: { ...init.headers, ...(token ? { authorization: `Bearer ${token}` } : {}) },
    });
  };
}

/**
 * The links every client of the platform needs:
 * - queries and mutations through `httpBatchLink` (plain JSON responses; the server is faster with them
 *   than with streamed batches),
 * - subscriptions over SSE through `httpSubscriptionLink`, with an EventSource that sends the Authorization
 *   header (tokens never go in URLs),
 * - the access token on every request, refreshed shortly before it expires and once on UNAUTHORIZED.
 */
export function chatPlatformLinks(opts: LinkOptions): TRPCLink<AppRouter>[] {
  const { url, session } = opts;
  const fetchImpl: Fetch = opts.fetch ?? ((u, i) => globalThis.fetch(u, i));
  const sseFetch = authedFetch(session, fetchImpl);
  return [
    refreshOnUnauthorizedLink(session),
    splitLink({
      condition: (op) => op.type === 'subscription',
      true: httpSubscriptionLink({
        url,
        EventSource,
        eventSourceOptions: () => ({ fetch: sseFetch }),
      }),
      false: httpBatchLink({
        url,
        fetch: fetchImpl,
        async headers() {
          const token = await session.getAccessToken();
          return token ? { authorization: `Bearer ${token}` } : {};
        },
      }),
    }),
  ];
}

/** `auth.refresh` through a bare client (no auth header, no retry), as AuthSession's `refresh` option. */
export function refreshVia(url: string, fetchImpl?: Fetch): (refreshToken: string) => Promise<TokenPair> {
  const bare = createTRPCClient<AppRouter>({
    links: [httpLink({ url, ...(fetchImpl ? { fetch: fetchImpl } : {}) })],
  });
  return (refreshToken) => bare.auth.refresh.mutate({ refreshToken });
}

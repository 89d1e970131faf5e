import type { AppRouter } from '@chatplatform/api';
import { type AuthSession, createChatPlatform } from '@chatplatform/client';
import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { createTRPCClient, type TRPCClient } from '@trpc/client';
import { createTRPCContext } from '@trpc/tanstack-react-query';
import { createContext, type ReactNode, useContext, useState, useSyncExternalStore } from 'react';

export const { TRPCProvider, useTRPC, useTRPCClient } = createTRPCContext<AppRouter>();

export interface Platform {
  session: AuthSession;
  client: TRPCClient<AppRouter>;
  queryClient: QueryClient;
}

const PlatformContext = createContext<Platform | null>(null);

function isUnauthorized(err: unknown): boolean {
  return (err as { data?: { code?: string } } | null)?.data?.code === 'UNAUTHORIZED';
}

/** One platform per page: the session (shared with other tabs), the typed client, the query cache. */
export function createPlatform(origin = window.location.origin): Platform {
  const { session, links } = createChatPlatform({ url: new URL('/trpc', origin).href });
  const client = createTRPCClient<AppRouter>({ links });
  const queryClient = new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 15_000,
        refetchOnWindowFocus: false,
        // A refused token was already refreshed once by the client; asking again will not help.
        retry: (count, err) => !isUnauthorized(err) && count < 2,
      },
    },
    queryCache: new QueryCache({
      onError: (err) => {
        if (isUnauthorized(err) && session.isSignedIn) session.clear('refresh-rejected');
      },
    }),
    mutationCache: new MutationCache({
      onError: (err) => {
        if (isUnauthorized(err) && session.isSignedIn) session.clear('refresh-rejected');
      },
    }),
  });
  // Signed out here or in another tab: drop everything cached for the old user.
  session.subscribe(({ session: s }) => {
    if (!s) queryClient.clear();
  });
  return { session, client, queryClient };
}

export function PlatformProvider({ platform, children }: { platform?: Platform; children: ReactNode }) {
  const [p] = useState(() => platform ?? createPlatform());
  return (
    <PlatformContext.Provider value={p}>
      <QueryClientProvider client={p.queryClient}>
        <TRPCProvider trpcClient={p.client} queryClient={p.queryClient}>
          {children}
        </TRPCProvider>
      </QueryClientProvider>
    </PlatformContext.Provider>
  );
}

export function usePlatform(): Platform {
  const p = useContext(PlatformContext);
  if (!p) throw new Error('usePlatform outside PlatformProvider');
  return p;
}

/** The session as React state: re-renders on sign-in, refresh and sign-out, in this tab or another. */
export function useSession() {
  const { session } = usePlatform();
  const current = useSyncExternalStore(
    (cb) => session.subscribe(() => cb()),
    () => session.current,
  );
  return { session, signedIn: current !== null };
}

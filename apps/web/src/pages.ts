import { infiniteQueryOptions } from '@tanstack/react-query';

/**
 * Keyset-paged lists as React Query infinite queries. tRPC's own `infiniteQueryOptions` adds a `direction`
 * field ('forward' | 'backward') to the input, which our strict inputs refuse (and which message.listByChat
 * uses for its own older/newer direction), so the page fetch is written out here with the typed client.
 * The key starts with the procedure's pathKey, so invalidating the procedure refreshes these lists too.
 */
export function pagedQuery<TPage extends { nextCursor: string | null }>(
  key: readonly unknown[],
  fetchPage: (cursor: string | undefined) => Promise<TPage>,
  next: (last: TPage) => string | null = (last) => last.nextCursor,
) {
  return infiniteQueryOptions({
    queryKey: [...key, 'pages'],
    queryFn: ({ pageParam }) => fetchPage(pageParam ?? undefined),
    initialPageParam: null as string | null,
    getNextPageParam: next,
  });
}

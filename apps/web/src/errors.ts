/** What the server's errorFormatter adds to every error (packages/api/src/trpc.ts). */
interface ErrorData {
  code?: string;
  reason?: string;
  httpStatus?: number;
  details?: Record<string, unknown>;
  retryAfter?: number;
  zodError?: { fieldErrors?: Record<string, string[] | undefined>; formErrors?: string[] };
}

function dataOf(err: unknown): ErrorData | undefined {
  const d = (err as { data?: unknown } | null)?.data;
  return d && typeof d === 'object' ? (d as ErrorData) : undefined;
}

/** A refused or expired token (UNAUTHORIZED). */
export function isUnauthorized(err: unknown): boolean {
  return dataOf(err)?.code === 'UNAUTHORIZED';
}

/** The server answered that the thing asked for does not exist (or is not the caller's). */
export function isNotFound(err: unknown): boolean {
  return dataOf(err)?.code === 'NOT_FOUND';
}

/**
 * Worth asking again: no answer from the server (network down, server stopped, request aborted) or a 5xx.
 * A 4xx answer (NOT_FOUND, a refused input, UNAUTHORIZED after the client's own refresh) will not change.
 */
export function isTransient(err: unknown): boolean {
  const d = dataOf(err);
  if (!d?.code) return true;
  return (d.httpStatus ?? 500) >= 500;
}

export function errorReason(err: unknown): string | undefined {
  return dataOf(err)?.reason;
}

/** The user ran out of AI messages (or API calls): TOO_MANY_REQUESTS with reason QUOTA_EXCEEDED. */
export function isQuotaExceeded(err: unknown): boolean {
  return errorReason(err) === 'QUOTA_EXCEEDED';
}

function walkCauses(err: unknown, test: (e: Record<string, unknown>) => boolean): boolean {
  let e: unknown = err;
  for (let i = 0; i < 8 && e && typeof e === 'object'; i++) {
    if (test(e as Record<string, unknown>)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** The person said no in their wallet (EIP-1193 code 4001, or viem's UserRejectedRequestError). */
export function isUserRejection(err: unknown): boolean {
  return walkCauses(err, (e) => e.code === 4001 || e.name === 'UserRejectedRequestError');
}

/** A sentence a person understands, for any error the app may meet. */
export function describeError(err: unknown): string {
  if (isUserRejection(err)) return 'You declined the request in your wallet. Nothing was sent.';
  const d = dataOf(err);
  if (d?.zodError?.fieldErrors) {
    const [field, msgs] = Object.entries(d.zodError.fieldErrors).find(([, m]) => m?.length) ?? [];
    if (field && msgs?.[0]) return `${field}: ${msgs[0]}`;
  }
  const message = (err as { message?: unknown } | null)?.message;
  if (d?.code === 'TOO_MANY_REQUESTS' && d.reason === 'RATE_LIMITED') {
    return `Too many requests; try again in ${d.retryAfter ?? 'a few'} s.`;
  }
  if (typeof message === 'string' && message && d) return message;
  if (err instanceof TypeError || (typeof message === 'string' && /fetch|network/i.test(message))) {
    return 'Cannot reach the server. Check your connection and try again.';
  }
  if (typeof message === 'string' && message) {
    // Wallet libraries write long technical messages: keep the first sentence.
    return message.split('\n')[0]?.slice(0, 200) ?? message;
  }
  return 'Something went wrong.';
}

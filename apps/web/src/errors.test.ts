import { describe, expect, it } from 'vitest';
import { describeError, isNotFound, isQuotaExceeded, isTransient, isUserRejection } from './errors';

const trpcError = (message: string, data: Record<string, unknown>) =>
  Object.assign(new Error(message), { data });

describe('describeError', () => {
  it('names a declined wallet request, however deep the library wrapped it', () => {
    const wrapped = Object.assign(new Error('User rejected the request.\n\nRequest Arguments: ...'), {
      name: 'SignMessageError',
      cause: { name: 'RpcError', cause: { code: 4001, message: 'denied' } },
    });
    expect(isUserRejection(wrapped)).toBe(true);
    expect(describeError(wrapped)).toBe('You declined the request in your wallet. Nothing was sent.');
  });

  it('recognises an exhausted quota by its machine-readable reason', () => {
    const err = trpcError('You have used all 4 AI messages.', {
      code: 'TOO_MANY_REQUESTS',
      reason: 'QUOTA_EXCEEDED',
    });
    expect(isQuotaExceeded(err)).toBe(true);
    expect(
      isQuotaExceeded(trpcError('slow down', { code: 'TOO_MANY_REQUESTS', reason: 'RATE_LIMITED' })),
    ).toBe(false);
  });

  it('names the field of a bad input', () => {
    const err = trpcError('✖ Invalid', {
      code: 'BAD_REQUEST',
      zodError: { formErrors: [], fieldErrors: { title: ['must not be empty'] } },
    });
    expect(describeError(err)).toBe('title: must not be empty');
  });

  it('says when to retry after a rate limit', () => {
    expect(
      describeError(trpcError('x', { code: 'TOO_MANY_REQUESTS', reason: 'RATE_LIMITED', retryAfter: 7 })),
    ).toBe('Too many requests; try again in 7 s.');
  });

  it("passes the server's own sentence through", () => {
    expect(
      describeError(trpcError('This session has expired; sign in again.', { code: 'UNAUTHORIZED' })),
    ).toBe('This session has expired; sign in again.');
  });

  it('says the server cannot be reached when fetch fails', () => {
    expect(describeError(new TypeError('Failed to fetch'))).toBe(
      'Cannot reach the server. Check your connection and try again.',
    );
  });

  it('keeps only the first line of a long wallet library message', () => {
    expect(describeError(new Error('Chain not configured.\n\nVersion: viem@2'))).toBe(
      'Chain not configured.',
    );
  });
});

describe('which errors are worth asking again', () => {
  it('no answer or a 5xx is; a 4xx such as NOT_FOUND is not', () => {
    expect(isTransient(new TypeError('Failed to fetch'))).toBe(true);
    expect(isTransient(trpcError('boom', { code: 'INTERNAL_SERVER_ERROR', httpStatus: 500 }))).toBe(true);
    const missing = trpcError('Chat not found', { code: 'NOT_FOUND', httpStatus: 404 });
    expect(isTransient(missing)).toBe(false);
    expect(isNotFound(missing)).toBe(true);
    expect(isNotFound(new TypeError('Failed to fetch'))).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { enc, errorCounts, livePair, ROUTES } from './trpc-pair';

/**
 * The batch guard's refusals (src/plugins/trpc-batch-guard.ts) count in trpc_errors_total as tRPC's own errors
 * do: under the procedure's name when the URL names exactly one real procedure, else under "unknown", so that
 * the labels stay bounded whatever a client sends. They were not counted at all. On both servers of the pair.
 */

const pair = livePair();

const each = describe.each(ROUTES);

each('%s: batch guard refusals in trpc_errors_total', (name) => {
  it.each([
    ['a mutation input posted as is', 'POST', '/trpc/chat.create?batch=1', '{"title":"x"}', 'chat.create'],
    ['malformed JSON', 'POST', '/trpc/chat.create?batch=1', '{"0":', 'chat.create'],
    [
      'a query input not keyed by index',
      'GET',
      `/trpc/user.profile?batch=1&input=${enc({ a: 1 })}`,
      null,
      'user.profile',
    ],
    [
      'a batch of two',
      'GET',
      `/trpc/user.profile,user.limits?batch=1&input=${enc({ 5: {} })}`,
      null,
      'unknown',
    ],
    ['a path that is no procedure', 'GET', `/trpc/no.such?batch=1&input=${enc([])}`, null, 'unknown'],
    [
      'a made-up path, never a label',
      'GET',
      `/trpc/x${Date.now()}?batch=1&input=${enc('s')}`,
      null,
      'unknown',
    ],
  ])('%s: counted under %s', async (_case, method, path, body, procedure) => {
    const s = pair.server(name);
    const series = `{procedure="${procedure}",code="BAD_REQUEST"}`;
    const before = await errorCounts(s);
    const res = await fetch(`${s.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${pair.token}`,
        ...(body !== null ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== null ? { body } : {}),
    });
    expect(res.status).toBe(400);
    const after = await errorCounts(s);
    expect((after[series] ?? 0) - (before[series] ?? 0)).toBe(1);
    // Nothing else counted, and no label made of what the client sent.
    const changed = Object.keys(after).filter((k) => after[k] !== before[k]);
    expect(changed).toEqual([series]);
  });
});

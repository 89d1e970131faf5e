import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../../test/harness';
import type { SessionStateStore } from '../ports/types';
import { SessionService } from './sessions';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => h?.cleanup());

describe('the session state cache', () => {
  it('keeps a logout that lands between a cache miss and its write: the older "active" read does not undo it', async () => {
    const u = await h.signIn();
    const sessionId = decodeJwt(u.accessToken).sid as string;
    const real = h.ports.sessionStates;
    // A request that missed the cache has read the session (still active) from the database; before it caches
    // that, the user signs out on another request.
    const racing: SessionStateStore = {
      get: async () => null,
      set: (id, state, ttl) => real.set(id, state, ttl),
      putActive: async (id, ttl) => {
        await h.services.sessions.revoke(id, 'logout');
        return real.putActive(id, ttl);
      },
    };
    const slowRequest = new SessionService(h.db, h.services.tokens, racing, h.config);
    await expect(slowRequest.assertActive(sessionId)).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
      message: 'This session has been signed out.',
    });
    // Every later request sees the logout.
    expect(await real.get(sessionId)).toBe('revoked');
    await expect(u.caller.user.profile()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('caches "active" on a miss when nothing is there, and a later logout replaces it', async () => {
    const u = await h.signIn();
    const sessionId = decodeJwt(u.accessToken).sid as string;
    await h.ports.sessionStates.set(sessionId, 'active', 1);
    expect(await h.ports.sessionStates.putActive(sessionId, 60)).toBe('active');
    await h.services.sessions.revoke(sessionId, 'logout');
    expect(await h.ports.sessionStates.putActive(sessionId, 60)).toBe('revoked');
    expect(await h.ports.sessionStates.get(sessionId)).toBe('revoked');
  });
});

describe('watch: a session checked again while a long-lived request runs on it', () => {
  const EVERY = 25;
  const signedIn = async () => decodeJwt((await h.signIn()).accessToken).sid as string;
  /** The watch's store with its reads counted, and failing while `failing` is set. */
  const counted = () => {
    const real = h.ports.sessionStates;
    const seen = { reads: 0, failing: false };
    const store: SessionStateStore = {
      get: async (id) => {
        seen.reads++;
        if (seen.failing) throw new Error('store unreachable');
        return real.get(id);
      },
      set: (id, state, ttl) => real.set(id, state, ttl),
      putActive: (id, ttl) => real.putActive(id, ttl),
    };
    return { seen, service: new SessionService(h.db, h.services.tokens, store, h.config) };
  };
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('aborts its signal with SESSION_REVOKED soon after a logout, with nothing else happening', async () => {
    const sessionId = await signedIn();
    const { service } = counted();
    const w = service.watch(sessionId, undefined, EVERY);
    await sleep(EVERY * 3);
    expect(w.signal.aborted).toBe(false);
    expect(w.revoked).toBeNull();

    await h.services.sessions.revoke(sessionId, 'logout');
    const t0 = performance.now();
    await new Promise((r) => w.signal.addEventListener('abort', r, { once: true }));
    expect(performance.now() - t0).toBeLessThan(EVERY * 20);
    expect(w.revoked).toMatchObject({ code: 'UNAUTHORIZED', reason: 'SESSION_REVOKED' });
    expect(w.signal.reason).toBe(w.revoked);
  });

  it('keeps going through a store failure (the session was active when the request began) and still sees a later logout', async () => {
    const sessionId = await signedIn();
    const { seen, service } = counted();
    const w = service.watch(sessionId, undefined, EVERY);
    seen.failing = true;
    await sleep(EVERY * 4);
    const failedReads = seen.reads;
    expect(failedReads).toBeGreaterThanOrEqual(2);
    expect(w.signal.aborted).toBe(false);

    seen.failing = false;
    await h.services.sessions.revoke(sessionId, 'logout');
    await new Promise((r) => w.signal.addEventListener('abort', r, { once: true }));
    expect(w.revoked).toMatchObject({ reason: 'SESSION_REVOKED' });
    w.stop();
  });

  it('stops checking on stop() or when the parent signal aborts, which its own signal follows', async () => {
    const sessionId = await signedIn();
    const { seen, service } = counted();
    const stopped = service.watch(sessionId, undefined, EVERY);
    await sleep(EVERY * 3);
    stopped.stop();
    const parent = new AbortController();
    const child = service.watch(sessionId, parent.signal, EVERY);
    parent.abort();
    expect(child.signal.aborted).toBe(true);
    expect(child.revoked).toBeNull();
    const reads = seen.reads;
    await sleep(EVERY * 4);
    expect(seen.reads).toBe(reads);
    // An already aborted parent: no check at all.
    const late = service.watch(sessionId, parent.signal, EVERY);
    await sleep(EVERY * 2);
    expect(late.signal.aborted).toBe(true);
    expect(seen.reads).toBe(reads);
  });

  it('shares one check among the watches open on one session: one read a tick for three streams, until the last stops', async () => {
    const sessionId = await signedIn();
    const other = await signedIn();
    const { seen, service } = counted();
    const ws = [0, 1, 2].map(() => service.watch(sessionId, undefined, EVERY));
    await sleep(EVERY * 8.5);
    // 8 ticks of one shared check; three checks of their own would read about 24 times.
    expect(seen.reads).toBeGreaterThanOrEqual(4);
    expect(seen.reads).toBeLessThanOrEqual(9);

    // Stopping two leaves the third checked; a watch of another session is checked on its own.
    ws[0]?.stop();
    ws[1]?.stop();
    const apart = service.watch(other, undefined, EVERY);
    await h.services.sessions.revoke(sessionId, 'logout');
    const last = ws[2];
    if (!last) throw new Error('three watches');
    await new Promise((r) => last.signal.addEventListener('abort', r, { once: true }));
    expect(last.revoked).toMatchObject({ reason: 'SESSION_REVOKED' });
    expect(ws[0]?.revoked).toBeNull();
    expect(ws[0]?.signal.aborted).toBe(false);
    expect(apart.signal.aborted).toBe(false);

    // The revoked session's check is over; the other session's goes on until its one watch stops.
    apart.stop();
    const reads = seen.reads;
    await sleep(EVERY * 4);
    expect(seen.reads).toBe(reads);
  });

  it('starts a fresh check for a watch opened after the shared one ended in a revocation', async () => {
    const sessionId = await signedIn();
    const { service } = counted();
    const first = service.watch(sessionId, undefined, EVERY);
    await h.services.sessions.revoke(sessionId, 'logout');
    await new Promise((r) => first.signal.addEventListener('abort', r, { once: true }));
    const again = service.watch(sessionId, undefined, EVERY);
    expect(again.signal.aborted).toBe(false);
    await new Promise((r) => again.signal.addEventListener('abort', r, { once: true }));
    expect(again.revoked).toMatchObject({ reason: 'SESSION_REVOKED' });
  });
});

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

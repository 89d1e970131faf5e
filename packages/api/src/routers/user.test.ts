import { eq, users } from '@chatplatform/db';
import { newWallet } from '@chatplatform/testing/wallet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../../test/harness';
import { failure } from '../../test/trpc-error';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => h?.cleanup());

describe('user: profile and limits', () => {
  it('sets, trims and clears the display name', async () => {
    const a = await h.signIn();
    expect((await a.caller.user.updateProfile({ displayName: '  Ada 🚀  ' })).displayName).toBe('Ada 🚀');
    expect((await a.caller.user.profile()).displayName).toBe('Ada 🚀');
    expect((await a.caller.user.updateProfile({ displayName: null })).displayName).toBeNull();
  });

  it('keeps what scripts and emoji need: joiners, right-to-left marks, variation selectors', async () => {
    const a = await h.signIn();
    for (const name of ['👩\u200D💻 Ada', 'میرزا\u200Cعلی', '\u200Fשלום', '❤\uFE0F Ada']) {
      expect((await a.caller.user.updateProfile({ displayName: name })).displayName).toBe(name);
    }
  });

  it('accepts 64 characters counted as code points (emoji count once)', async () => {
    const a = await h.signIn();
    const name = '😀'.repeat(64);
    expect((await a.caller.user.updateProfile({ displayName: name })).displayName).toBe(name);
  });

  it.each([
    ['an empty name', ''],
    ['a blank name', '   '],
    ['65 characters', 'a'.repeat(65)],
    ['a control character', 'Ada\u0007'],
    ['a newline', 'Ada\nLovelace'],
    ['a lone surrogate', 'Ada\uD83D'],
    ['a right-to-left override', '\u202Eecila'],
    ['a direction isolate', 'Ada\u2066x'],
    ['a zero-width space', 'Ad\u200Ba'],
    ['a soft hyphen only', '\u00AD'],
    ['a noncharacter', 'Ada\uFFFF'],
  ])('refuses %s with BAD_REQUEST on displayName and changes nothing', async (_what, displayName) => {
    const a = await h.signIn();
    await a.caller.user.updateProfile({ displayName: 'Before' });
    const f = await failure(a.caller.user.updateProfile({ displayName }));
    expect(f.code).toBe('BAD_REQUEST');
    expect(f.fields).toContain('displayName');
    expect((await a.caller.user.profile()).displayName).toBe('Before');
  });

  it('refuses unknown fields, so nobody can raise their own limits or set an email unverified', async () => {
    const a = await h.signIn();
    for (const extra of [{ aiMessagesLimit: 1e6 }, { apiCallsUsed: 0 }, { email: 'x@example.test' }]) {
      const f = await failure(a.caller.user.updateProfile({ displayName: 'Eve', ...extra } as never));
      expect(f.code).toBe('BAD_REQUEST');
    }
    const [row] = await h.db.select().from(users).where(eq(users.id, a.userId));
    expect(row).toMatchObject({
      aiMessagesLimit: h.config.limits.defaultAiMessagesLimit,
      email: null,
      displayName: null,
    });
  });

  it('reports limit, used and remaining for AI messages, API calls and agents', async () => {
    const a = await h.signIn();
    await h.db.update(users).set({ aiMessagesUsed: 7, apiCallsUsed: 1000 }).where(eq(users.id, a.userId));
    expect(await a.caller.user.limits()).toEqual({
      aiMessages: { limit: 100, used: 7, remaining: 93 },
      apiCalls: { limit: 1000, used: 1000, remaining: 0 },
      agents: { limit: h.config.agents.maxPerUser, used: 0, remaining: h.config.agents.maxPerUser },
    });
  });
});

describe('user: byWallet, the public face of a user', () => {
  it('shows address, display name and created at, and nothing else', async () => {
    const a = await h.signIn();
    const b = await h.signIn();
    await a.caller.user.updateProfile({ displayName: 'Alice' });
    await h.db
      .update(users)
      .set({ email: 'alice@example.test', emailVerifiedAt: new Date() })
      .where(eq(users.id, a.userId));
    const seen = await b.caller.user.byWallet({ address: a.wallet.address.toLowerCase() });
    expect(Object.keys(seen).sort()).toEqual(['createdAt', 'displayName', 'walletAddress']);
    expect(seen).toMatchObject({ walletAddress: a.wallet.address, displayName: 'Alice' });
    expect(JSON.stringify(seen)).not.toContain('alice@example.test');
  });

  it('an unknown wallet is NOT_FOUND; a malformed address is BAD_REQUEST on address', async () => {
    const a = await h.signIn();
    expect((await failure(a.caller.user.byWallet({ address: newWallet().address }))).code).toBe('NOT_FOUND');
    for (const address of ['0x123', 'hello', `0x${'g'.repeat(40)}`, '']) {
      const f = await failure(a.caller.user.byWallet({ address }));
      expect(f.code).toBe('BAD_REQUEST');
      expect(f.fields).toContain('address');
    }
  });

  it('needs a signed-in caller', async () => {
    const a = await h.signIn();
    expect((await failure(h.caller().user.byWallet({ address: a.wallet.address }))).code).toBe(
      'UNAUTHORIZED',
    );
  });
});

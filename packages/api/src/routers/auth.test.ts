import { newWallet } from '@chatplatform/testing/wallet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../../test/harness';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => h?.cleanup());

describe('auth: sign-in with Ethereum', () => {
  it('signs up a new wallet, then signs the same wallet in', async () => {
    const wallet = newWallet();
    const first = await h.signIn(wallet);
    const profile = await first.caller.user.profile();
    expect(profile.walletAddress).toBe(wallet.address);
    const anon = h.caller();
    const { message } = await anon.auth.message({ address: wallet.address.toLowerCase(), chainId: 1 });
    const res = await anon.auth.authenticate({ message, signature: await wallet.signMessage({ message }) });
    expect(res.isNewUser).toBe(false);
    expect(res.user.id).toBe(first.userId);
  });
});

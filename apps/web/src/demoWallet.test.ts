import { recoverMessageAddress, stringToHex } from 'viem';
import { describe, expect, it } from 'vitest';
import { DEMO_WALLET_KEY, demoProvider, demoWallet, forgetDemoAccount, loadDemoAccount } from './demoWallet';

describe('demo wallet', () => {
  it('makes one key per browser, keeps it, and forgets it on request', () => {
    localStorage.clear();
    const a = loadDemoAccount();
    const b = loadDemoAccount();
    expect(a?.address).toBe(b?.address);
    expect(localStorage.getItem(DEMO_WALLET_KEY)).toMatch(/^0x[0-9a-f]{64}$/);
    forgetDemoAccount();
    expect(loadDemoAccount(localStorage, false)).toBeNull();
    expect(loadDemoAccount()?.address).not.toBe(a?.address);
  });

  it('replaces a damaged stored key instead of failing', () => {
    localStorage.setItem(DEMO_WALLET_KEY, 'not-a-key');
    expect(loadDemoAccount()?.address).toMatch(/^0x[0-9a-fA-F]{40}$/);
  });

  it('signs personal messages that recover to its own address, and switches chains', async () => {
    const account = loadDemoAccount();
    if (!account) throw new Error('no account');
    const state = { chainId: 1 };
    const provider = demoProvider(account, state);
    expect(await provider.request({ method: 'eth_requestAccounts' })).toEqual([account.address]);
    const message = 'localhost wants you to sign in';
    const signature = await provider.request({
      method: 'personal_sign',
      params: [stringToHex(message), account.address],
    });
    expect(await recoverMessageAddress({ message, signature })).toBe(account.address);
    await provider.request({ method: 'wallet_switchEthereumChain', params: [{ chainId: '0x2105' }] });
    expect(await provider.request({ method: 'eth_chainId' })).toBe('0x2105');
  });

  it('refuses to sign for another address', async () => {
    const account = loadDemoAccount();
    if (!account) throw new Error('no account');
    const provider = demoProvider(account, { chainId: 1 });
    await expect(
      provider.request({
        method: 'personal_sign',
        params: [stringToHex('x'), '0x0000000000000000000000000000000000000001'],
      }),
    ).rejects.toThrow();
  });

  it('connects with the key stored now, not one read before it was removed or replaced', async () => {
    localStorage.clear();
    const connector = demoWallet()({
      chains: [{ id: 1 }],
      emitter: { emit() {} },
    } as never);
    const first = await connector.connect();
    await connector.disconnect();
    forgetDemoAccount();
    const second = await connector.connect();
    const stored = loadDemoAccount(localStorage, false);
    expect(second.accounts[0]).toBe(stored?.address);
    expect(second.accounts[0]).not.toBe(first.accounts[0]);
  });
});

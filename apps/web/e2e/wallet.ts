import type { BrowserContext, Page } from 'playwright-core';
import { type Hex, numberToHex } from 'viem';
import type { PrivateKeyAccount } from 'viem/accounts';

/**
 * A wallet extension stand-in: an EIP-1193 provider injected into every page of the context, announced the
 * EIP-6963 way (and as window.ethereum), whose requests are answered in the test process by a viem local
 * account. wagmi's injected connector talks to it exactly as to a real extension, and the signature is real.
 */
export interface TestWallet {
  account: PrivateKeyAccount;
  /** The next signature request is declined, as a person clicking "Reject" would (EIP-1193 code 4001). */
  rejectNextSignature(): void;
  chainId: number;
  signatures: number;
}

const ICON =
  'data:image/svg+xml;base64,' +
  Buffer.from(
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="8" fill="#0ea5e9"/><path d="M8 12h16v10H8z" fill="#fff"/></svg>',
  ).toString('base64');

export async function installTestWallet(
  context: BrowserContext,
  account: PrivateKeyAccount,
  opts: { chainId?: number } = {},
): Promise<TestWallet> {
  const wallet: TestWallet & { rejectNext: boolean; connected: boolean } = {
    account,
    connected: false,
    chainId: opts.chainId ?? 1,
    signatures: 0,
    rejectNext: false,
    rejectNextSignature() {
      wallet.rejectNext = true;
    },
  };
  await context.exposeBinding('__testWalletRequest', async (_source, method: string, params: unknown[]) => {
    switch (method) {
      case 'eth_requestAccounts':
        wallet.connected = true;
        return { result: [account.address] };
      case 'eth_accounts':
        // Like a real extension: no accounts for a site until the person has connected it.
        return { result: wallet.connected ? [account.address] : [] };
      case 'eth_chainId':
        return { result: numberToHex(wallet.chainId) };
      case 'personal_sign': {
        if (wallet.rejectNext) {
          wallet.rejectNext = false;
          return { error: { code: 4001, message: 'User rejected the request.' } };
        }
        const [data] = params as [Hex];
        wallet.signatures += 1;
        return { result: await account.signMessage({ message: { raw: data } }) };
      }
      case 'wallet_switchEthereumChain': {
        const [{ chainId }] = params as [{ chainId: Hex }];
        wallet.chainId = Number(chainId);
        return { result: null, event: { name: 'chainChanged', data: chainId } };
      }
      default:
        return { error: { code: 4200, message: `Test wallet does not support ${method}` } };
    }
  });
  await context.addInitScript(
    ({ icon }) => {
      type Listener = (data: unknown) => void;
      const listeners = new Map<string, Set<Listener>>();
      const w = window as unknown as {
        __testWalletRequest: (
          method: string,
          params: unknown[],
        ) => Promise<{
          result?: unknown;
          error?: { code: number; message: string };
          event?: { name: string; data: unknown };
        }>;
        ethereum?: unknown;
      };
      const provider = {
        isTestWallet: true,
        async request({ method, params }: { method: string; params?: unknown[] }) {
          const r = await w.__testWalletRequest(method, params ?? []);
          if (r.error) throw Object.assign(new Error(r.error.message), { code: r.error.code });
          if (r.event) for (const l of listeners.get(r.event.name) ?? []) l(r.event.data);
          return r.result;
        },
        on(event: string, l: Listener) {
          if (!listeners.has(event)) listeners.set(event, new Set());
          listeners.get(event)?.add(l);
        },
        removeListener(event: string, l: Listener) {
          listeners.get(event)?.delete(l);
        },
      };
      w.ethereum = provider;
      const info = {
        uuid: crypto.randomUUID(),
        name: 'Test Wallet',
        icon,
        rdns: 'dev.chatplatform.testwallet',
      };
      const announce = () =>
        window.dispatchEvent(
          new CustomEvent('eip6963:announceProvider', { detail: Object.freeze({ info, provider }) }),
        );
      window.addEventListener('eip6963:requestProvider', announce);
      announce();
    },
    { icon: ICON },
  );
  return wallet;
}

/** A wallet prompt held in the page: how often it was asked, and the answer the person gives. */
interface PagePrompt {
  count: number;
  answer(ok: boolean): void;
}
type WithPrompts = { prompts: Record<string, PagePrompt> };

export interface HeldWalletPrompt {
  /** How many `method` requests the page has sent the wallet so far. */
  count(): Promise<number>;
  /** The person approves the prompts open now: their requests go on to the wallet. */
  approve(): Promise<void>;
  /** The person rejects the prompts open now (EIP-1193 code 4001). */
  reject(): Promise<void>;
}

/**
 * Holds the page's wallet requests for `method` (each a prompt the person has yet to answer) until the test
 * approves or rejects them, counting them: so a test can look at the page while the wallet waits, and check that
 * one press asked once. Installed in the loaded page.
 */
export async function holdWalletPrompts(page: Page, method: string): Promise<HeldWalletPrompt> {
  await page.evaluate((held) => {
    const w = window as unknown as Partial<WithPrompts> & {
      ethereum: { request(a: { method: string }): Promise<unknown> };
    };
    const { request } = w.ethereum;
    let open: ((ok: boolean) => void)[] = [];
    const prompt: PagePrompt = {
      count: 0,
      answer(ok) {
        for (const answer of open) answer(ok);
        open = [];
      },
    };
    w.prompts = { ...w.prompts, [held]: prompt };
    w.ethereum.request = async (args) => {
      if (args.method === held) {
        prompt.count += 1;
        const ok = await new Promise<boolean>((resolve) => open.push(resolve));
        if (!ok) throw Object.assign(new Error('User rejected the request.'), { code: 4001 });
      }
      return request.call(w.ethereum, args);
    };
  }, method);
  const answer = (ok: boolean) =>
    page.evaluate(([held, yes]) => (window as unknown as WithPrompts).prompts[held]?.answer(yes), [
      method,
      ok,
    ] as const);
  return {
    count: () =>
      page.evaluate((held) => (window as unknown as WithPrompts).prompts[held]?.count ?? 0, method),
    approve: () => answer(true),
    reject: () => answer(false),
  };
}

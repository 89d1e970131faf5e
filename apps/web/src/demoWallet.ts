import {
  type Address,
  custom,
  type EIP1193RequestFn,
  getAddress,
  type Hex,
  isHex,
  numberToHex,
  SwitchChainError,
} from 'viem';
import { generatePrivateKey, type PrivateKeyAccount, privateKeyToAccount } from 'viem/accounts';
import { createConnector } from 'wagmi';

export const DEMO_WALLET_KEY = 'chatplatform.demoWallet.privateKey';

/**
 * The demo wallet: a throwaway secp256k1 key made in this browser and kept in localStorage, so someone
 * with no wallet extension can try the platform. Anyone with access to this browser profile can use it;
 * it is offered only when the server says so (auth.config.demoWalletEnabled: on in the embedded setup).
 */
export function loadDemoAccount(storage: Storage = localStorage, create = true): PrivateKeyAccount | null {
  let key = storage.getItem(DEMO_WALLET_KEY);
  if (!key || !isHex(key) || key.length !== 66) {
    if (!create) return null;
    key = generatePrivateKey();
    storage.setItem(DEMO_WALLET_KEY, key);
  }
  return privateKeyToAccount(key as Hex);
}

export function forgetDemoAccount(storage: Storage = localStorage): void {
  storage.removeItem(DEMO_WALLET_KEY);
}

/** An EIP-1193 provider over a local account: accounts, chain id, chain switching and personal_sign. */
export function demoProvider(account: PrivateKeyAccount, state: { chainId: number }) {
  const request = (async ({ method, params }: { method: string; params?: unknown }) => {
    switch (method) {
      case 'eth_accounts':
      case 'eth_requestAccounts':
        return [account.address];
      case 'eth_chainId':
        return numberToHex(state.chainId);
      case 'personal_sign': {
        const [data, address] = params as [Hex, Address];
        if (getAddress(address) !== account.address) throw new Error('Unknown account');
        return account.signMessage({ message: { raw: data } });
      }
      case 'wallet_switchEthereumChain': {
        const [{ chainId }] = params as [{ chainId: Hex }];
        state.chainId = Number(chainId);
        return null;
      }
      default:
        throw new Error(`The demo wallet does not support ${method}`);
    }
  }) as EIP1193RequestFn;
  return custom({ request })({ retryCount: 0 });
}

/** The demo wallet as a wagmi connector, clearly named so nobody mistakes it for a real wallet. */
export function demoWallet() {
  const state = { chainId: 1 };
  let account: PrivateKeyAccount | null = null;
  const acct = () => {
    account ??= loadDemoAccount();
    if (!account) throw new Error('no demo account');
    return account;
  };
  return createConnector((config) => ({
    id: 'demo-wallet',
    name: 'Demo wallet',
    type: 'demo',
    async setup() {
      state.chainId = config.chains[0].id;
    },
    async connect(params = {}) {
      if (params.chainId) state.chainId = params.chainId;
      // The key as stored now: another tab (or a cleanup) may have replaced or removed the one read before.
      account = loadDemoAccount();
      const a = acct();
      return { accounts: [a.address] as never, chainId: state.chainId };
    },
    async disconnect() {},
    async getAccounts() {
      return [acct().address];
    },
    async getChainId() {
      return state.chainId;
    },
    async getProvider() {
      return demoProvider(acct(), state);
    },
    async isAuthorized() {
      return false;
    },
    async switchChain({ chainId }) {
      const chain = config.chains.find((c) => c.id === chainId);
      if (!chain) throw new SwitchChainError(new Error(`Chain ${chainId} is not configured`));
      state.chainId = chainId;
      config.emitter.emit('change', { chainId });
      return chain;
    },
    onAccountsChanged() {},
    onChainChanged(chain) {
      config.emitter.emit('change', { chainId: Number(chain) });
    },
    onDisconnect() {
      config.emitter.emit('disconnect');
    },
  }));
}

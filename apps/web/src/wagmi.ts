import { custom } from 'viem';
import { arbitrum, base, foundry, mainnet, optimism, polygon, sepolia } from 'viem/chains';
import { createConfig, injected } from 'wagmi';
import { demoWallet } from './demoWallet';

/**
 * Wallets only sign here: nothing reads the chain, so no RPC endpoint is configured (and the server's CSP
 * allows no other origin anyway). A transport that refuses makes any accidental read fail loudly.
 */
const noRpc = custom({
  async request({ method }: { method: string }) {
    throw new Error(`No RPC in this app (asked for ${method})`);
  },
});

export const chains = [mainnet, base, optimism, arbitrum, polygon, sepolia, foundry] as const;

export function createWagmiConfig() {
  return createConfig({
    chains,
    // Every wallet announced the EIP-6963 way becomes a connector of its own; `injected()` covers an older
    // wallet that only sets window.ethereum.
    multiInjectedProviderDiscovery: true,
    connectors: [injected(), demoWallet()],
    transports: Object.fromEntries(chains.map((c) => [c.id, noRpc])) as Record<
      (typeof chains)[number]['id'],
      typeof noRpc
    >,
  });
}

export function chainName(id: number): string {
  return chains.find((c) => c.id === id)?.name ?? `chain ${id}`;
}

/** "Base (chain id 8453)", or "chain id 56" for a chain this app has no name for. */
export function chainLabel(id: number): string {
  const known = chains.find((c) => c.id === id);
  return known ? `${known.name} (chain id ${id})` : `chain id ${id}`;
}

declare module 'wagmi' {
  interface Register {
    config: ReturnType<typeof createWagmiConfig>;
  }
}

import type { AppRouter, RouterOutputs } from '@chatplatform/api';
import type { TRPCClient } from '@trpc/client';
import type { AuthSession } from './session';

/** Anything that can sign an EIP-191 personal message for an address: a wagmi hook, a viem account. */
export interface WalletSigner {
  address: string;
  chainId: number;
  signMessage(message: string): Promise<string>;
}

/** Sign-In with Ethereum: fetch the server's message, sign it, exchange the signature for a session. */
export async function signInWithWallet(
  client: TRPCClient<AppRouter>,
  session: AuthSession,
  wallet: WalletSigner,
): Promise<RouterOutputs['auth']['authenticate']> {
  const { message } = await client.auth.message.query({ address: wallet.address, chainId: wallet.chainId });
  const signature = await wallet.signMessage(message);
  const result = await client.auth.authenticate.mutate({ message, signature });
  session.setTokens(result);
  return result;
}

/** Ends the session on the server (best effort) and forgets it in every tab. */
export async function signOut(client: TRPCClient<AppRouter>, session: AuthSession): Promise<void> {
  try {
    if (session.isSignedIn) await client.auth.logout.mutate();
  } finally {
    session.clear('signed-out');
  }
}

import type { PrivateKeyAccount } from 'viem/accounts';

/** Signs a wallet in through the public tRPC API (auth.message, then a signed auth.authenticate). */
export async function signIn(
  url: string,
  wallet: PrivateKeyAccount,
): Promise<{ accessToken: string; userId: string }> {
  const q = encodeURIComponent(JSON.stringify({ address: wallet.address, chainId: 1 }));
  const m = (await fetch(`${url}/trpc/auth.message?input=${q}`).then((r) => r.json())) as {
    result?: { data: { message: string } };
  };
  if (!m.result) throw new Error(`auth.message failed: ${JSON.stringify(m)}`);
  const message = m.result.data.message;
  const signature = await wallet.signMessage({ message });
  const a = (await fetch(`${url}/trpc/auth.authenticate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ message, signature }),
  }).then((r) => r.json())) as { result?: { data: { accessToken: string; user: { id: string } } } };
  if (!a.result) throw new Error(`auth.authenticate failed: ${JSON.stringify(a)}`);
  return { accessToken: a.result.data.accessToken, userId: a.result.data.user.id };
}

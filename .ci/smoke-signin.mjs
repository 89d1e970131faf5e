// Signs a fresh wallet in over plain HTTP, as any client would: auth.message -> sign -> auth.authenticate ->
// user.profile with the access token. Usage: node .ci/smoke-signin.mjs http://127.0.0.1:PORT
import { createRequire } from 'node:module';

const base = process.argv[2];
if (!base) throw new Error('usage: node .ci/smoke-signin.mjs <base url>');

// viem is a dependency of the server's tests; resolve it from there (this script lives outside the workspace).
const require = createRequire(new URL('../apps/server/package.json', import.meta.url));
const { generatePrivateKey, privateKeyToAccount } = await import(require.resolve('viem/accounts'));

async function trpc(path, init) {
  const res = await fetch(`${base}/trpc/${path}`, init);
  const body = await res.json().catch(() => null);
  if (!res.ok || !body?.result) throw new Error(`${path}: HTTP ${res.status} ${JSON.stringify(body)}`);
  return body.result.data;
}

const account = privateKeyToAccount(generatePrivateKey());
const input = encodeURIComponent(JSON.stringify({ address: account.address, chainId: 1 }));
const { message } = await trpc(`auth.message?input=${input}`);
const signature = await account.signMessage({ message });
const session = await trpc('auth.authenticate', {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ message, signature }),
});
if (!session.accessToken || session.tokenType !== 'Bearer') throw new Error('no bearer access token');
const profile = await trpc('user.profile', { headers: { authorization: `Bearer ${session.accessToken}` } });
if (profile.walletAddress?.toLowerCase() !== account.address.toLowerCase()) {
  throw new Error(`profile is for ${profile.walletAddress}, signed in as ${account.address}`);
}
console.log(`signed in ${account.address} (new user: ${session.isNewUser}); user.profile answers for it`);

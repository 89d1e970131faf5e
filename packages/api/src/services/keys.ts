import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { calculateJwkThumbprint, exportJWK, type JWK } from 'jose';

/** The RS256 keys: one to sign with, any number trusted for verification (rotation). */
export interface KeySet {
  signing: { kid: string; privateKey: KeyObject };
  verifying: Map<string, KeyObject>;
  /** Public keys only, for /.well-known/jwks.json. */
  jwks: { keys: JWK[] };
}

async function kidOf(publicKey: KeyObject): Promise<string> {
  return calculateJwkThumbprint(await exportJWK(publicKey), 'sha256');
}

async function buildKeySet(privateKey: KeyObject, publicKeys: KeyObject[]): Promise<KeySet> {
  const signingPublic = createPublicKey(privateKey);
  const kid = await kidOf(signingPublic);
  const verifying = new Map<string, KeyObject>([[kid, signingPublic]]);
  for (const key of publicKeys) verifying.set(await kidOf(key), key);
  const keys: JWK[] = [];
  for (const [k, key] of verifying) {
    const { n, e, kty } = await exportJWK(key);
    keys.push({ kty, n, e, kid: k, alg: 'RS256', use: 'sig' });
  }
  return { signing: { kid, privateKey }, verifying, jwks: { keys } };
}

function generatePem() {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/**
 * Loads `private.pem` and every other `*.pem` (trusted public keys) from `dir`; generates the pair on first
 * start (private key mode 0600). Returns whether it generated.
 */
export async function loadOrCreateKeys(dir: string): Promise<{ keys: KeySet; generated: boolean }> {
  const privatePath = path.join(dir, 'private.pem');
  const publicPath = path.join(dir, 'public.pem');
  let generated = false;
  if (!existsSync(privatePath)) {
    mkdirSync(dir, { recursive: true });
    const { privatePem, publicPem } = generatePem();
    writeFileSync(privatePath, privatePem, { mode: 0o600, flag: 'wx' });
    chmodSync(privatePath, 0o600);
    writeFileSync(publicPath, publicPem, { mode: 0o644 });
    generated = true;
  }
  const privateKey = createPrivateKey(readFileSync(privatePath));
  if (privateKey.asymmetricKeyType !== 'rsa') throw new Error(`${privatePath}: expected an RSA private key`);
  const publicKeys = readdirSync(dir)
    .filter((f) => f.endsWith('.pem') && f !== 'private.pem')
    .map((f) => createPublicKey(readFileSync(path.join(dir, f))));
  return { keys: await buildKeySet(privateKey, publicKeys), generated };
}

/** Fresh in-memory keys (tests, benchmarks). */
export async function createEphemeralKeys(): Promise<KeySet> {
  const { privatePem } = generatePem();
  return buildKeySet(createPrivateKey(privatePem), []);
}

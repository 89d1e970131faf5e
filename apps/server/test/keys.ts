import { createEphemeralKeys, type KeySet } from '@chatplatform/api';

let keys: Promise<KeySet> | undefined;
/** One RSA key pair per test process (generation costs about 100 ms). */
export function testKeys(): Promise<KeySet> {
  keys ??= createEphemeralKeys();
  return keys;
}

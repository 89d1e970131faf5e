import { createTestDb, createTestRedis } from '@chatplatform/testing/db';
import { newWallet } from '@chatplatform/testing/wallet';
import type { PrivateKeyAccount } from 'viem/accounts';
import { type ApiConfig, testConfig } from '../src/config';
import { type ApiServices, createInnerContext, createServices, type RequestInfo } from '../src/context';
import { silentLogger } from '../src/logger';
import { createMemoryPorts, createRedisPorts } from '../src/ports/index';
import { createCaller } from '../src/root';
import { createEphemeralKeys, type KeySet } from '../src/services/keys';
import type { VerifyRpc } from '../src/services/siwe';

let sharedKeys: Promise<KeySet> | undefined;

export interface SignedIn {
  wallet: PrivateKeyAccount;
  accessToken: string;
  refreshToken: string;
  userId: string;
  /** A caller authenticated as this user. */
  caller: ReturnType<typeof createCaller>;
}

/**
 * Procedure-level test harness: a fresh database (PostgreSQL per file, or PGlite), Redis under its own key
 * prefix (or in-process ports), real keys, and callers through createCallerFactory.
 */
export async function createHarness(opts: { config?: Partial<ApiConfig>; verifyRpc?: VerifyRpc } = {}) {
  const testDb = await createTestDb();
  const testRedis = createTestRedis();
  const ports = testRedis ? createRedisPorts(testRedis.redis) : createMemoryPorts();
  sharedKeys ??= createEphemeralKeys();
  const keys = await sharedKeys;
  const config = testConfig(opts.config);
  const services: ApiServices = createServices({
    db: testDb.handle.db,
    config,
    ports,
    keys,
    logger: silentLogger,
    verifyRpc: opts.verifyRpc,
  });

  const caller = (req: Partial<RequestInfo> = {}) => createCaller(createInnerContext(services, req));
  const authed = (accessToken: string, req: Partial<RequestInfo> = {}) =>
    caller({ ...req, authorization: `Bearer ${accessToken}` });

  async function signIn(wallet: PrivateKeyAccount = newWallet(), chainId = 1): Promise<SignedIn> {
    const anon = caller();
    const { message } = await anon.auth.message({ address: wallet.address, chainId });
    const signature = await wallet.signMessage({ message });
    const res = await anon.auth.authenticate({ message, signature });
    return {
      wallet,
      accessToken: res.accessToken,
      refreshToken: res.refreshToken,
      userId: res.user.id,
      caller: authed(res.accessToken),
    };
  }

  return {
    services,
    config,
    keys,
    db: testDb.handle.db,
    dbHandle: testDb.handle,
    ports,
    caller,
    authed,
    signIn,
    async cleanup() {
      await ports.close();
      await testDb.cleanup();
      await testRedis?.cleanup();
    },
  };
}

export type Harness = Awaited<ReturnType<typeof createHarness>>;

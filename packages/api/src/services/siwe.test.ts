import { newWallet } from '@chatplatform/testing/wallet';
import { createSiweMessage } from 'viem/siwe';
import { describe, expect, it } from 'vitest';
import { testConfig } from '../config';
import { AppError } from '../errors';
import { createMemoryPorts } from '../ports/index';
import { newSiweNonce, SiweService, type VerifyRpc } from './siwe';

const config = testConfig().siwe;

async function reasonOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof AppError) return `${err.code}:${err.reason}`;
    throw err;
  }
  throw new Error('expected failure');
}

/** Plants a message in the store as if it had been issued (simulating a configuration change since). */
async function planted(overrides: Partial<Parameters<typeof createSiweMessage>[0]>, verifyRpc?: VerifyRpc) {
  const ports = createMemoryPorts();
  const service = new SiweService(config, ports.nonces, verifyRpc);
  const wallet = newWallet();
  const nonce = newSiweNonce();
  const message = createSiweMessage({
    domain: config.domain,
    address: wallet.address,
    uri: config.uri,
    version: '1',
    chainId: 1,
    nonce,
    issuedAt: new Date(),
    ...overrides,
  });
  await ports.nonces.put(nonce, message, 600);
  return { service, wallet, message, nonce, ports };
}

describe('SiweService.verify on issued messages', () => {
  it('rejects an issued-at in the future beyond the clock skew', async () => {
    const { service, wallet, message } = await planted({ issuedAt: new Date(Date.now() + 5 * 60_000) });
    expect(
      await reasonOf(service.verify({ message, signature: await wallet.signMessage({ message }) })),
    ).toBe('UNAUTHORIZED:ISSUED_IN_FUTURE');
  });

  it('tolerates an issued-at a few seconds ahead (clock skew)', async () => {
    const { service, wallet, message } = await planted({ issuedAt: new Date(Date.now() + 10_000) });
    await expect(
      service.verify({ message, signature: await wallet.signMessage({ message }) }),
    ).resolves.toMatchObject({
      address: wallet.address,
    });
  });

  it('rejects a not-before in the future', async () => {
    const { service, wallet, message } = await planted({ notBefore: new Date(Date.now() + 5 * 60_000) });
    expect(
      await reasonOf(service.verify({ message, signature: await wallet.signMessage({ message }) })),
    ).toBe('UNAUTHORIZED:NOT_YET_VALID');
  });

  it.each([
    ['domain', { domain: 'evil.example' }, 'UNAUTHORIZED:DOMAIN_MISMATCH'],
    ['uri', { uri: 'https://evil.example' }, 'UNAUTHORIZED:URI_MISMATCH'],
    ['chain id', { chainId: 56 }, 'UNAUTHORIZED:CHAIN_NOT_ALLOWED'],
  ] as const)('rejects a wrong %s even when the message was stored', async (_what, overrides, expected) => {
    const { service, wallet, message } = await planted(overrides);
    expect(
      await reasonOf(service.verify({ message, signature: await wallet.signMessage({ message }) })),
    ).toBe(expected);
  });

  it('does not consume the nonce when verification fails', async () => {
    const { service, wallet, message, nonce, ports } = await planted({});
    const forged = await newWallet().signMessage({ message });
    await reasonOf(service.verify({ message, signature: forged }));
    expect(await ports.nonces.peek(nonce)).toBe(message);
    await service.verify({ message, signature: await wallet.signMessage({ message }) });
    expect(await ports.nonces.peek(nonce)).toBeNull();
  });
});

describe('smart-contract wallets', () => {
  const contractSig = `0x${'11'.repeat(200)}` as const;

  it('fails closed with a clear reason when no RPC is configured', async () => {
    const { service, message } = await planted({});
    expect(await reasonOf(service.verify({ message, signature: contractSig }))).toBe(
      'UNAUTHORIZED:SMART_WALLET_NO_RPC',
    );
  });

  it('accepts what the chain verifier accepts, for the chain in the message', async () => {
    const seen: number[] = [];
    const { service, wallet, message } = await planted({ chainId: 8453 }, async ({ chainId }) => {
      seen.push(chainId);
      return true;
    });
    await expect(service.verify({ message, signature: contractSig })).resolves.toMatchObject({
      address: wallet.address,
    });
    expect(seen).toEqual([8453]);
  });

  it('rejects what the chain verifier rejects', async () => {
    const { service, message } = await planted({}, async () => false);
    expect(await reasonOf(service.verify({ message, signature: contractSig }))).toBe(
      'UNAUTHORIZED:BAD_SIGNATURE',
    );
  });

  it('fails closed when the RPC fails', async () => {
    const { service, message } = await planted({}, async () => {
      throw new Error('connect ECONNREFUSED');
    });
    expect(await reasonOf(service.verify({ message, signature: contractSig }))).toBe(
      'UNAUTHORIZED:SMART_WALLET_UNVERIFIABLE',
    );
  });
});

describe('nonces', () => {
  it('are 160 bits from the CSPRNG with no shared structure', () => {
    const nonces = Array.from({ length: 1000 }, newSiweNonce);
    expect(new Set(nonces).size).toBe(1000);
    for (const n of nonces) expect(n).toMatch(/^[0-9a-f]{40}$/);
    // viem's generateSiweNonce shares most characters between consecutive calls; ours share ~1/16 per position.
    const [a, b] = nonces;
    const same = [...(a ?? '')].filter((ch, i) => ch === b?.[i]).length;
    expect(same).toBeLessThan(12);
  });
});

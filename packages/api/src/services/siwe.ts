import { randomBytes } from 'node:crypto';
import {
  type Address,
  createPublicClient,
  getAddress,
  type Hex,
  http,
  isAddress,
  recoverMessageAddress,
} from 'viem';
import { createSiweMessage, parseSiweMessage } from 'viem/siwe';
import type { ApiConfig } from '../config';
import { AppError, badRequest, unauthorized } from '../errors';
import type { NonceStore } from '../ports/types';

/** 160 bits from the CSPRNG, hex (SIWE nonces are alphanumeric). Never viem's Math.random-based generator. */
export function newSiweNonce(): string {
  return randomBytes(20).toString('hex');
}

export interface IssuedMessage {
  message: string;
  nonce: string;
  expiresAt: Date;
}

export interface VerifiedSignIn {
  address: Address;
  chainId: number;
}

export type VerifyRpc = (params: {
  chainId: number;
  address: Address;
  message: string;
  signature: Hex;
}) => Promise<boolean>;

/** Smart-contract wallets (EIP-1271, EIP-6492) through viem against the RPC configured for the chain. */
export function rpcVerifier(rpcUrls: Record<number, string>): VerifyRpc | undefined {
  if (Object.keys(rpcUrls).length === 0) return undefined;
  const clients = new Map<number, ReturnType<typeof createPublicClient>>();
  return async ({ chainId, address, message, signature }) => {
    const url = rpcUrls[chainId];
    if (!url) throw unauthorized('SMART_WALLET_NO_RPC', `No RPC is configured for chain ${chainId}.`);
    let client = clients.get(chainId);
    if (!client) {
      client = createPublicClient({ transport: http(url, { timeout: 5_000, retryCount: 0 }) });
      clients.set(chainId, client);
    }
    return client.verifyMessage({ address, message, signature });
  };
}

export class SiweService {
  constructor(
    private readonly config: ApiConfig['siwe'],
    private readonly nonces: NonceStore,
    private readonly verifyRpc: VerifyRpc | undefined = rpcVerifier(config.rpcUrls),
  ) {}

  /** Builds the whole EIP-4361 message on the server and remembers it under its nonce. */
  async issue(params: { address: string; chainId: number }): Promise<IssuedMessage> {
    if (!isAddress(params.address, { strict: false })) {
      throw badRequest('INVALID_ADDRESS', 'address must be a 20-byte hex EVM address.');
    }
    if (!this.config.allowedChainIds.includes(params.chainId)) {
      throw new AppError(
        'BAD_REQUEST',
        'CHAIN_NOT_ALLOWED',
        `Chain ${params.chainId} is not accepted; use one of ${this.config.allowedChainIds.join(', ')}.`,
        { details: { allowedChainIds: this.config.allowedChainIds } },
      );
    }
    const nonce = newSiweNonce();
    const issuedAt = new Date(Math.floor(Date.now() / 1000) * 1000);
    const expiresAt = new Date(issuedAt.getTime() + this.config.messageTtlSeconds * 1000);
    const message = createSiweMessage({
      domain: this.config.domain,
      address: getAddress(params.address),
      statement: this.config.statement,
      uri: this.config.uri,
      version: '1',
      chainId: params.chainId,
      nonce,
      issuedAt,
      expirationTime: expiresAt,
    });
    // Kept a minute past expiry so a late submission is told "expired" rather than "unknown".
    await this.nonces.put(nonce, message, this.config.messageTtlSeconds + this.config.clockSkewSeconds + 60);
    return { message, nonce, expiresAt };
  }

  /**
   * Checks a signed message and consumes its nonce. The message must be byte for byte the one issued; the
   * signature is checked before the nonce is consumed, so junk cannot burn someone else's nonce, and the
   * consumption is atomic, so of N concurrent submissions exactly one succeeds.
   */
  async verify(params: { message: string; signature: Hex }): Promise<VerifiedSignIn> {
    const parsed = parseSiweMessage(params.message);
    if (!parsed.nonce || !parsed.address || !parsed.domain) {
      throw badRequest('MALFORMED_MESSAGE', 'The message is not a Sign-In with Ethereum message.');
    }
    const stored = await this.nonces.peek(parsed.nonce);
    if (stored === null)
      throw unauthorized(
        'NONCE_UNKNOWN',
        'This sign-in message was not issued here, has expired or was already used.',
      );
    if (stored !== params.message)
      throw unauthorized('MESSAGE_MISMATCH', 'The message differs from the one issued for its nonce.');

    // The stored message is ours, so its fields are what we issued; check them against the configuration
    // anyway (the configuration may have changed since) and against the clock.
    const fields = parseSiweMessage(stored);
    const { address, chainId } = fields;
    if (!address || chainId === undefined)
      throw badRequest('MALFORMED_MESSAGE', 'The message lacks an address or chain id.');
    if (fields.domain !== this.config.domain)
      throw unauthorized('DOMAIN_MISMATCH', 'The message is for another domain.');
    if (fields.uri !== this.config.uri) throw unauthorized('URI_MISMATCH', 'The message is for another URI.');
    if (!this.config.allowedChainIds.includes(chainId))
      throw unauthorized('CHAIN_NOT_ALLOWED', `Chain ${chainId} is not accepted.`);
    const now = Date.now();
    const skew = this.config.clockSkewSeconds * 1000;
    if (fields.expirationTime && fields.expirationTime.getTime() + skew < now)
      throw unauthorized('MESSAGE_EXPIRED', 'The sign-in message has expired; request a new one.');
    if (fields.issuedAt && fields.issuedAt.getTime() - skew > now)
      throw unauthorized('ISSUED_IN_FUTURE', 'The message is dated in the future.');
    if (fields.notBefore && fields.notBefore.getTime() - skew > now)
      throw unauthorized('NOT_YET_VALID', 'The message is not valid yet.');

    await this.checkSignature({ address, chainId, message: stored, signature: params.signature });

    const taken = await this.nonces.take(parsed.nonce);
    if (taken === null) throw unauthorized('NONCE_USED', 'This sign-in message was already used.');
    return { address: getAddress(address), chainId };
  }

  private async checkSignature(p: { address: Address; chainId: number; message: string; signature: Hex }) {
    // Plain wallets: recover the signer locally, no RPC (about 2 ms).
    let recovered: Address | undefined;
    try {
      recovered = await recoverMessageAddress({ message: p.message, signature: p.signature });
    } catch {
      recovered = undefined;
    }
    if (recovered && recovered.toLowerCase() === p.address.toLowerCase()) return;

    // Otherwise it can only be a smart-contract wallet: verify on chain, failing closed.
    if (!this.verifyRpc) {
      throw unauthorized(
        recovered ? 'BAD_SIGNATURE' : 'SMART_WALLET_NO_RPC',
        recovered
          ? 'The signature was not made by the address in the message.'
          : 'This looks like a smart-contract wallet signature, and no RPC is configured to verify it.',
      );
    }
    let ok = false;
    try {
      ok = await this.verifyRpc(p);
    } catch (err) {
      if (err instanceof AppError) throw err;
      throw unauthorized(
        'SMART_WALLET_UNVERIFIABLE',
        'The smart-contract wallet signature could not be verified (RPC failed).',
      );
    }
    if (!ok) throw unauthorized('BAD_SIGNATURE', 'The signature was not made by the address in the message.');
  }
}

import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { type JWTPayload, errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import type { ApiConfig } from '../config';
import { unauthorized } from '../errors';
import { ExpiringMap } from '../ports/memory';
import type { KeySet } from './keys';

export interface AccessClaims {
  userId: string;
  sessionId: string;
  /** Seconds since epoch. */
  exp: number;
}

export const REQUIRED_CLAIMS = ['iss', 'aud', 'sub', 'sid', 'jti', 'iat', 'exp'] as const;

/** Issues and verifies RS256 access tokens; makes opaque refresh tokens. */
export class TokenService {
  /** Verified tokens until their exp: an RS256 verify costs about as much as a row read. Revocation is checked separately. */
  private readonly verified = new ExpiringMap<AccessClaims>(50_000);

  constructor(
    private readonly keys: KeySet,
    private readonly config: ApiConfig['tokens'],
  ) {}

  async signAccessToken(params: {
    userId: string;
    sessionId: string;
  }): Promise<{ token: string; expiresIn: number }> {
    const expiresIn = this.config.accessTtlSeconds;
    const token = await new SignJWT({ sid: params.sessionId })
      .setProtectedHeader({ alg: 'RS256', kid: this.keys.signing.kid, typ: 'at+jwt' })
      .setIssuer(this.config.issuer)
      .setAudience(this.config.audience)
      .setSubject(params.userId)
      .setJti(randomUUID())
      .setIssuedAt()
      .setExpirationTime(`${expiresIn}s`)
      .sign(this.keys.signing.privateKey);
    return { token, expiresIn };
  }

  /** Verifies signature, algorithm, type, issuer, audience and lifetime. Throws UNAUTHORIZED with a reason. */
  async verifyAccessToken(token: string): Promise<AccessClaims> {
    const cached = this.verified.get(token);
    if (cached) return cached;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(
        token,
        (header) => {
          const key = header.kid ? this.keys.verifying.get(header.kid) : undefined;
          if (!key) throw new joseErrors.JWKSNoMatchingKey();
          return key;
        },
        {
          algorithms: ['RS256'],
          issuer: this.config.issuer,
          audience: this.config.audience,
          typ: 'at+jwt',
          requiredClaims: [...REQUIRED_CLAIMS],
          clockTolerance: 5,
        },
      ));
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired)
        throw unauthorized('TOKEN_EXPIRED', 'The access token has expired.');
      throw unauthorized('TOKEN_INVALID', 'The access token is not valid.');
    }
    const { sub, sid, exp } = payload;
    if (typeof sub !== 'string' || typeof sid !== 'string' || typeof exp !== 'number') {
      throw unauthorized('TOKEN_INVALID', 'The access token is not valid.');
    }
    const claims: AccessClaims = { userId: sub, sessionId: sid, exp };
    const ttlMs = exp * 1000 - Date.now();
    if (ttlMs > 0) this.verified.set(token, claims, ttlMs);
    return claims;
  }
}

/** 256-bit opaque refresh token and the hash that is stored instead of it. */
export function newRefreshToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashRefreshToken(token) };
}

export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

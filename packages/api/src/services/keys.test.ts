import { mkdtempSync, readFileSync, renameSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { testConfig } from '../config';
import { loadOrCreateKeys } from './keys';
import { TokenService } from './tokens';

describe('signing keys', () => {
  it('generates a pair on first start with the private key at mode 0600, and reuses it after', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'keys-'));
    const first = await loadOrCreateKeys(dir);
    expect(first.generated).toBe(true);
    expect(statSync(path.join(dir, 'private.pem')).mode & 0o777).toBe(0o600);
    expect(readFileSync(path.join(dir, 'public.pem'), 'utf8')).toContain('BEGIN PUBLIC KEY');
    const second = await loadOrCreateKeys(dir);
    expect(second.generated).toBe(false);
    expect(second.keys.signing.kid).toBe(first.keys.signing.kid);
  });

  it('keeps trusting the previous public key after rotation', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'keys-'));
    const before = await loadOrCreateKeys(dir);
    const oldTokens = new TokenService(before.keys, testConfig().tokens);
    const { token } = await oldTokens.signAccessToken({ userId: 'u1', sessionId: 's1' });

    renameSync(path.join(dir, 'public.pem'), path.join(dir, 'previous-1.pem'));
    renameSync(path.join(dir, 'private.pem'), path.join(dir, 'retired.key'));
    const after = await loadOrCreateKeys(dir);
    expect(after.generated).toBe(true);
    expect(after.keys.signing.kid).not.toBe(before.keys.signing.kid);
    expect(after.keys.jwks.keys.map((k) => k.kid).sort()).toEqual(
      [before.keys.signing.kid, after.keys.signing.kid].sort(),
    );
    const newTokens = new TokenService(after.keys, testConfig().tokens);
    await expect(newTokens.verifyAccessToken(token)).resolves.toMatchObject({
      userId: 'u1',
      sessionId: 's1',
    });
  });
});

import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/env';

describe('TRUST_PROXY', () => {
  it('trusts no proxy by default, private-network proxies for "true", or the listed proxies', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'false' }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '0' }).trustProxy).toBe(false);
    const privateRanges = ['loopback', 'linklocal', 'uniquelocal'];
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toEqual(privateRanges);
    expect(loadConfig({ TRUST_PROXY: 'yes' }).trustProxy).toEqual(privateRanges);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 192.168.1.4,::1, fd00::/8,loopback' }).trustProxy).toEqual([
      '10.0.0.0/8',
      '192.168.1.4',
      '::1',
      'fd00::/8',
      'loopback',
    ]);
  });

  it.each(['everyone', '10.0.0.0/33', '10.0.0.1/8/1', '300.1.1.1', '2', 'fe80::/129'])(
    'stops the start on %j, naming the variable',
    (value) => {
      expect(() => loadConfig({ TRUST_PROXY: value })).toThrow(
        /TRUST_PROXY: .*is not true, false, an IP address/,
      );
    },
  );
});

describe('METRICS_TOKEN', () => {
  it('is off by default and needs at least 16 characters', () => {
    expect(loadConfig({}).metricsToken).toBeUndefined();
    expect(loadConfig({ METRICS_TOKEN: 'a-long-enough-token' }).metricsToken).toBe('a-long-enough-token');
    expect(() => loadConfig({ METRICS_TOKEN: 'short' })).toThrow(/METRICS_TOKEN: at least 16 characters/);
  });
});

describe('AGENTS_MAX_PER_USER', () => {
  it('is 50 by default and takes a whole number from 1 to 1000', () => {
    expect(loadConfig({}).api.agents.maxPerUser).toBe(50);
    expect(loadConfig({ AGENTS_MAX_PER_USER: '1' }).api.agents.maxPerUser).toBe(1);
    expect(loadConfig({ AGENTS_MAX_PER_USER: '200' }).api.agents.maxPerUser).toBe(200);
    expect(loadConfig({ AGENTS_MAX_PER_USER: '1000' }).api.agents.maxPerUser).toBe(1000);
  });

  it.each([
    ['0', /AGENTS_MAX_PER_USER: Too small: expected number to be >=1/],
    ['-5', /AGENTS_MAX_PER_USER: Too small: expected number to be >=1/],
    ['1001', /AGENTS_MAX_PER_USER: Too big: expected number to be <=1000/],
    ['2.5', /AGENTS_MAX_PER_USER: Invalid input: expected int/],
    ['fifty', /AGENTS_MAX_PER_USER: Invalid input: expected number/],
  ])('stops the start on %j, naming the variable', (value, message) => {
    expect(() => loadConfig({ AGENTS_MAX_PER_USER: value })).toThrow(message);
  });
});

describe('AI_PROVIDERS reasoningTag', () => {
  const providers = (extra: Record<string, unknown>) =>
    JSON.stringify([{ name: 'llama', baseURL: 'http://127.0.0.1:8080/v1', models: ['qwen3'], ...extra }]);

  it('is absent by default and takes a tag name', () => {
    expect(loadConfig({ AI_PROVIDERS: providers({}) }).api.ai.providers[0]?.reasoningTag).toBeUndefined();
    expect(
      loadConfig({ AI_PROVIDERS: providers({ reasoningTag: 'think' }) }).api.ai.providers[0]?.reasoningTag,
    ).toBe('think');
  });

  it.each(['', '<think>', 'two words', 'x'.repeat(33)])(
    'stops the start on %j, naming the variable',
    (tag) => {
      expect(() => loadConfig({ AI_PROVIDERS: providers({ reasoningTag: tag }) })).toThrow(/AI_PROVIDERS: /);
    },
  );
});

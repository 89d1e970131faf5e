import { APICallError } from 'ai';
import { describe, expect, it } from 'vitest';
import { describeEmptyReply, describeFailure, providerReason } from './failures';

const refused = (statusCode: number, body: unknown, data?: unknown) =>
  new APICallError({
    message: 'Bad Request',
    url: 'http://127.0.0.1:1/v1/chat/completions',
    requestBodyValues: {},
    statusCode,
    responseBody: typeof body === 'string' ? body : JSON.stringify(body),
    ...(data === undefined ? {} : { data }),
  });

describe('describeFailure: a refused request in the provider’s own words', () => {
  it('takes the message of an OpenAI-style error body, parsed or raw, as one line', () => {
    const body = { error: { message: 'The model `gpt-9` does not exist\n or you have no access to it.' } };
    expect(describeFailure(refused(404, body, body))).toBe(
      'The AI provider rejected the request (HTTP 404): The model `gpt-9` does not exist or you have no access to it.',
    );
    // Not parsed by the SDK (another error shape): read from the raw body, `{ error: "..." }` too.
    expect(describeFailure(refused(400, { error: 'temperature must be at most 1' }))).toBe(
      'The AI provider rejected the request (HTTP 400): temperature must be at most 1',
    );
  });

  it('hides anything like a key, clips a long message, and says only the status when there is no message', () => {
    const leak = { error: { message: 'Invalid key sk-proj-abcdefghijklmnop1234 for this model' } };
    expect(describeFailure(refused(400, leak))).toBe(
      'The AI provider rejected the request (HTTP 400): Invalid key [hidden] for this model',
    );
    const token = { error: { message: `Session ${'a1B2'.repeat(10)} expired; gsk_abcdef123456 too` } };
    expect(providerReason(refused(400, token))).toBe('Session [hidden] expired; [hidden] too');
    const why = providerReason(refused(422, { error: { message: 'Far too long. '.repeat(40) } }));
    expect(why).toHaveLength(200);
    expect(why?.endsWith('…')).toBe(true);
    for (const body of ['<html>Bad gateway</html>', { error: { code: 42 } }, { error: '   ' }, {}])
      expect(describeFailure(refused(400, body))).toBe('The AI provider rejected the request (HTTP 400).');
  });

  it('keeps its own sentences for credentials, rate limits and server errors, whatever the body says', () => {
    const body = { error: { message: 'Incorrect API key provided: sk-abc...' } };
    expect(describeFailure(refused(401, body, body))).toBe(
      'The AI provider refused the server’s credentials. Please tell the operator.',
    );
    expect(describeFailure(refused(429, body))).toMatch(/busy \(rate limited\)/);
    expect(describeFailure(refused(503, body))).toBe(
      'The AI provider had an internal error (HTTP 503). Please try again.',
    );
  });
});

describe('describeEmptyReply', () => {
  it('says why a finished reply has no text, by the unified finish reason', () => {
    expect(describeEmptyReply('length')).toMatch(/used up its output budget/);
    expect(describeEmptyReply('content-filter')).toMatch(/content filter withheld the reply/);
    for (const reason of ['stop', 'other', null])
      expect(describeEmptyReply(reason)).toBe(
        'The model finished without writing any reply. Please try again.',
      );
  });
});

/** What a reply's failure becomes: a sentence for the person (stored and streamed) and a record for the log. */
import { APICallError } from 'ai';

export class ModelUnavailable extends Error {
  constructor(readonly model: string) {
    super(`model ${model} is not configured`);
  }
}

/** Turns whatever went wrong into a sentence for a person; details go to the log. */
export function describeFailure(err: unknown): string {
  if (err instanceof ModelUnavailable)
    return `The model "${err.model}" is not available on this server. Pick another model for this agent.`;
  if (APICallError.isInstance(err)) {
    const s = err.statusCode;
    if (s === 401 || s === 403)
      return 'The AI provider refused the server’s credentials. Please tell the operator.';
    if (s === 429) return 'The AI provider is busy (rate limited). Please try again in a moment.';
    // The answer had started (HTTP 2xx) and its body broke off.
    if (s !== undefined && s >= 200 && s < 300)
      return 'The connection to the AI provider was lost in the middle of the reply.';
    if (s !== undefined && s >= 500)
      return `The AI provider had an internal error (HTTP ${s}). Please try again.`;
    if (s !== undefined) {
      // A 4xx says something about this request (the chat is longer than the model's context, a setting the
      // model does not take, a model the provider does not have): the provider's own sentence tells the person
      // or the operator what to change.
      const why = providerReason(err);
      return `The AI provider rejected the request (HTTP ${s})${why ? `: ${why}` : '.'}`;
    }
    return 'The AI provider could not be reached. Please try again later.';
  }
  const text = `${(err as Error)?.name ?? ''} ${(err as Error)?.message ?? String(err)} ${String((err as { cause?: unknown })?.cause ?? '')}`;
  if (/ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|fetch failed|Cannot connect/i.test(text))
    return 'The AI provider could not be reached. Please try again later.';
  if (/JSON|Type validation|parse/i.test(text)) return 'The AI provider sent a malformed response.';
  if (/terminated|socket|ECONNRESET|other side closed|aborted/i.test(text))
    return 'The connection to the AI provider was lost in the middle of the reply.';
  return 'The AI provider failed to answer. Please try again.';
}

/**
 * Anything in a provider's sentence that looks like a credential, hidden before it is shown: a key with a known
 * prefix (`sk-`, `sk-or-`, `gsk_`, `hf_`, ...) or any unbroken run of 32 or more letters, digits, `-` and `_`.
 */
const CREDENTIAL = /\b(?:sk|pk|rk|gsk|hf)[-_][A-Za-z0-9_-]{8,}|[A-Za-z0-9_-]{32,}/g;

/**
 * The provider's explanation of a refused request, from the OpenAI-style error body (`{ error: { message } }`, or
 * `{ error: "..." }` as some servers send it): one line, at most 200 characters, anything like a key hidden.
 */
export function providerReason(err: APICallError): string | undefined {
  let data = err.data;
  if (data === undefined && err.responseBody) {
    try {
      data = JSON.parse(err.responseBody);
    } catch {
      return undefined;
    }
  }
  const error = (data as { error?: unknown } | null | undefined)?.error;
  const message =
    typeof error === 'string' ? error : (error as { message?: unknown } | null | undefined)?.message;
  if (typeof message !== 'string') return undefined;
  const line = message.replace(/\s+/g, ' ').trim().replace(CREDENTIAL, '[hidden]');
  if (!line) return undefined;
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}

/** Why a reply that finished (no error) has no text, from the provider's finish reason (the AI SDK's unified one). */
export function describeEmptyReply(finishReason: string | null): string {
  if (finishReason === 'length')
    return 'The model used up its output budget (the agent’s max output tokens) before writing any reply. Raise the limit or try again.';
  if (finishReason === 'content-filter') return 'The AI provider’s content filter withheld the reply.';
  return 'The model finished without writing any reply. Please try again.';
}

const clip = (v: unknown, max = 300): string | undefined =>
  typeof v === 'string' ? (v.length > max ? `${v.slice(0, max)}…` : v) : undefined;

/**
 * What the log keeps of a provider failure: its kind, status, endpoint and the start of the provider's answer.
 * Not the error object itself: the AI SDK's APICallError carries the whole request body (the system prompt and
 * the chat's history) and a validation error the chunk it read, and the logger would write every field.
 */
export function failureForLog(err: unknown): Record<string, unknown> {
  const e = (typeof err === 'object' && err !== null ? err : {}) as Record<string, unknown>;
  const cause = (typeof e.cause === 'object' && e.cause !== null ? e.cause : undefined) as
    | Record<string, unknown>
    | undefined;
  return {
    type: typeof e.name === 'string' ? e.name : typeof err,
    message: clip(e.message) ?? clip(String(err)),
    statusCode: typeof e.statusCode === 'number' ? e.statusCode : undefined,
    url: clip(e.url),
    responseBody: clip(e.responseBody),
    code: clip(e.code),
    cause: cause && { type: clip(cause.name), code: clip(cause.code), message: clip(cause.message) },
  };
}

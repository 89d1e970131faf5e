import type { CallOptions, GenerateResult, LanguageModelV3, StreamPart, StreamResult, Usage } from './types';

export const DEMO_MODEL_ID = 'local/demo';

function lastUserText(options: CallOptions): string {
  for (let i = options.prompt.length - 1; i >= 0; i--) {
    const m = options.prompt[i];
    if (m?.role !== 'user') continue;
    return m.content
      .map((p) => (p.type === 'text' ? p.text : ''))
      .join(' ')
      .trim();
  }
  return '';
}

const words = (s: string) => s.split(/\s+/).filter(Boolean).length;

/** The reply the demo model gives to a prompt: a pure function of the last user message. */
export function demoReply(userText: string): string {
  const quoted = userText.length > 120 ? `${userText.slice(0, 117)}...` : userText;
  return [
    `You said: "${quoted}".`,
    'I am the built-in demo model (local/demo): I run inside the server, need no API key and no network,',
    'and stream this deterministic reply word by word so every part of the platform can be tried offline.',
    'Set AI_BASE_URL, AI_API_KEY and AI_MODELS to talk to a real OpenAI-compatible model.',
  ].join(' ');
}

/** Splits text into pieces that concatenate back to it exactly: each word with its following space. */
export function wordPieces(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [];
}

function usageOf(options: CallOptions, completion: number): Usage {
  const prompt = options.prompt.reduce(
    (n, m) =>
      n +
      (typeof m.content === 'string'
        ? words(m.content)
        : m.content.reduce((k, p) => k + (p.type === 'text' ? words(p.text) : 0), 0)),
    0,
  );
  return {
    inputTokens: { total: prompt, noCache: prompt, cacheRead: undefined, cacheWrite: undefined },
    outputTokens: { total: completion, text: completion, reasoning: undefined },
  };
}

/**
 * The reply's word pieces, each counted as one token: cut after `maxOutputTokens` of them with the finish reason
 * `length`, as a model that reaches its output budget is.
 */
function replyFor(options: CallOptions) {
  const pieces = wordPieces(demoReply(lastUserText(options)));
  const max = options.maxOutputTokens;
  if (max !== undefined && max < pieces.length)
    return { pieces: pieces.slice(0, max), finishReason: { unified: 'length' as const, raw: 'length' } };
  return { pieces, finishReason: { unified: 'stop' as const, raw: 'stop' } };
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * `local/demo`: a real LanguageModelV3 that streams a deterministic reply word by word, with a fixed delay
 * between words, honouring the abort signal and the output budget (`maxOutputTokens`, a word a token) like a
 * network model would. It is the embedded default, so the first run needs no key and no network; the generation
 * code cannot tell it from a remote model.
 */
export function createDemoModel(opts: { wordDelayMs: number }): LanguageModelV3 {
  return {
    specificationVersion: 'v3',
    provider: 'local',
    modelId: 'demo',
    supportedUrls: {},
    async doGenerate(options): Promise<GenerateResult> {
      const { pieces, finishReason } = replyFor(options);
      return {
        content: [{ type: 'text', text: pieces.join('') }],
        finishReason,
        usage: usageOf(options, pieces.length),
        warnings: [],
      };
    },
    async doStream(options): Promise<StreamResult> {
      const { pieces, finishReason } = replyFor(options);
      const signal = options.abortSignal;
      let i = 0;
      const stream = new ReadableStream<StreamPart>({
        start(controller) {
          controller.enqueue({ type: 'stream-start', warnings: [] });
          controller.enqueue({ type: 'response-metadata', modelId: 'demo', timestamp: new Date() });
          controller.enqueue({ type: 'text-start', id: 't0' });
        },
        async pull(controller) {
          try {
            if (i > 0) await sleep(opts.wordDelayMs, signal);
          } catch (err) {
            controller.error(err);
            return;
          }
          const piece = pieces[i];
          if (piece !== undefined) {
            i++;
            controller.enqueue({ type: 'text-delta', id: 't0', delta: piece });
            return;
          }
          controller.enqueue({ type: 'text-end', id: 't0' });
          controller.enqueue({
            type: 'finish',
            finishReason,
            usage: usageOf(options, pieces.length),
          });
          controller.close();
        },
      });
      return { stream };
    },
  };
}

import type { LanguageModelV3, StreamPart } from '@chatplatform/api';

export interface InProcessPace {
  firstTokenDelayMs: number;
  interTokenMs: number;
  tokens: number;
}

/**
 * The streaming benchmark's model that costs nothing to read: it runs in the server process, with no HTTP,
 * no SSE parsing and no AI SDK provider stages, at the fake provider's pace. A level run on it shows what the
 * platform itself adds to the time to first token with the provider read taken away.
 *
 * `onDue` gets, per call, the last user message and the moment its first token was due (epoch ms): the
 * "provider's first token". A server too busy to run the timer on time adds that delay to the measurement, as
 * it would leave a real provider's token waiting in the socket.
 */
export function createInProcessModel(
  pace: InProcessPace,
  onDue: (userText: string, dueEpochMs: number) => void,
): LanguageModelV3 {
  const epochNow = () => performance.timeOrigin + performance.now();
  return {
    specificationVersion: 'v3',
    provider: 'bench',
    modelId: 'inproc',
    supportedUrls: {},
    async doGenerate() {
      throw new Error('the in-process benchmark model only streams');
    },
    async doStream(options) {
      const last = [...options.prompt].reverse().find((m) => m.role === 'user');
      const userText =
        last && typeof last.content !== 'string'
          ? last.content.map((p) => (p.type === 'text' ? p.text : '')).join('')
          : '';
      onDue(userText, epochNow() + pace.firstTokenDelayMs);
      const signal = options.abortSignal;
      let timer: NodeJS.Timeout | undefined;
      const stream = new ReadableStream<StreamPart>({
        start(controller) {
          controller.enqueue({ type: 'stream-start', warnings: [] });
          controller.enqueue({ type: 'text-start', id: 't0' });
          let i = 0;
          let finished = false;
          const next = () => {
            controller.enqueue({ type: 'text-delta', id: 't0', delta: `tok${i} ` });
            i++;
            if (i < pace.tokens) {
              timer = setTimeout(next, pace.interTokenMs);
              return;
            }
            controller.enqueue({ type: 'text-end', id: 't0' });
            controller.enqueue({
              type: 'finish',
              finishReason: { unified: 'stop', raw: 'stop' },
              usage: {
                inputTokens: { total: 1, noCache: 1, cacheRead: undefined, cacheWrite: undefined },
                outputTokens: { total: pace.tokens, text: pace.tokens, reasoning: undefined },
              },
            });
            controller.close();
            finished = true;
          };
          timer = setTimeout(next, pace.firstTokenDelayMs);
          signal?.addEventListener(
            'abort',
            () => {
              clearTimeout(timer);
              if (!finished) controller.error(signal.reason);
            },
            { once: true },
          );
        },
        cancel() {
          clearTimeout(timer);
        },
      });
      return { stream };
    },
  };
}

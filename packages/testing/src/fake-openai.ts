import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type FailureMode =
  /** HTTP 500 with an OpenAI-style error body, before any token. */
  | 'status500'
  /** HTTP 400 with an OpenAI-style error body saying `errorMessage` (a request the provider refuses). */
  | 'status400'
  /** Accepts the request and never answers (headers never sent). */
  | 'hang'
  /** Sends `failAfterTokens` tokens, then stays silent with the connection open. */
  | 'hangMidStream'
  /** Sends `failAfterTokens` tokens, then destroys the socket. */
  | 'closeMidStream'
  /** Sends `failAfterTokens` tokens, then a chunk that is not JSON. */
  | 'malformedChunk';

export interface FakeBehavior {
  /** The reply text, or a function of the request's messages. Split into word tokens. */
  reply: string | ((messages: Array<{ role: string; content: unknown }>) => string);
  firstTokenDelayMs: number;
  interTokenDelayMs: number;
  failure?: FailureMode;
  failAfterTokens?: number;
  /**
   * A reasoning model's thinking, streamed before the reply as `delta.reasoning_content` chunks (word tokens,
   * `interTokenDelayMs` apart), as vLLM, Ollama, DeepSeek and OpenRouter send it. Failure modes count reply tokens.
   */
  reasoning?: string;
  /** The message of the `status400` failure's error body. */
  errorMessage?: string;
  /** The last chunk's `finish_reason` (default `stop`; `length` when the output budget ran out). */
  finishReason?: string;
}

export interface FakeRequestRecord {
  model: string;
  messages: Array<{ role: string; content: unknown }>;
  body: Record<string, unknown>;
  authorization: string | undefined;
  receivedAt: number;
  /** performance.now() when the first content chunk was written (the provider's first token). */
  firstTokenAt?: number;
}

export interface FakeOpenAI {
  /** Base URL to configure the provider with, ending in /v1. */
  baseURL: string;
  requests: FakeRequestRecord[];
  /** Behaviour for requests naming `model`; other models get the default. */
  setBehavior(model: string | '*', b: Partial<FakeBehavior>): void;
  close(): Promise<void>;
}

const DEFAULT: FakeBehavior = {
  reply: 'Hello from the fake provider. This reply arrives token by token.',
  firstTokenDelayMs: 0,
  interTokenDelayMs: 0,
  failAfterTokens: 3,
};

export const tokensOf = (text: string): string[] => text.match(/\S+\s*|\s+/g) ?? [];

const sleep = (ms: number) => (ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve());

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
}

/**
 * A real OpenAI-compatible HTTP server on loopback: POST /v1/chat/completions answers with SSE chunks
 * (`data: {...chat.completion.chunk}`), the usage in the last chunk and `data: [DONE]`, with configurable
 * first-token and inter-token delays and failure modes. Integration tests and the benchmark use it through
 * the real provider (@ai-sdk/openai-compatible) instead of mocking anything.
 */
export async function startFakeOpenAI(defaults: Partial<FakeBehavior> = {}): Promise<FakeOpenAI> {
  const behaviors = new Map<string, FakeBehavior>();
  behaviors.set('*', { ...DEFAULT, ...defaults });
  const requests: FakeRequestRecord[] = [];
  const sockets = new Set<import('node:net').Socket>();

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  async function handle(req: IncomingMessage, res: ServerResponse) {
    if (req.method !== 'POST' || !req.url?.startsWith('/v1/chat/completions')) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'not found', type: 'invalid_request_error' } }));
      return;
    }
    const body = await readJson(req);
    const model = String(body.model ?? '');
    const messages = (body.messages ?? []) as FakeRequestRecord['messages'];
    const record: FakeRequestRecord = {
      model,
      messages,
      body,
      authorization: req.headers.authorization,
      receivedAt: performance.now(),
    };
    requests.push(record);
    const b = behaviors.get(model) ?? behaviors.get('*') ?? DEFAULT;

    if (b.failure === 'hang') return; // never answer; the client's timeout or abort ends it
    if (b.failure === 'status400') {
      res.writeHead(400, { 'content-type': 'application/json' });
      const message = b.errorMessage ?? 'Invalid request.';
      res.end(JSON.stringify({ error: { message, type: 'invalid_request_error', param: null, code: null } }));
      return;
    }
    if (b.failure === 'status500') {
      await sleep(b.firstTokenDelayMs);
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'The server had an error', type: 'server_error' } }));
      return;
    }

    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.flushHeaders();
    const id = `chatcmpl-${Math.random().toString(36).slice(2)}`;
    const created = Math.floor(Date.now() / 1000);
    const chunk = (delta: Record<string, unknown>, finish: string | null) =>
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;

    const text = typeof b.reply === 'function' ? b.reply(messages) : b.reply;
    const tokens = tokensOf(text);
    const thoughts = tokensOf(b.reasoning ?? '');
    const write = (data: string) => new Promise<void>((r) => res.write(data, () => r()));
    await sleep(b.firstTokenDelayMs);
    let chunks = 0;
    for (const t of thoughts) {
      if (res.destroyed) return;
      if (chunks > 0) await sleep(b.interTokenDelayMs);
      await write(
        chunk(chunks === 0 ? { role: 'assistant', reasoning_content: t } : { reasoning_content: t }, null),
      );
      chunks++;
    }
    let sent = 0;
    for (const t of tokens) {
      if (res.destroyed) return;
      if (b.failure && sent >= (b.failAfterTokens ?? 0)) {
        if (b.failure === 'closeMidStream') {
          // FIN without the chunked terminator: what is already written arrives, then the body breaks off.
          res.socket?.end();
          return;
        }
        if (b.failure === 'malformedChunk') {
          res.write('data: {"id": this is not json\n\n');
          await sleep(5);
          res.end();
          return;
        }
        if (b.failure === 'hangMidStream') return;
      }
      if (chunks > 0) await sleep(b.interTokenDelayMs);
      await write(chunk(chunks === 0 ? { role: 'assistant', content: t } : { content: t }, null));
      if (sent === 0) record.firstTokenAt = performance.now();
      sent++;
      chunks++;
    }
    res.write(chunk({}, b.finishReason ?? 'stop'));
    const promptTokens = messages.reduce(
      (n, m) => n + tokensOf(typeof m.content === 'string' ? m.content : JSON.stringify(m.content)).length,
      0,
    );
    res.write(
      `data: ${JSON.stringify({
        id,
        object: 'chat.completion.chunk',
        created,
        model,
        choices: [],
        usage: {
          prompt_tokens: promptTokens,
          completion_tokens: thoughts.length + tokens.length,
          total_tokens: promptTokens + thoughts.length + tokens.length,
        },
      })}\n\n`,
    );
    res.write('data: [DONE]\n\n');
    res.end();
  }

  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    setBehavior(model, b) {
      const base = behaviors.get(model) ?? behaviors.get('*') ?? DEFAULT;
      behaviors.set(model, { ...base, ...b });
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** A loopback URL where nothing listens (a port bound then released): the "unreachable provider". */
export async function unreachableBaseURL(): Promise<string> {
  const s = createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return `http://127.0.0.1:${port}/v1`;
}

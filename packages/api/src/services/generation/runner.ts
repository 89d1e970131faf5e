import type { Database } from '@chatplatform/db';
import {
  finishAssistantMessage,
  listHistoryForChat,
  listStaleStreaming,
  markInterrupted,
  touchHeartbeats,
} from '@chatplatform/db/queries';
import type { ModelMessage } from 'ai';
import type { AiConfig } from '../../config';
import type { Logger } from '../../logger';
import type { EventLog, SignalBus } from '../../ports/types';
import type { ResolvedAgent } from '../agents';
import type { ModelRegistry } from '../ai/registry';
import type { CallOptions, StreamPart } from '../ai/types';
import { refundReply } from '../quota';
import { buildPrompt } from './context';
import { DeltaWriter } from './delta-writer';
import { type ClosingEvent, logKey, parseEvent } from './events';
import { describeEmptyReply, describeFailure, failureForLog, ModelUnavailable } from './failures';

export const STOP_CHANNEL = 'generation:stop';

/** What a generation job needs; everything else it reads itself. */
export interface JobSpec {
  messageId: string;
  userId: string;
  chatId: string;
  /** seq of the user message being answered: the history ends there. */
  parentSeq: number;
  agent: ResolvedAgent;
}

type AbortKind = 'stop' | 'first-token' | 'total' | 'shutdown';

class GenerationAbort extends Error {
  constructor(readonly kind: AbortKind) {
    super(`generation aborted: ${kind}`);
  }
}

const INTERRUPTED_TEXT = 'The server handling this reply went away before it finished.';

/** The AI SDK's provider-level prompt for a system prompt and text turns. */
function toModelPrompt(system: string | undefined, messages: ModelMessage[]): CallOptions['prompt'] {
  const prompt: CallOptions['prompt'] = system ? [{ role: 'system', content: system }] : [];
  for (const m of messages) {
    const text = typeof m.content === 'string' ? m.content : '';
    if (m.role === 'user') prompt.push({ role: 'user', content: [{ type: 'text', text }] });
    else if (m.role === 'assistant') prompt.push({ role: 'assistant', content: [{ type: 'text', text }] });
  }
  return prompt;
}

/** How a reply run on this instance ended: what /metrics counts. */
export interface ReplyEnded {
  status: 'done' | 'stopped' | 'error' | 'interrupted';
  /** From the job's start (history read, request) to the provider's first text; null when none came. */
  timeToFirstTokenMs: number | null;
  durationMs: number;
}

interface Job {
  spec: JobSpec;
  ac: AbortController;
  done: Promise<void>;
}

export interface RunnerDeps {
  db: Database;
  events: EventLog;
  signals: SignalBus;
  config: AiConfig;
  registry: ModelRegistry;
  logger: Logger;
}

/**
 * Runs generation jobs on this instance, independent of any request or subscriber: calls the model through
 * the AI SDK, appends coalesced deltas to the message's event log, writes the final row once, and keeps
 * a heartbeat for its running replies. Any instance's sweeper turns replies whose heartbeat stopped into
 * `interrupted`. Stop signals arrive through the signal bus from whichever instance received message.stop.
 */
export class GenerationRunner {
  private readonly jobs = new Map<string, Job>();
  private started: Promise<void> | undefined;
  private unsubscribe: (() => void) | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  private stopping = false;
  private readonly endListeners = new Set<(r: ReplyEnded) => void>();
  /**
   * Text deltas read from providers by this instance since it started (OpenAI-compatible providers send about
   * one token per delta). Each costs the main thread about 0.1 ms in the AI SDK: the figure to size by.
   */
  deltasRead = 0;

  constructor(private readonly deps: RunnerDeps) {}

  /** Calls `fn` as each reply run here ends (before its closing event); returns the unsubscribe. */
  onReplyEnded(fn: (r: ReplyEnded) => void): () => void {
    this.endListeners.add(fn);
    return () => this.endListeners.delete(fn);
  }

  /** Subscribes to stop signals and starts the heartbeat and the sweeper; idempotent. */
  start(): Promise<void> {
    this.started ??= (async () => {
      this.unsubscribe = await this.deps.signals.subscribe(STOP_CHANNEL, (id) => {
        this.jobs.get(id)?.ac.abort(new GenerationAbort('stop'));
      });
      const { heartbeatMs, staleAfterMs } = this.deps.config;
      this.heartbeat = setInterval(() => {
        touchHeartbeats(this.deps.db, { ids: [...this.jobs.keys()] }).catch((err) =>
          this.deps.logger.warn({ err }, 'heartbeat write failed'),
        );
      }, heartbeatMs);
      this.heartbeat.unref();
      this.sweeper = setInterval(
        () => {
          this.sweep().catch((err) => this.deps.logger.warn({ err }, 'interrupted-reply sweep failed'));
        },
        Math.max(250, Math.floor(staleAfterMs / 2)),
      );
      this.sweeper.unref();
    })();
    return this.started;
  }

  get running(): number {
    return this.jobs.size;
  }

  isRunning(messageId: string): boolean {
    return this.jobs.has(messageId);
  }

  /** Registers the job synchronously (a stop right after send finds it) and runs it in the background. */
  launch(spec: JobSpec): void {
    const ac = new AbortController();
    if (this.stopping) ac.abort(new GenerationAbort('shutdown'));
    const job: Job = { spec, ac, done: Promise.resolve() };
    this.jobs.set(spec.messageId, job);
    job.done = this.run(job)
      .catch((err) => this.deps.logger.error({ err, messageId: spec.messageId }, 'generation job crashed'))
      .finally(() => this.jobs.delete(spec.messageId));
  }

  private async run(job: Job): Promise<void> {
    const { spec, ac } = job;
    const { db, config, events, logger } = this.deps;
    const key = logKey(spec.messageId);
    const started = performance.now();
    let firstTokenAt: number | null = null;
    let text = '';
    let finishReason: string | null = null;
    let finishUnified: string | null = null;
    let promptTokens: number | null = null;
    let completionTokens: number | null = null;
    let failure: unknown;
    let requestMade = false;
    const writer = new DeltaWriter(events, key, config.eventTtlSeconds, config.coalesceMs, (err) =>
      logger.warn({ err, messageId: spec.messageId }, 'event log append failed'),
    );
    const firstTimer = setTimeout(
      () => ac.abort(new GenerationAbort('first-token')),
      config.firstTokenTimeoutMs,
    );
    const totalTimer = setTimeout(() => ac.abort(new GenerationAbort('total')), config.totalTimeoutMs);
    try {
      const model = this.deps.registry.get(spec.agent.model);
      if (!model) throw new ModelUnavailable(spec.agent.model);
      const history = await listHistoryForChat(db, {
        chatId: spec.chatId,
        uptoSeq: spec.parentSeq,
        limit: 200,
      });
      const prompt = buildPrompt({
        systemPrompt: spec.agent.systemPrompt,
        history,
        budgetChars: config.contextBudgetChars,
      });
      ac.signal.throwIfAborted();
      requestMade = true;
      // The model's own streaming call (LanguageModelV3.doStream), not streamText: one request, no retries (one
      // request = one API call) and no tool loop, and about 20 times less CPU per reply (measured: ~0.5 ms
      // against ~12 ms), which is most of what a reply costs the server.
      const { stream } = await model.doStream({
        prompt: toModelPrompt(prompt.system, prompt.messages),
        temperature: spec.agent.temperature,
        maxOutputTokens: spec.agent.maxOutputTokens,
        abortSignal: ac.signal,
      });
      for await (const part of stream as unknown as AsyncIterable<StreamPart>) {
        if (part.type === 'text-delta') {
          if (!part.delta) continue;
          if (firstTokenAt === null) {
            firstTokenAt = performance.now();
            clearTimeout(firstTimer);
          }
          text += part.delta;
          this.deltasRead++;
          writer.push(part.delta);
        } else if (part.type === 'reasoning-delta') {
          // A reasoning model thinks before it answers: it has started, so the first-token timeout (which is
          // there to catch a provider that never answers) is met. Its thinking is not the reply: neither stored
          // nor streamed, and the time to first token is to the reply's first text.
          if (part.delta) clearTimeout(firstTimer);
        } else if (part.type === 'finish') {
          finishReason = part.finishReason.raw ?? part.finishReason.unified;
          finishUnified = part.finishReason.unified;
          promptTokens = part.usage.inputTokens.total ?? null;
          completionTokens = part.usage.outputTokens.total ?? null;
        } else if (part.type === 'error') {
          failure ??= part.error;
        }
        if (ac.signal.aborted) break;
      }
    } catch (err) {
      failure ??= err;
    } finally {
      clearTimeout(firstTimer);
      clearTimeout(totalTimer);
    }

    const reason: unknown = ac.signal.aborted ? ac.signal.reason : undefined;
    let status: 'done' | 'stopped' | 'error' | 'interrupted' = 'done';
    let closing: ClosingEvent;
    let errorMessage: string | null = null;
    if (reason instanceof GenerationAbort) {
      if (reason.kind === 'stop') status = 'stopped';
      else if (reason.kind === 'shutdown') {
        status = 'interrupted';
        errorMessage = 'The server restarted while this reply was being written.';
      } else {
        status = 'error';
        errorMessage =
          reason.kind === 'first-token'
            ? `The model did not start answering within ${Math.round(config.firstTokenTimeoutMs / 1000)} s.`
            : `The reply took longer than ${Math.round(config.totalTimeoutMs / 1000)} s and was cut off.`;
      }
    } else if (failure !== undefined) {
      status = 'error';
      errorMessage = describeFailure(failure);
      logger.warn(
        { failure: failureForLog(failure), messageId: spec.messageId, model: spec.agent.model },
        'model call failed',
      );
    } else if (text.length === 0) {
      // The model finished without a word of reply (all its output budget spent thinking, a content filter, or
      // nothing at all): an empty "done" bubble would say nothing. It ends as an error that says why, and the
      // AI message is given back as for any reply that produced nothing.
      status = 'error';
      errorMessage = describeEmptyReply(finishUnified);
      logger.warn(
        { messageId: spec.messageId, model: spec.agent.model, finishReason },
        'model finished without any text',
      );
    }
    if (status === 'done') {
      closing = {
        type: 'done',
        finishReason,
        model: spec.agent.model,
        usage: {
          promptTokens,
          completionTokens,
          totalTokens:
            promptTokens === null && completionTokens === null
              ? null
              : (promptTokens ?? 0) + (completionTokens ?? 0),
        },
      };
    } else if (status === 'stopped') closing = { type: 'stopped' };
    else if (status === 'interrupted')
      closing = { type: 'interrupted', message: errorMessage ?? INTERRUPTED_TEXT };
    else closing = { type: 'error', message: errorMessage ?? 'The reply failed.' };

    // Every delta is in the log before the row says the reply ended, and the row before the closing event:
    // a client that sees the closing event and reads the message finds the final text.
    await writer.drain();
    const ended = performance.now();
    const timeToFirstTokenMs = firstTokenAt === null ? null : Math.round(firstTokenAt - started);
    const durationMs = Math.round(ended - started);
    for (const fn of this.endListeners) {
      try {
        fn({ status, timeToFirstTokenMs, durationMs });
      } catch (err) {
        logger.warn({ err, messageId: spec.messageId }, 'reply-ended listener failed');
      }
    }
    const row = await finishAssistantMessage(db, {
      id: spec.messageId,
      status,
      content: text,
      modelUsed: spec.agent.model,
      promptTokens,
      completionTokens,
      finishReason: status === 'done' ? finishReason : status,
      errorMessage,
      timeToFirstTokenMs,
      durationMs,
    });
    if (!row) return; // someone else (a sweeper) ended it already and told the subscribers.
    if (text.length === 0 && (status === 'error' || status === 'interrupted')) {
      await refundReply(db, spec.userId, { requestMade });
    }
    await events.append(key, JSON.stringify(closing), config.eventTtlSeconds).catch((err) => {
      logger.warn({ err, messageId: spec.messageId }, 'closing event append failed');
    });
  }

  /**
   * Marks replies whose generator stopped beating `interrupted`, with the text that reached the event log.
   * Conditional on the status, so of several sweeping instances exactly one wins each message.
   */
  async sweep(): Promise<number> {
    const before = new Date(Date.now() - this.deps.config.staleAfterMs);
    const stale = await listStaleStreaming(this.deps.db, { before, limit: 100 });
    let n = 0;
    for (const m of stale) {
      if (this.jobs.has(m.id)) continue;
      const key = logKey(m.id);
      const entries = await this.deps.events.read(key, null);
      let content = '';
      for (const e of entries) {
        const ev = parseEvent(e.data);
        if (ev?.type === 'delta') content += ev.text;
      }
      const row = await markInterrupted(this.deps.db, {
        id: m.id,
        before,
        content,
        errorMessage: INTERRUPTED_TEXT,
      });
      if (!row) continue;
      n++;
      if (content.length === 0) await refundReply(this.deps.db, m.userId, { requestMade: true });
      await this.deps.events.append(
        key,
        JSON.stringify({ type: 'interrupted', message: INTERRUPTED_TEXT } satisfies ClosingEvent),
        this.deps.config.eventTtlSeconds,
      );
    }
    return n;
  }

  /**
   * Shutdown: running replies end now as `interrupted` with their partial text (refunded when empty) and
   * their subscribers, on any instance, get the closing event. Nothing is left `streaming`.
   */
  async shutdown(): Promise<void> {
    this.stopping = true;
    clearInterval(this.heartbeat);
    clearInterval(this.sweeper);
    this.unsubscribe?.();
    const jobs = [...this.jobs.values()];
    for (const j of jobs) j.ac.abort(new GenerationAbort('shutdown'));
    await Promise.allSettled(jobs.map((j) => j.done));
  }
}

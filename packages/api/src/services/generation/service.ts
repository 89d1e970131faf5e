import { randomUUID } from 'node:crypto';
import type { Database, Executor, Message } from '@chatplatform/db';
import {
  bumpChatForUser,
  countStreamingForUser,
  deleteChatForUser,
  getMessageById,
  getMessageForUser,
  insertMessages,
  type NewMessageParams,
} from '@chatplatform/db/queries';
import type { ApiConfig } from '../../config';
import { AppError, notFound } from '../../errors';
import type { Logger } from '../../logger';
import { compareIds } from '../../ports/events';
import type { LogWatch, Ports } from '../../ports/types';
import { type ResolvedAgent, resolveChatAgent } from '../agents';
import { ModelRegistry } from '../ai/registry';
import { reserveReply } from '../quota';
import { type ClosingEvent, EVENT_ID, eventId, logKey, parseEvent, type StreamEvent } from './events';
import { GenerationRunner, STOP_CHANNEL } from './runner';
import { titleFromMessage } from './title';

export interface TrackedEvent {
  id: string;
  event: StreamEvent;
}

/** The id after `id` in the log's order, for events made up from the database row. */
function nextId(id: string | null): string {
  if (!id) return '0-1';
  const [ms = '0', seq = '0'] = id.split('-');
  return `${ms}-${Number(seq) + 1}`;
}

function closingFromRow(m: Message | undefined): ClosingEvent {
  if (!m) return { type: 'error', message: 'This message was deleted.' };
  switch (m.status) {
    case 'done':
      return {
        type: 'done',
        finishReason: m.finishReason,
        model: m.modelUsed ?? '',
        usage: {
          promptTokens: m.promptTokens,
          completionTokens: m.completionTokens,
          totalTokens: m.tokensUsed,
        },
      };
    case 'stopped':
      return { type: 'stopped' };
    case 'error':
      return { type: 'error', message: m.errorMessage ?? 'The reply failed.' };
    default:
      return { type: 'interrupted', message: m.errorMessage ?? 'The reply was interrupted.' };
  }
}

/** A new AI message, `streaming` with a first heartbeat, answering `parentId` with `agent`. */
function streamingReply(
  chatId: string,
  userId: string,
  parentId: string,
  agent: ResolvedAgent,
): NewMessageParams {
  return {
    chatId,
    userId,
    role: 'AI',
    content: '',
    status: 'streaming',
    parentId,
    agentId: agent.id,
    modelUsed: agent.model,
    heartbeatAt: new Date(),
  };
}

/** `p`, or sooner when the signal aborts; the listener lives only while waiting. */
function abortable(p: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return p;
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      signal.removeEventListener('abort', done);
      resolve();
    };
    signal.addEventListener('abort', done, { once: true });
    p.then(done, done);
  });
}

/**
 * message.send / regenerate / stop / stream. Writes happen in one transaction that reserves quota first
 * (so an exhausted user writes nothing), then the reply runs as a job on this instance's runner, and any
 * instance can follow it from the event log.
 */
export class GenerationService {
  readonly registry: ModelRegistry;
  readonly runner: GenerationRunner;
  /** The watches of open message.stream followers: shutdown closes them, which wakes each follower. */
  private readonly following = new Set<LogWatch>();
  private closing = false;

  constructor(
    private readonly deps: { db: Database; config: ApiConfig; ports: Ports; logger: Logger },
    registry?: ModelRegistry,
  ) {
    this.registry = registry ?? new ModelRegistry(deps.config.ai);
    this.runner = new GenerationRunner({
      db: deps.db,
      events: deps.ports.events,
      signals: deps.ports.signals,
      config: deps.config.ai,
      registry: this.registry,
      logger: deps.logger,
    });
  }

  start(): Promise<void> {
    return this.runner.start();
  }

  /** Refuses a new reply when the user already has `maxConcurrentPerUser` running (inside the reserving tx). */
  private async checkConcurrency(tx: Executor, userId: string): Promise<void> {
    const max = this.deps.config.ai.maxConcurrentPerUser;
    // The reservation above holds the user's row lock, so this count is exact for this user.
    const n = await countStreamingForUser(tx, { userId });
    if (n >= max)
      throw new AppError(
        'TOO_MANY_REQUESTS',
        'CONCURRENCY_LIMIT',
        `You already have ${n} replies being written; wait for one to finish or stop it.`,
        { details: { max } },
      );
  }

  /**
   * Seven statements in one transaction: claim the chat (ownership, counters, first-message title), reserve
   * the quota, check the concurrency cap, resolve the agent, insert both messages. Locks are always taken
   * chat first, then user (regenerate does the same), so concurrent sends and regenerations never deadlock.
   */
  async send(userId: string, input: { chatId: string; content: string }) {
    await this.start();
    const ai = this.deps.config.ai;
    const r = await this.deps.db.transaction(async (tx) => {
      const chat = await bumpChatForUser(tx, {
        chatId: input.chatId,
        userId,
        messageDelta: 2,
        firstTitle: titleFromMessage(input.content),
      });
      if (!chat) throw notFound('Chat');
      await reserveReply(tx, userId);
      await this.checkConcurrency(tx, userId);
      const agent = await resolveChatAgent(tx, ai, { agentId: chat.agentId, userId });
      const userMessageId = randomUUID();
      const [user, reply] = await insertMessages(tx, [
        { id: userMessageId, chatId: chat.id, userId, role: 'USER', content: input.content },
        streamingReply(chat.id, userId, userMessageId, agent),
      ]);
      if (!user || !reply) throw new Error('insert returned fewer messages than it was given');
      return { user, reply, agent };
    });
    this.runner.launch({
      messageId: r.reply.id,
      userId,
      chatId: r.reply.chatId,
      parentSeq: r.user.seq,
      agent: r.agent,
    });
    return { userMessage: r.user, assistantMessage: r.reply };
  }

  /** A new reply to the same user message (given the user message or one of its replies); quota as any reply. */
  async regenerate(userId: string, input: { messageId: string }) {
    await this.start();
    const ai = this.deps.config.ai;
    const r = await this.deps.db.transaction(async (tx) => {
      const target = await getMessageForUser(tx, { id: input.messageId, userId });
      if (!target) throw notFound('Message');
      if (target.role === 'AI' && target.status === 'streaming')
        throw new AppError(
          'CONFLICT',
          'MESSAGE_STREAMING',
          'This reply is still being written; stop it first.',
        );
      const parent =
        target.role === 'USER'
          ? target
          : target.parentId
            ? await getMessageForUser(tx, { id: target.parentId, userId })
            : undefined;
      if (!parent)
        throw new AppError('BAD_REQUEST', 'NO_PARENT', 'The message this reply answered was deleted.');
      const chat = await bumpChatForUser(tx, { chatId: parent.chatId, userId, messageDelta: 1 });
      if (!chat) throw notFound('Message');
      await reserveReply(tx, userId);
      await this.checkConcurrency(tx, userId);
      const agent = await resolveChatAgent(tx, ai, { agentId: chat.agentId, userId });
      const [reply] = await insertMessages(tx, [streamingReply(chat.id, userId, parent.id, agent)]);
      if (!reply) throw new Error('insert returned no message');
      return { parent, reply, agent };
    });
    this.runner.launch({
      messageId: r.reply.id,
      userId,
      chatId: r.reply.chatId,
      parentSeq: r.parent.seq,
      agent: r.agent,
    });
    return { assistantMessage: r.reply };
  }

  /** Asks whichever instance runs the reply to stop it; the partial text is kept with status `stopped`. */
  async stop(userId: string, input: { messageId: string }) {
    const m = await getMessageForUser(this.deps.db, { id: input.messageId, userId });
    if (m?.role !== 'AI') throw notFound('Message');
    if (m.status !== 'streaming') return { messageId: m.id, status: m.status };
    await this.deps.ports.signals.publish(STOP_CHANNEL, m.id);
    return { messageId: m.id, status: 'stopping' as const };
  }

  /**
   * chat.delete. Deleting a chat mid-reply stops its running replies first, through message.stop's path (the
   * stop signal reaches whichever instance runs each one), and deletes the chat only once none is left running,
   * in the same transaction that checks it (deleteChatForUser). Why wait rather than delete at once: the
   * per-user concurrency cap counts `streaming` rows, and the cascade would remove a row whose generator still
   * holds a provider request, freeing its slot early (and the orphan could no longer be stopped). Waiting keeps
   * the cap exact with no second bookkeeping; a stopped reply ends within moments. The stop is re-sent on each
   * check, since a pub/sub signal can be lost. Should a reply not end within 10 s, nothing is deleted and the
   * caller is told to retry (CONFLICT). A stopped reply keeps its quota spent, as deleting never gives any back.
   */
  async deleteChat(userId: string, chatId: string): Promise<boolean> {
    const { db, ports, config } = this.deps;
    const deadline = Date.now() + 10_000;
    for (let pauseMs = 10; ; pauseMs = Math.min(pauseMs * 2, 200)) {
      const staleBefore = new Date(Date.now() - config.ai.staleAfterMs);
      const r = await deleteChatForUser(db, { id: chatId, userId, staleBefore });
      if (r.status !== 'streaming') return r.status === 'deleted';
      if (Date.now() >= deadline)
        throw new AppError(
          'CONFLICT',
          'MESSAGE_STREAMING',
          'A reply in this chat is still being stopped; try deleting it again in a moment.',
        );
      await Promise.all(r.replyIds.map((id) => ports.signals.publish(STOP_CHANNEL, id)));
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
  }

  /**
   * The reply's events from the start or after `lastEventId`, then live until the closing event. Watches the
   * log before reading it, so nothing appended in between is missed. Should the log lack its end (expired,
   * or an append failed) the database row supplies the rest of the text and the closing event.
   */
  async *follow(
    userId: string,
    input: { messageId: string; lastEventId: string | null },
    signal: AbortSignal | undefined,
  ): AsyncGenerator<TrackedEvent> {
    const { db, ports } = this.deps;
    const msg = await getMessageForUser(db, { id: input.messageId, userId });
    if (msg?.role !== 'AI') throw notFound('Message');
    // Ends when the client goes away (signal) or the server shuts down (closeStreams); both wake the wait.
    const aborted = () => this.closing || signal?.aborted === true;
    const key = logKey(msg.id);
    const checkMs = Math.max(1000, this.deps.config.ai.staleAfterMs);
    const watch = ports.events.watch(key);
    this.following.add(watch);
    try {
      const resumed = input.lastEventId === null ? null : EVENT_ID.exec(input.lastEventId);
      if (input.lastEventId !== null && !resumed)
        throw new AppError(
          'BAD_REQUEST',
          'INVALID_INPUT',
          'lastEventId must be an event id received from this stream.',
        );
      /** The log id this follower has sent up to (ids this method made up past the log's end included). */
      let cursor = resumed?.[1] ?? null;
      // What the client holds. From the start, nothing. After an id the log still has, the text of the log up to
      // it (`seen`, checked against the stored text at the end). After one the log no longer has (an expired TTL;
      // an in-process log lost in a restart), only its length, from the id's offset: the rest of the stored text
      // from there is exact. An id without an offset that the log lacks: unknown (`held` null), and the client
      // is sent the closing event alone (it reads the stored message), never the whole text again.
      let seen: string | null = cursor === null ? '' : null;
      let held: number | null = cursor === null ? 0 : resumed?.[2] === undefined ? null : Number(resumed[2]);
      if (cursor) {
        let text = '';
        for (const e of await ports.events.read(key, null)) {
          if (compareIds(e.id, cursor) > 0) break;
          const ev = parseEvent(e.data);
          if (ev?.type === 'delta') text += ev.text;
          if (e.id === cursor) {
            seen = text;
            held = text.length;
          }
        }
      }
      /** Yields the entries' events in order; returns true once the closing event has gone out. */
      const emit = function* (entries: { id: string; data: string }[]): Generator<TrackedEvent, boolean> {
        for (const e of entries) {
          cursor = e.id;
          const ev = parseEvent(e.data);
          if (!ev) continue;
          if (ev.type === 'delta') {
            if (seen !== null) seen += ev.text;
            if (held !== null) held += ev.text.length;
          }
          yield { id: eventId(e.id, held), event: ev };
          if (ev.type !== 'delta') return true;
        }
        return false;
      };
      let checkDb = msg.status !== 'streaming';
      let quietSince = Date.now();
      while (!aborted()) {
        // Appends carry their entry: when those continue this follower's cursor, no read is needed.
        const entries = watch.take(cursor) ?? (await ports.events.read(key, cursor, 500));
        if (yield* emit(entries)) return;
        if (entries.length === 500) continue;
        if (entries.length > 0) quietSince = Date.now();
        if (checkDb || Date.now() - quietSince >= checkMs) {
          checkDb = false;
          quietSince = Date.now();
          const now = await getMessageById(db, { id: msg.id });
          if (now?.status !== 'streaming') {
            // Read once more: the job appends its last deltas before it writes the row.
            if (yield* emit(await ports.events.read(key, cursor, 10_000))) return;
            const content = now?.content ?? '';
            const rest =
              seen !== null
                ? content.startsWith(seen)
                  ? content.slice(seen.length)
                  : ''
                : held !== null && held < content.length
                  ? content.slice(held)
                  : '';
            if (rest) {
              cursor = nextId(cursor);
              if (held !== null) held += rest.length;
              yield { id: eventId(cursor, held), event: { type: 'delta', text: rest } };
            }
            yield { id: eventId(nextId(cursor), held), event: closingFromRow(now) };
            return;
          }
        }
        await abortable(watch.next(checkMs), signal);
      }
      // Shutting down: the response ends without tRPC's `return` event, so the client's EventSource
      // reconnects (through the load balancer, to another instance) with Last-Event-ID and resumes there.
      if (this.closing) throw new DOMException('This server is shutting down.', 'AbortError');
    } finally {
      this.following.delete(watch);
      watch.close();
    }
  }

  /** message.stream subscriptions open on this instance (a gauge in /metrics). */
  get openStreams(): number {
    return this.following.size;
  }

  /** Ends every open message.stream on this instance (server shutdown: preClose). */
  closeStreams(): void {
    this.closing = true;
    for (const w of this.following) w.close();
  }

  async shutdown(): Promise<void> {
    this.closeStreams();
    await this.runner.shutdown();
  }
}

import type { AppRouter, StreamEvent } from '@chatplatform/api';
import { createTRPCClient, httpLink, httpSubscriptionLink, splitLink, type TRPCClient } from '@trpc/client';
import { EventSource } from 'eventsource';

export type Client = TRPCClient<AppRouter>;

/**
 * The real @trpc/client against a test server: httpLink for queries and mutations, httpSubscriptionLink for
 * subscriptions over SSE with the `eventsource` package, whose custom fetch adds the Authorization header
 * (a browser EventSource cannot; tokens never go in URLs).
 */
export function clientFor(url: string, accessToken: string): Client {
  const authorization = `Bearer ${accessToken}`;
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === 'subscription',
        true: httpSubscriptionLink({
          url: `${url}/trpc`,
          EventSource,
          eventSourceOptions: () => ({
            fetch: (input, init) =>
              fetch(input, { ...init, headers: { ...(init?.headers ?? {}), authorization } }),
          }),
        }),
        false: httpLink({ url: `${url}/trpc`, headers: { authorization } }),
      }),
    ],
  });
}

export interface Received {
  id: string;
  event: StreamEvent;
}

export interface StreamResult {
  events: Received[];
  text: string;
  closing: StreamEvent | undefined;
  /** Set when the stream was cut by `cutAfterDeltas` before its end. */
  cut: boolean;
  error?: unknown;
}

/**
 * Follows message.stream until its closing event, or cuts the connection after `cutAfterDeltas` deltas
 * (a dropped connection: the client unsubscribes and keeps the last event id).
 */
export function streamReply(
  client: Client,
  messageId: string,
  opts: {
    lastEventId?: string;
    cutAfterDeltas?: number;
    onDelta?: (n: number) => void;
    /** The subscription's connection is open (before any event). */
    onStarted?: () => void;
  } = {},
): Promise<StreamResult> {
  return new Promise((resolve) => {
    const events: Received[] = [];
    let deltas = 0;
    let settled = false;
    const finish = (cut: boolean, error?: unknown) => {
      if (settled) return;
      settled = true;
      sub.unsubscribe();
      const text = events.map((e) => (e.event.type === 'delta' ? e.event.text : '')).join('');
      const last = events.at(-1)?.event;
      resolve({
        events,
        text,
        closing: last && last.type !== 'delta' ? last : undefined,
        cut,
        ...(error ? { error } : {}),
      });
    };
    const sub = client.message.stream.subscribe(
      { messageId, ...(opts.lastEventId ? { lastEventId: opts.lastEventId } : {}) },
      {
        onStarted() {
          opts.onStarted?.();
        },
        onData(d) {
          events.push({ id: d.id, event: d.data });
          if (d.data.type !== 'delta') return finish(false);
          deltas++;
          opts.onDelta?.(deltas);
          if (opts.cutAfterDeltas !== undefined && deltas >= opts.cutAfterDeltas) finish(true);
        },
        onError(err) {
          finish(false, err);
        },
        onComplete() {
          finish(false);
        },
      },
    );
  });
}

export const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `check` returns a value (no timing assertion: the test's own timeout bounds it). */
export async function until<T>(check: () => Promise<T | undefined | false>, everyMs = 50): Promise<T> {
  for (;;) {
    const v = await check();
    if (v) return v;
    await wait(everyMs);
  }
}

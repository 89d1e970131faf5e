import type { RouterOutputs } from '@chatplatform/api';
import { type InfiniteData, useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useRef, useState } from 'react';
import { describeError, isQuotaExceeded } from './errors';
import { settleStop } from './stop';
import { useTRPC, useTRPCClient } from './trpc';

type Page = RouterOutputs['message']['listByChat'];
type Message = Page['items'][number];

/** The key ChatView's paged history lives under (see pages.ts). */
export function historyKey(pathKey: readonly unknown[], chatId: string) {
  return [...pathKey, chatId, 'pages'];
}

/**
 * Sending, stopping and regenerating in one chat. New messages go straight into the newest history page, so
 * the reply starts streaming at once; the stored versions replace them when the stream ends.
 */
export function useChatActions(chatId: string) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const qc = useQueryClient();
  const [error, setError] = useState<string | null>(null);
  const [quotaExceeded, setQuotaExceeded] = useState(false);
  const key = historyKey(trpc.message.listByChat.pathKey(), chatId);
  const mounted = useRef(true);
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);

  const append = useCallback(
    (...msgs: Message[]) => {
      qc.setQueryData<InfiniteData<Page, string | null>>(key, (data) => {
        if (!data || data.pages.length === 0) return data;
        const [newest, ...rest] = data.pages;
        if (!newest) return data;
        const known = new Set(newest.items.map((m) => m.id));
        return {
          ...data,
          pages: [{ ...newest, items: [...newest.items, ...msgs.filter((m) => !known.has(m.id))] }, ...rest],
        };
      });
    },
    [qc, key],
  );

  /** The message as the history holds it, or undefined when it is not there (the chat's history is gone). */
  const cached = useCallback(
    (id: string) =>
      qc
        .getQueryData<InfiniteData<Page, string | null>>(key)
        ?.pages.flatMap((p) => p.items)
        .find((m) => m.id === id),
    [qc, key],
  );

  /** Puts the stored version of a message where the history shows it. */
  const replace = useCallback(
    (msg: Message) => {
      qc.setQueryData<InfiniteData<Page, string | null>>(key, (data) =>
        data
          ? {
              ...data,
              pages: data.pages.map((p) => ({
                ...p,
                items: p.items.map((m) => (m.id === msg.id ? msg : m)),
              })),
            }
          : data,
      );
    },
    [qc, key],
  );

  const refresh = useCallback(() => {
    void qc.invalidateQueries({ queryKey: trpc.message.listByChat.pathKey() });
    void qc.invalidateQueries({ queryKey: trpc.chat.list.pathKey() });
    void qc.invalidateQueries({ queryKey: trpc.chat.byId.queryKey({ id: chatId }) });
    void qc.invalidateQueries({ queryKey: trpc.user.limits.queryKey() });
  }, [qc, trpc, chatId]);

  const fail = useCallback((err: unknown) => {
    if (isQuotaExceeded(err)) {
      setQuotaExceeded(true);
      setError(null);
    } else setError(describeError(err));
  }, []);

  const send = useCallback(
    async (content: string): Promise<boolean> => {
      setError(null);
      try {
        const { userMessage, assistantMessage } = await client.message.send.mutate({ chatId, content });
        append(userMessage, assistantMessage);
        void qc.invalidateQueries({ queryKey: trpc.user.limits.queryKey() });
        void qc.invalidateQueries({ queryKey: trpc.chat.list.pathKey() });
        return true;
      } catch (err) {
        fail(err);
        if (isQuotaExceeded(err)) void qc.invalidateQueries({ queryKey: trpc.user.limits.queryKey() });
        return false;
      }
    },
    [client, chatId, append, fail, qc, trpc],
  );

  const regenerate = useCallback(
    async (messageId: string): Promise<boolean> => {
      setError(null);
      try {
        const { assistantMessage } = await client.message.regenerate.mutate({ messageId });
        append(assistantMessage);
        void qc.invalidateQueries({ queryKey: trpc.user.limits.queryKey() });
        return true;
      } catch (err) {
        fail(err);
        return false;
      }
    },
    [client, append, fail, qc, trpc],
  );

  /**
   * Stops a reply; resolves true once it has ended, false when it did not (the caller offers Stop again, and
   * `error` says why). The reply's stream normally brings the end; should it not within a few seconds after the
   * stop was accepted (its connection is cut), the stored reply is read and shown as it ended, and `onRead`
   * gets it (for an announcement, as a stream's end has).
   */
  const stop = useCallback(
    async (messageId: string, onRead?: (m: Message) => void): Promise<boolean> => {
      setError(null);
      let stopStatus: string;
      try {
        ({ status: stopStatus } = await client.message.stop.mutate({ messageId }));
      } catch (err) {
        setError(describeError(err));
        return false;
      }
      const settled = await settleStop({
        stopStatus,
        ended: () => !mounted.current || cached(messageId)?.status !== 'streaming',
        read: () => client.message.byId.query({ id: messageId }),
        wait: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      });
      if (!settled.ended) {
        setError('The reply has not stopped yet. Try Stop again.');
        return false;
      }
      if (settled.message && mounted.current && cached(messageId)?.status === 'streaming') {
        replace(settled.message);
        refresh();
        onRead?.(settled.message);
      }
      return true;
    },
    [client, cached, replace, refresh],
  );

  return {
    send,
    stop,
    regenerate,
    onStreamEnd: refresh,
    canStop: true,
    canRegenerate: true,
    error,
    quotaExceeded,
  };
}

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useCallback, useState } from 'react';
import { describeError, isQuotaExceeded } from './errors';
import { useTRPC } from './trpc';

/**
 * Sending, stopping and regenerating in one chat. Until message.send lands (issue 4) this stores the user
 * message with message.create; no AI reply is produced.
 */
export function useChatActions(chatId: string) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [error, setError] = useState<string | null>(null);
  const [quotaExceeded, setQuotaExceeded] = useState(false);

  const refresh = useCallback(() => {
    void qc.invalidateQueries({ queryKey: trpc.message.listByChat.pathKey() });
    void qc.invalidateQueries({ queryKey: trpc.chat.list.pathKey() });
    void qc.invalidateQueries({ queryKey: trpc.chat.byId.queryKey({ id: chatId }) });
    void qc.invalidateQueries({ queryKey: trpc.user.limits.queryKey() });
  }, [qc, trpc, chatId]);

  const create = useMutation(trpc.message.create.mutationOptions());

  const send = useCallback(
    async (content: string): Promise<boolean> => {
      setError(null);
      try {
        await create.mutateAsync({ chatId, content });
        refresh();
        return true;
      } catch (err) {
        if (isQuotaExceeded(err)) setQuotaExceeded(true);
        else setError(describeError(err));
        return false;
      }
    },
    [create, chatId, refresh],
  );

  return {
    send,
    stop: (_messageId: string) => {},
    regenerate: (_messageId: string) => {},
    onStreamEnd: refresh,
    canStop: false,
    canRegenerate: false,
    error,
    quotaExceeded,
  };
}

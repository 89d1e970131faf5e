import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { describeError } from '../errors';
import { useRouter } from '../router';
import { useTRPC } from '../trpc';

/** Starts a chat: pick an agent (once agents exist), optionally name it, and go. */
export function NewChat() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const { navigate } = useRouter();
  const [title, setTitle] = useState('');
  const [error, setError] = useState<string | null>(null);
  const create = useMutation(
    trpc.chat.create.mutationOptions({
      onSuccess: (chat) => {
        void qc.invalidateQueries({ queryKey: trpc.chat.list.pathKey() });
        navigate(`/chats/${chat.id}`);
      },
      onError: (err) => setError(describeError(err)),
    }),
  );
  return (
    <section className="page" aria-labelledby="new-h">
      <h1 id="new-h" className="h1">
        New chat
      </h1>
      <form
        className="card form"
        onSubmit={(e) => {
          e.preventDefault();
          setError(null);
          create.mutate(title.trim() ? { title: title.trim() } : {});
        }}
      >
        <label className="field">
          <span className="field-label">Title (optional)</span>
          <input
            className="input"
            value={title}
            maxLength={200}
            placeholder="Named from your first message if left empty"
            onChange={(e) => setTitle(e.target.value)}
          />
        </label>
        {error && (
          <p className="alert alert-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="btn btn-primary" disabled={create.isPending}>
          {create.isPending ? 'Starting…' : 'Start chat'}
        </button>
      </form>
    </section>
  );
}

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { describeError } from '../errors';
import { Link, useRouter } from '../router';
import { useTRPC } from '../trpc';
import { AgentPicker } from './AgentPicker';
import { BusyButton } from './BusyButton';

/** Starts a chat: pick an agent, optionally name the chat, and go. */
export function NewChat() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const { navigate } = useRouter();
  const agents = useQuery(trpc.agent.list.queryOptions());
  const [agentId, setAgentId] = useState<string | null>(null);
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
  const selected = agentId ?? agents.data?.[0]?.id ?? null;
  return (
    <section className="page" aria-labelledby="new-h">
      <h1 id="new-h" className="h1">
        New chat
      </h1>
      <p className="lead">Choose who you want to talk to.</p>
      <form
        className="form"
        onSubmit={(e) => {
          e.preventDefault();
          if (create.isPending) return;
          setError(null);
          create.mutate({
            ...(title.trim() ? { title: title.trim() } : {}),
            ...(selected ? { agentId: selected } : {}),
          });
        }}
      >
        {agents.isPending && <p className="muted">Loading agents…</p>}
        {agents.isError && (
          <p className="alert alert-error" role="alert">
            {describeError(agents.error)}
          </p>
        )}
        {agents.data && <AgentPicker agents={agents.data} value={selected} onChange={setAgentId} />}
        <p className="muted small">
          Want your own? <Link to="/agents">Create an agent</Link> with its own instructions and model.
        </p>
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
        <BusyButton type="submit" className="btn btn-primary" busy={create.isPending} busyLabel="Starting…">
          Start chat
        </BusyButton>
      </form>
    </section>
  );
}

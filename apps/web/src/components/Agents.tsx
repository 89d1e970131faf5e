import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useRef, useState } from 'react';
import { describeError } from '../errors';
import { nextAfterRemoval, useFocusAfterRender } from '../focus';
import { useTRPC } from '../trpc';
import type { Agent } from './AgentPicker';
import { BusyButton } from './BusyButton';
import { ConfirmDialog } from './ConfirmDialog';

interface Draft {
  name: string;
  description: string;
  systemPrompt: string;
  model: string;
  temperature: number;
  maxOutputTokens: number;
}

function AgentForm(props: {
  initial: Draft;
  models: string[];
  submitLabel: string;
  busy: boolean;
  error: string | null;
  onSubmit: (d: Draft) => void;
  onCancel?: () => void;
}) {
  const [d, setD] = useState<Draft>(props.initial);
  const set = <K extends keyof Draft>(k: K, v: Draft[K]) => setD((x) => ({ ...x, [k]: v }));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (props.busy) return;
    props.onSubmit({ ...d, name: d.name.trim(), description: d.description.trim() });
  };
  return (
    <form className="form" onSubmit={submit}>
      <label className="field">
        <span className="field-label">Name</span>
        <input
          className="input"
          required
          maxLength={100}
          value={d.name}
          onChange={(e) => set('name', e.target.value)}
        />
      </label>
      <label className="field">
        <span className="field-label">Description</span>
        <input
          className="input"
          maxLength={1000}
          value={d.description}
          placeholder="What this agent is good at"
          onChange={(e) => set('description', e.target.value)}
        />
      </label>
      <label className="field">
        <span className="field-label">Instructions (system prompt)</span>
        <textarea
          className="input"
          maxLength={8000}
          rows={5}
          value={d.systemPrompt}
          placeholder="You are a patient tutor who explains with small examples."
          onChange={(e) => set('systemPrompt', e.target.value)}
        />
      </label>
      <div className="form-row">
        <label className="field grow">
          <span className="field-label">Model</span>
          <select className="input" value={d.model} onChange={(e) => set('model', e.target.value)}>
            {props.models.map((m) => (
              <option key={m} value={m}>
                {m}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span className="field-label">Temperature</span>
          <input
            className="input"
            type="number"
            min={0}
            max={2}
            step={0.1}
            value={d.temperature}
            onChange={(e) => set('temperature', Number(e.target.value))}
          />
        </label>
        <label className="field">
          <span className="field-label">Max reply tokens</span>
          <input
            className="input"
            type="number"
            min={1}
            max={32000}
            step={1}
            value={d.maxOutputTokens}
            onChange={(e) => set('maxOutputTokens', Number(e.target.value))}
          />
        </label>
      </div>
      {props.error && (
        <p className="alert alert-error" role="alert">
          {props.error}
        </p>
      )}
      <div className="form-row">
        <BusyButton type="submit" className="btn btn-primary" busy={props.busy}>
          {props.submitLabel}
        </BusyButton>
        {props.onCancel && (
          <button type="button" className="btn" onClick={props.onCancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}

function draftOf(a: Agent): Draft {
  return {
    name: a.name,
    description: a.description,
    systemPrompt: a.systemPrompt,
    model: a.model,
    temperature: a.temperature,
    maxOutputTokens: a.maxOutputTokens,
  };
}

export function Agents() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const agents = useQuery(trpc.agent.list.queryOptions());
  const models = useQuery(trpc.agent.models.queryOptions());
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<string | null>(null);
  const [toDelete, setToDelete] = useState<Agent | null>(null);
  const [error, setError] = useState<string | null>(null);
  const modelIds = models.data?.models.map((m) => m.id) ?? [];
  const platform = agents.data?.filter((a) => a.isPlatform) ?? [];
  const mine = agents.data?.filter((a) => !a.isPlatform) ?? [];
  const refresh = () => qc.invalidateQueries({ queryKey: trpc.agent.list.queryKey() });
  // A form that closes or a card that goes takes focus with it: it moves to "New agent" or the agent's Edit.
  const focusAfterRender = useFocusAfterRender();
  const newAgentRef = useRef<HTMLButtonElement>(null);
  const mineRef = useRef<HTMLUListElement>(null);
  const focusNewAgent = () => focusAfterRender(() => newAgentRef.current);
  const focusEdit = (id: string | null) =>
    focusAfterRender(
      () =>
        (id ? mineRef.current?.querySelector<HTMLElement>(`[data-agent-id="${id}"] .agent-edit`) : null) ??
        newAgentRef.current,
    );
  const closeCreate = () => {
    setCreating(false);
    focusNewAgent();
  };
  const closeEdit = (id: string) => {
    setEditing(null);
    focusEdit(id);
  };
  const create = useMutation(
    trpc.agent.create.mutationOptions({
      onSuccess: () => {
        closeCreate();
        void refresh();
      },
      onError: (err) => setError(describeError(err)),
    }),
  );
  const update = useMutation(
    trpc.agent.update.mutationOptions({
      onSuccess: ({ id }) => {
        closeEdit(id);
        void refresh();
      },
      onError: (err) => setError(describeError(err)),
    }),
  );
  const remove = useMutation(
    trpc.agent.delete.mutationOptions({
      onSuccess: (_, { id }) => {
        setToDelete(null);
        void refresh();
        focusEdit(
          nextAfterRemoval(
            mine.map((a) => a.id),
            id,
          ),
        );
      },
      onError: (err) => setError(describeError(err)),
    }),
  );

  return (
    <section className="page" aria-labelledby="agents-h">
      <h1 id="agents-h" className="h1">
        Agents
      </h1>
      <p className="lead">An agent is a model with instructions. Use the platform's or make your own.</p>
      {agents.isError && (
        <p className="alert alert-error" role="alert">
          {describeError(agents.error)}
        </p>
      )}

      <div className="section-head">
        <h2 className="h2">Your agents</h2>
        {!creating && (
          <button
            ref={newAgentRef}
            type="button"
            className="btn btn-primary btn-small"
            onClick={() => {
              setError(null);
              setEditing(null);
              setCreating(true);
            }}
          >
            New agent
          </button>
        )}
      </div>
      {creating && models.data && (
        <div className="card">
          <h3 className="h3">New agent</h3>
          <AgentForm
            initial={{
              name: '',
              description: '',
              systemPrompt: '',
              model: models.data.defaultModel,
              temperature: 0.7,
              maxOutputTokens: 1024,
            }}
            models={modelIds}
            submitLabel={create.isPending ? 'Creating…' : 'Create agent'}
            busy={create.isPending}
            error={error}
            onSubmit={(d) => {
              setError(null);
              create.mutate(d);
            }}
            onCancel={closeCreate}
          />
        </div>
      )}
      {agents.isSuccess && mine.length === 0 && !creating && (
        <p className="muted">You have no agents of your own yet.</p>
      )}
      <ul ref={mineRef} className="agent-grid plain">
        {mine.map((a) =>
          editing === a.id ? (
            <li key={a.id} className="card span-all">
              <h3 className="h3">Edit {a.name}</h3>
              <AgentForm
                initial={draftOf(a)}
                models={modelIds.includes(a.model) ? modelIds : [a.model, ...modelIds]}
                submitLabel={update.isPending ? 'Saving…' : 'Save changes'}
                busy={update.isPending}
                error={error}
                onSubmit={(d) => {
                  setError(null);
                  update.mutate({ id: a.id, ...d });
                }}
                onCancel={() => closeEdit(a.id)}
              />
            </li>
          ) : (
            <li key={a.id} className="agent-card" data-agent-id={a.id}>
              <span className="agent-name">{a.name}</span>
              {a.description && <span className="agent-desc">{a.description}</span>}
              <span className="agent-model">
                {a.model} · temperature {a.temperature}
              </span>
              <span className="chip-row">
                <button
                  type="button"
                  className="btn btn-small agent-edit"
                  aria-label={`Edit ${a.name}`}
                  onClick={() => {
                    setError(null);
                    setCreating(false);
                    setEditing(a.id);
                  }}
                >
                  Edit
                </button>
                <button
                  type="button"
                  className="btn btn-small btn-ghost"
                  aria-label={`Delete ${a.name}`}
                  onClick={() => setToDelete(a)}
                >
                  Delete
                </button>
              </span>
            </li>
          ),
        )}
      </ul>

      <h2 className="h2 section-gap">Platform agents</h2>
      <ul className="agent-grid plain">
        {platform.map((a) => (
          <li key={a.id} className="agent-card">
            <span className="agent-name">{a.name}</span>
            {a.description && <span className="agent-desc">{a.description}</span>}
            <span className="agent-model">{a.model}</span>
          </li>
        ))}
      </ul>

      {toDelete && (
        <ConfirmDialog
          title={`Delete ${toDelete.name}?`}
          confirmLabel="Delete agent"
          danger
          busy={remove.isPending}
          onCancel={() => setToDelete(null)}
          onConfirm={() => remove.mutate({ id: toDelete.id })}
        >
          <p>Chats with this agent continue with the default agent.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}

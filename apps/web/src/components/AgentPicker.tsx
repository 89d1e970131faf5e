import type { RouterOutputs } from '@chatplatform/api';

export type Agent = RouterOutputs['agent']['list'][number];

/** Agents as a group of toggle cards; arrow keys are not needed: each card is a button in tab order. */
export function AgentPicker(props: {
  agents: Agent[];
  value: string | null;
  onChange: (id: string) => void;
}) {
  return (
    <fieldset className="agent-fieldset">
      <legend className="field-label">Agent</legend>
      <div className="agent-grid">
        {props.agents.map((a) => (
          <button
            key={a.id}
            type="button"
            className="agent-card"
            aria-pressed={props.value === a.id}
            onClick={() => props.onChange(a.id)}
          >
            <span className="agent-name">{a.name}</span>
            {a.description && <span className="agent-desc">{a.description}</span>}
            <span className="agent-model">
              {a.model}
              {a.isPlatform ? '' : ' · yours'}
            </span>
          </button>
        ))}
      </div>
    </fieldset>
  );
}

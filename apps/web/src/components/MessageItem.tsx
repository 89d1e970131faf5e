import type { RouterOutputs } from '@chatplatform/api';
import { memo, useState } from 'react';
import { BusyButton } from './BusyButton';
import { LiveReply } from './LiveReply';
import { Markdown } from './Markdown';

type Message = RouterOutputs['message']['listByChat']['items'][number];

/** The id of a message's element (it takes focus from script, as after Load earlier messages). */
export const messageDomId = (id: string) => `msg-${id}`;

const STATUS_LABEL: Record<string, string> = {
  stopped: 'Stopped',
  error: 'Failed',
  interrupted: 'Interrupted',
};

/**
 * Why a finished reply is not the whole answer, when the model did not end it itself: it reached the agent's
 * output budget, or the provider's filter stopped it. Raw finish reasons as providers send them.
 */
export function cutOffNote(m: Pick<Message, 'status' | 'finishReason'>): string | null {
  if (m.status !== 'done') return null;
  if (m.finishReason === 'length' || m.finishReason === 'max_tokens')
    return 'Cut off: the reply reached this agent’s output limit (max output tokens).';
  if (m.finishReason === 'content_filter' || m.finishReason === 'content-filter')
    return 'Cut off by the AI provider’s content filter.';
  return null;
}

export const MessageItem = memo(function MessageItem(props: {
  message: Message;
  superseded: boolean;
  canRegenerate: boolean;
  /** Resolves when the new reply is on its way (or failed): Regenerate is busy until then. */
  onRegenerate: () => Promise<unknown>;
  onStreamEnd: (text: string) => void;
}) {
  const m = props.message;
  // Each Regenerate is a new reply and one AI message of the quota: a second press while the first is on its way
  // must not send another.
  const [regenerating, setRegenerating] = useState(false);
  const regenerate = async () => {
    setRegenerating(true);
    try {
      await props.onRegenerate();
    } finally {
      setRegenerating(false);
    }
  };
  if (m.role === 'USER') {
    return (
      <li id={messageDomId(m.id)} className="msg msg-user" tabIndex={-1}>
        <span className="sr-only">You said:</span>
        <div className="bubble bubble-user">{m.content}</div>
      </li>
    );
  }
  const label = STATUS_LABEL[m.status];
  const cutOff = cutOffNote(m);
  return (
    <li
      id={messageDomId(m.id)}
      className={props.superseded ? 'msg msg-ai superseded' : 'msg msg-ai'}
      data-status={m.status}
      tabIndex={-1}
    >
      <div className="avatar" aria-hidden="true">
        AI
      </div>
      <div className="bubble bubble-ai">
        {!props.superseded && <span className="sr-only">Reply:</span>}
        {props.superseded && <span className="tag">Earlier reply</span>}
        {m.status === 'streaming' ? (
          <LiveReply messageId={m.id} onEnd={props.onStreamEnd} />
        ) : (
          <>
            {m.content ? <Markdown text={m.content} /> : null}
            {cutOff && <p className="alert alert-warn inline">{cutOff}</p>}
            {m.status === 'error' && (
              <p className="alert alert-error inline" role="alert">
                {m.errorMessage ?? 'The reply failed.'}
              </p>
            )}
          </>
        )}
        {(label || props.canRegenerate || m.modelUsed) && m.status !== 'streaming' && (
          <div className="msg-foot">
            {label && <span className={`tag tag-${m.status}`}>{label}</span>}
            {m.modelUsed && <span className="muted small">{m.modelUsed}</span>}
            {props.canRegenerate && (
              <BusyButton
                className="btn btn-ghost btn-small"
                busy={regenerating}
                busyLabel="Regenerating…"
                onClick={regenerate}
              >
                <svg viewBox="0 0 20 20" aria-hidden="true" className="btn-icon">
                  <path d="M4 10a6 6 0 0 1 10.5-4M16 4v3h-3M16 10a6 6 0 0 1-10.5 4M4 16v-3h3" />
                </svg>
                Regenerate
              </BusyButton>
            )}
          </div>
        )}
      </div>
    </li>
  );
});

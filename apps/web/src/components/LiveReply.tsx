import { useSubscription } from '@trpc/tanstack-react-query';
import { useRef, useState } from 'react';
import { describeError } from '../errors';
import { useTRPC } from '../trpc';
import { Markdown } from './Markdown';

/**
 * A reply being written: message.stream over SSE (with the Authorization header), replayed from the start
 * and followed live. The link resumes after a dropped connection from the last event id, with no gap or
 * duplicate. When the closing event arrives the stored message takes over.
 */
export function LiveReply(props: { messageId: string; onEnd: (text: string) => void }) {
  const trpc = useTRPC();
  const [text, setText] = useState('');
  const [ended, setEnded] = useState<string | null>(null);
  const acc = useRef('');
  const onEnd = useRef(props.onEnd);
  onEnd.current = props.onEnd;
  const sub = useSubscription(
    trpc.message.stream.subscriptionOptions(
      { messageId: props.messageId },
      {
        enabled: ended === null,
        onData: ({ data: event }) => {
          if (event.type === 'delta') {
            acc.current += event.text;
            setText(acc.current);
          } else {
            setEnded(event.type);
            onEnd.current(acc.current);
          }
        },
      },
    ),
  );
  return (
    <div className="live" aria-busy={ended === null}>
      {text ? (
        <Markdown text={text} />
      ) : (
        <span className="typing">
          <span className="sr-only">Writing…</span>
        </span>
      )}
      {sub.status === 'error' && (
        <p className="alert alert-error inline" role="alert">
          The live reply was cut off: {describeError(sub.error)}{' '}
          <button type="button" className="btn btn-small" onClick={() => sub.reset()}>
            Reconnect
          </button>
        </p>
      )}
    </div>
  );
}

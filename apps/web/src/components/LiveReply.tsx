import { Markdown } from './Markdown';

/** A reply still being written. Streams through message.stream once it exists (issue 4). */
export function LiveReply(props: { messageId: string; initial: string; onEnd: (text: string) => void }) {
  return (
    <div className="live" aria-busy="true">
      {props.initial ? (
        <Markdown text={props.initial} />
      ) : (
        <span className="typing">
          <span className="sr-only">Writing…</span>
        </span>
      )}
    </div>
  );
}

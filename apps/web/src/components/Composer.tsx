import { type FormEvent, type KeyboardEvent, type RefObject, useEffect, useRef, useState } from 'react';
import { focusLost } from '../focus';
import { BusyButton } from './BusyButton';

/**
 * Where a message is written. Enter sends, Shift+Enter starts a new line. While a reply streams, the send
 * button becomes Stop; once pressed it says "Stopping…" (busy, not pressable again) until the reply ends, or
 * until `onStop` resolves false (the stop failed, or the reply did not end; the caller says why), when it is
 * Stop again.
 */
export function Composer(props: {
  onSend: (text: string) => Promise<boolean> | boolean;
  onStop?: () => Promise<boolean> | boolean;
  streaming: boolean;
  disabled?: boolean;
  disabledReason?: string;
  maxLength?: number;
  autoFocus?: boolean;
  /** The text box, for a caller that moves focus to it (after Regenerate). */
  inputRef?: RefObject<HTMLTextAreaElement | null>;
}) {
  const [text, setText] = useState('');
  const [sending, setSending] = useState(false);
  const [stopping, setStopping] = useState(false);
  const ownRef = useRef<HTMLTextAreaElement>(null);
  const ref = props.inputRef ?? ownRef;
  const buttonRef = useRef<HTMLButtonElement>(null);
  const wasStreaming = useRef(props.streaming);
  const max = props.maxLength ?? 16_000;

  // When the reply ends, Stop turns back into a (disabled) Send: focus that was on it goes to the text box.
  useEffect(() => {
    const ended = wasStreaming.current && !props.streaming;
    wasStreaming.current = props.streaming;
    if (!ended) return;
    setStopping(false);
    if (focusLost(buttonRef.current)) ref.current?.focus();
  }, [props.streaming, ref]);

  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    el.style.height = 'auto';
    el.style.height = `${Math.min(el.scrollHeight, 240)}px`;
  }, [text]);

  useEffect(() => {
    if (props.autoFocus) ref.current?.focus();
  }, [props.autoFocus]);

  const canSend =
    text.trim().length > 0 && text.length <= max && !props.disabled && !props.streaming && !sending;

  async function submit(e?: FormEvent) {
    e?.preventDefault();
    if (!canSend) return;
    setSending(true);
    try {
      const ok = await props.onSend(text.trim());
      if (ok) setText('');
    } finally {
      setSending(false);
      ref.current?.focus();
    }
  }

  async function stop() {
    if (stopping || !props.onStop) return;
    setStopping(true);
    if (!(await props.onStop())) setStopping(false);
  }

  function onKeyDown(e: KeyboardEvent<HTMLTextAreaElement>) {
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      void submit();
    }
  }

  return (
    <form className="composer" onSubmit={submit}>
      <label htmlFor="composer-input" className="sr-only">
        Message
      </label>
      <textarea
        id="composer-input"
        ref={ref}
        className="composer-input"
        rows={1}
        placeholder={props.disabled && props.disabledReason ? props.disabledReason : 'Write a message…'}
        value={text}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={onKeyDown}
        disabled={props.disabled}
        aria-describedby="composer-hint"
      />
      {props.streaming && props.onStop ? (
        <BusyButton ref={buttonRef} className="btn btn-stop" busy={stopping} onClick={() => void stop()}>
          <span className="stop-square" aria-hidden="true" />
          {stopping ? 'Stopping…' : 'Stop'}
        </BusyButton>
      ) : (
        // Disabled with nothing to send, but only busy while sending: a focused Send keeps focus.
        <BusyButton
          ref={buttonRef}
          type="submit"
          className="btn btn-primary btn-send"
          busy={sending}
          disabled={!canSend && !sending}
        >
          Send
        </BusyButton>
      )}
      <p id="composer-hint" className="composer-hint">
        {text.length > max
          ? `${text.length.toLocaleString('en-US')} / ${max.toLocaleString('en-US')} characters: too long`
          : 'Enter to send · Shift+Enter for a new line'}
      </p>
    </form>
  );
}

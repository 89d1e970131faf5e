import { type ReactNode, useEffect, useId, useRef } from 'react';
import { keepTabInside } from '../focus';
import { BusyButton } from './BusyButton';

/**
 * A modal question with a safe default: focus starts on Cancel, Escape cancels, focus stays inside, and goes back
 * to what had it before when the dialog closes (the caller moves it on when that control went away).
 */
export function ConfirmDialog(props: {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  danger?: boolean;
  busy?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const titleId = useId();
  const bodyId = useId();
  const cancelRef = useRef<HTMLButtonElement>(null);
  const boxRef = useRef<HTMLDivElement>(null);
  const { onCancel } = props;
  useEffect(() => {
    const previous = document.activeElement as HTMLElement | null;
    cancelRef.current?.focus();
    return () => previous?.focus?.();
  }, []);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        e.preventDefault();
        onCancel();
      }
      if (boxRef.current) keepTabInside(e, boxRef.current);
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [onCancel]);
  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: a click outside closes; keyboards have Escape and Cancel
    <div
      className="modal-backdrop"
      role="presentation"
      onMouseDown={(e) => e.target === e.currentTarget && props.onCancel()}
    >
      <div
        ref={boxRef}
        className="modal"
        role="alertdialog"
        aria-modal="true"
        aria-labelledby={titleId}
        aria-describedby={bodyId}
      >
        <h2 id={titleId} className="h3">
          {props.title}
        </h2>
        <div id={bodyId} className="modal-body">
          {props.children}
        </div>
        <div className="modal-actions">
          <button ref={cancelRef} type="button" className="btn" onClick={props.onCancel}>
            Cancel
          </button>
          <BusyButton
            className={props.danger ? 'btn btn-danger' : 'btn btn-primary'}
            busy={!!props.busy}
            onClick={props.onConfirm}
          >
            {props.confirmLabel}
          </BusyButton>
        </div>
      </div>
    </div>
  );
}

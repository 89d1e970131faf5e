import type { ButtonHTMLAttributes, ReactNode, Ref } from 'react';

export type BusyButtonProps = Omit<
  ButtonHTMLAttributes<HTMLButtonElement>,
  'type' | 'aria-busy' | 'aria-disabled'
> & {
  /** The button's action is on its way: it says so and does nothing when pressed. */
  busy: boolean;
  /** What it says while busy ("Saving…"); its children otherwise, or always when left out. */
  busyLabel?: ReactNode;
  type?: 'button' | 'submit';
  ref?: Ref<HTMLButtonElement>;
};

/**
 * A button whose action takes a while. While `busy` it is aria-busy and aria-disabled (dimmed by styles.css) and
 * a press does nothing: a click, Enter or Space on it, and for a submit button Enter in its form's fields too
 * (the browser submits through the button's click, which is cancelled), so the action never runs twice.
 *
 * It is never `disabled` for being busy: the browser moves focus off a focused button that becomes disabled, to
 * <body>, and keyboard and screen-reader users lose their place. (`disabled` stays available for a button
 * with nothing to do, such as Send with no text.)
 */
export function BusyButton({
  busy,
  busyLabel,
  type = 'button',
  onClick,
  children,
  ...rest
}: BusyButtonProps) {
  return (
    <button
      {...rest}
      type={type === 'submit' ? 'submit' : 'button'}
      aria-disabled={busy || undefined}
      aria-busy={busy || undefined}
      onClick={(e) => {
        if (busy) e.preventDefault();
        else onClick?.(e);
      }}
    >
      {busy && busyLabel !== undefined ? busyLabel : children}
    </button>
  );
}

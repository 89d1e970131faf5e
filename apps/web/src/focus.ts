import { type RefCallback, useCallback, useEffect, useRef, useState } from 'react';

/**
 * Where focus goes when the item `removedId` leaves a list: the item after it, else the one before it, else
 * nowhere in the list (null: the caller picks a control beside it, such as "New chat").
 */
export function nextAfterRemoval(ids: readonly string[], removedId: string): string | null {
  const i = ids.indexOf(removedId);
  if (i === -1) return ids[0] ?? null;
  return ids[i + 1] ?? ids[i - 1] ?? null;
}

/**
 * Moves focus once the next render is on screen: for an action whose own control goes away (a form that closes,
 * a row that is deleted, a button that becomes another), so focus lands on `find()` rather than on <body>.
 * Nothing happens when `find` finds nothing.
 */
export function useFocusAfterRender(): (find: () => HTMLElement | null | undefined) => void {
  const [find, setFind] = useState<(() => HTMLElement | null | undefined) | null>(null);
  useEffect(() => {
    if (!find) return;
    setFind(null);
    find()?.focus();
  }, [find]);
  return useCallback((f) => setFind(() => f), []);
}

/**
 * A ref for a control that goes away once its action is done (Load older chats when the last page is in, Retry
 * when the chat loads, a wallet button when the wallet connects): if the control has focus as it goes, focus
 * moves to `find()` once the render that removed it is on screen, instead of dropping to <body>. Focus anywhere
 * else stays where it is, so a load the person did not ask for from the keyboard (infinite scroll, a poll) never
 * pulls focus away; with `orFromBody`, focus that was nowhere (on <body>) moves too. One ref serves several
 * controls. (React detaches a removed element's ref before taking the element out of the page, so the element
 * still has focus when its ref's cleanup runs.)
 */
export function useFocusWhenGone<T extends HTMLElement>(
  find: () => HTMLElement | null | undefined,
  { orFromBody = false }: { orFromBody?: boolean } = {},
): RefCallback<T> {
  const focusAfterRender = useFocusAfterRender();
  const latest = useRef(find);
  latest.current = find;
  return useCallback(
    (el: T | null) => {
      if (!el) return;
      return () => {
        if (orFromBody ? focusLost(el) : document.activeElement === el)
          focusAfterRender(() => latest.current());
      };
    },
    [focusAfterRender, orFromBody],
  );
}

/**
 * Whether focus has been lost: it is on <body> (where the browser drops it when the focused element goes away or
 * becomes disabled), or still on one of `leaving`, elements about to go or be disabled. A caller moving focus on
 * by itself (not in answer to a press) asks this first, so focus the person put somewhere else stays there.
 */
export function focusLost(...leaving: (Element | null | undefined)[]): boolean {
  const active = document.activeElement;
  return !active || active === document.body || leaving.some((el) => !!el && el === active);
}

const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

/** The elements inside `root` that Tab reaches, in order (those shown: a closed drawer's are hidden). */
export function tabbable(root: Element): HTMLElement[] {
  return [...root.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => el.getClientRects().length > 0);
}

/**
 * For a modal's keydown handler: keeps Tab and Shift+Tab inside `root`, wrapping from its last tabbable element to
 * its first and back, and bringing focus in from outside.
 */
export function keepTabInside(e: KeyboardEvent, root: Element): void {
  if (e.key !== 'Tab') return;
  const items = tabbable(root);
  const first = items[0];
  const last = items[items.length - 1];
  const inside = root.contains(document.activeElement);
  if (e.shiftKey && (!inside || document.activeElement === first)) {
    e.preventDefault();
    last?.focus();
  } else if (!e.shiftKey && (!inside || document.activeElement === last)) {
    e.preventDefault();
    first?.focus();
  }
}

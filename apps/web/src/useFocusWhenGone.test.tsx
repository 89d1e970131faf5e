import { act, cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { useFocusWhenGone } from './focus';

afterEach(cleanup);

function More({ more, orFromBody }: { more: boolean; orFromBody?: boolean }) {
  const ref = useFocusWhenGone<HTMLButtonElement>(() => document.getElementById('first-new'), { orFromBody });
  return (
    <div>
      <button type="button">Elsewhere</button>
      <a id="first-new" href="#x">
        First new
      </a>
      {more && (
        <button ref={ref} type="button">
          Load more
        </button>
      )}
    </div>
  );
}

describe('useFocusWhenGone', () => {
  it('moves focus from the control as it goes to what `find` finds', () => {
    const { rerender } = render(<More more />);
    screen.getByRole('button', { name: 'Load more' }).focus();
    act(() => rerender(<More more={false} />));
    expect(document.activeElement?.textContent).toBe('First new');
  });

  it('leaves focus that is elsewhere, or on <body> unless asked to move that too', () => {
    const { rerender } = render(<More more />);
    screen.getByRole('button', { name: 'Elsewhere' }).focus();
    act(() => rerender(<More more={false} />));
    expect(document.activeElement?.textContent).toBe('Elsewhere');

    act(() => rerender(<More more />));
    (document.activeElement as HTMLElement).blur();
    act(() => rerender(<More more={false} />));
    expect(document.activeElement).toBe(document.body);

    act(() => rerender(<More more orFromBody />));
    (document.activeElement as HTMLElement).blur();
    act(() => rerender(<More more={false} orFromBody />));
    expect(document.activeElement?.textContent).toBe('First new');
  });
});

import { describe, expect, it } from 'vitest';
import { focusLost, nextAfterRemoval } from './focus';

describe('nextAfterRemoval', () => {
  it('moves to the item after the removed one', () => {
    expect(nextAfterRemoval(['a', 'b', 'c'], 'b')).toBe('c');
    expect(nextAfterRemoval(['a', 'b', 'c'], 'a')).toBe('b');
  });

  it('moves to the item before when the last one goes', () => {
    expect(nextAfterRemoval(['a', 'b', 'c'], 'c')).toBe('b');
  });

  it('has nowhere to go in the list when the only item goes', () => {
    expect(nextAfterRemoval(['a'], 'a')).toBeNull();
    expect(nextAfterRemoval([], 'a')).toBeNull();
  });

  it('starts at the top when the removed item was not listed', () => {
    expect(nextAfterRemoval(['a', 'b'], 'x')).toBe('a');
  });
});

describe('focusLost', () => {
  it('is true on <body>, and on an element that is leaving', () => {
    const box = document.createElement('textarea');
    const other = document.createElement('button');
    document.body.append(box, other);
    (document.activeElement as HTMLElement | null)?.blur();
    expect(focusLost()).toBe(true);
    box.focus();
    expect(focusLost(box)).toBe(true);
    expect(focusLost(null, box)).toBe(true);
    expect(focusLost()).toBe(false);
    other.focus();
    expect(focusLost(box)).toBe(false);
    box.remove();
    other.remove();
  });
});

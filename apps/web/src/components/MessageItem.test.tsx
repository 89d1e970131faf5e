import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cutOffNote, MessageItem } from './MessageItem';

afterEach(cleanup);

describe('MessageItem: Regenerate', () => {
  const reply = {
    id: '00000000-0000-4000-8000-000000000002',
    chatId: '00000000-0000-4000-8000-000000000001',
    userId: '00000000-0000-4000-8000-000000000003',
    role: 'AI' as const,
    content: 'An answer.',
    status: 'done' as const,
    parentId: '00000000-0000-4000-8000-000000000004',
    agentId: null,
    modelUsed: 'local/demo',
    tokensUsed: 3,
    promptTokens: 1,
    completionTokens: 2,
    finishReason: 'stop',
    errorMessage: null,
    timeToFirstTokenMs: 1,
    durationMs: 2,
    createdAt: '2026-11-25T00:00:00.000Z',
    updatedAt: '2026-11-25T00:00:00.000Z',
  };

  it('is busy while its request is on its way: a second press sends nothing (each one costs an AI message)', async () => {
    let settle: (ok: boolean) => void = () => {};
    const onRegenerate = vi.fn(
      () =>
        new Promise<boolean>((resolve) => {
          settle = resolve;
        }),
    );
    render(
      <ul>
        <MessageItem
          message={reply}
          superseded={false}
          canRegenerate
          onRegenerate={onRegenerate}
          onStreamEnd={() => {}}
        />
      </ul>,
    );
    const button = screen.getByRole('button', { name: 'Regenerate' });
    button.focus();
    fireEvent.click(button);
    const busy = await screen.findByRole('button', { name: 'Regenerating…' });
    expect(busy.getAttribute('aria-busy')).toBe('true');
    expect(document.activeElement).toBe(busy);
    fireEvent.click(busy);
    fireEvent.click(busy);
    expect(onRegenerate).toHaveBeenCalledOnce();
    settle(false);
    const again = await screen.findByRole('button', { name: 'Regenerate' });
    expect(again.getAttribute('aria-busy')).toBeNull();
    fireEvent.click(again);
    expect(onRegenerate).toHaveBeenCalledTimes(2);
  });

  it('says when a finished reply was cut off by the output limit or a content filter, and only then', () => {
    const show = (m: Partial<typeof reply>) =>
      render(
        <ul>
          <MessageItem
            message={{ ...reply, ...m }}
            superseded={false}
            canRegenerate={false}
            onRegenerate={async () => true}
            onStreamEnd={() => {}}
          />
        </ul>,
      );
    const cut = show({ finishReason: 'length' });
    expect(cut.getByText('An answer.')).toBeTruthy();
    expect(cut.getByText(/reached this agent’s output limit/)).toBeTruthy();
    cut.unmount();
    expect(cutOffNote({ status: 'done', finishReason: 'max_tokens' })).toMatch(/output limit/);
    expect(cutOffNote({ status: 'done', finishReason: 'content_filter' })).toMatch(/content filter/);
    // A reply the model ended itself, or one that ended otherwise (its status says how), has no note.
    for (const m of [
      { status: 'done' as const, finishReason: 'stop' },
      { status: 'done' as const, finishReason: null },
      { status: 'stopped' as const, finishReason: 'stopped' },
      { status: 'error' as const, finishReason: 'error' },
    ])
      expect(cutOffNote(m)).toBeNull();
    const whole = show({ finishReason: 'stop' });
    expect(whole.queryByText(/Cut off/)).toBeNull();
  });
});

import { describe, expect, it, vi } from 'vitest';
import { settleStop } from './stop';

type M = { id: string; status: string };

/** A wait that takes no time and notes how long it was asked to be. */
function fakeWait() {
  const waits: number[] = [];
  return { waits, wait: async (ms: number) => void waits.push(ms) };
}

describe('settleStop', () => {
  it('reads nothing when the stream brings the end within the grace', async () => {
    const { waits, wait } = fakeWait();
    const read = vi.fn(async (): Promise<M> => ({ id: 'r', status: 'stopped' }));
    let ended = false;
    const r = await settleStop({
      stopStatus: 'stopping',
      ended: () => ended,
      read,
      wait: async (ms) => {
        await wait(ms);
        ended = true;
      },
      graceMs: 3000,
    });
    expect(r).toEqual({ ended: true });
    expect(waits).toEqual([3000]);
    expect(read).not.toHaveBeenCalled();
  });

  it('reads the stored reply when the stream says nothing within the grace', async () => {
    const { waits, wait } = fakeWait();
    const read = vi.fn(async (): Promise<M> => ({ id: 'r', status: 'stopped' }));
    const r = await settleStop({ stopStatus: 'stopping', ended: () => false, read, wait, graceMs: 3000 });
    expect(r).toEqual({ ended: true, message: { id: 'r', status: 'stopped' } });
    expect(waits).toEqual([3000]);
    expect(read).toHaveBeenCalledOnce();
  });

  it('reads at once a reply that had already ended when the stop came', async () => {
    const { waits, wait } = fakeWait();
    const read = vi.fn(async (): Promise<M> => ({ id: 'r', status: 'done' }));
    const r = await settleStop({ stopStatus: 'done', ended: () => false, read, wait });
    expect(r).toEqual({ ended: true, message: { id: 'r', status: 'done' } });
    expect(waits).toEqual([]);
  });

  it('reads again while the reply still says streaming or cannot be read, then ends', async () => {
    const { waits, wait } = fakeWait();
    const answers: (M | Error)[] = [
      { id: 'r', status: 'streaming' },
      new Error('Cannot reach the server'),
      { id: 'r', status: 'stopped' },
    ];
    const read = vi.fn(async (): Promise<M> => {
      const a = answers.shift();
      if (!a || a instanceof Error) throw a;
      return a;
    });
    const r = await settleStop({
      stopStatus: 'stopping',
      ended: () => false,
      read,
      wait,
      graceMs: 3000,
      retryMs: [1000, 2000, 4000],
    });
    expect(r).toEqual({ ended: true, message: { id: 'r', status: 'stopped' } });
    expect(waits).toEqual([3000, 1000, 2000]);
  });

  it('gives up, saying so, when the reply still says streaming after every try', async () => {
    const { waits, wait } = fakeWait();
    const read = vi.fn(async (): Promise<M> => ({ id: 'r', status: 'streaming' }));
    const r = await settleStop({
      stopStatus: 'stopping',
      ended: () => false,
      read,
      wait,
      graceMs: 3000,
      retryMs: [1000, 2000],
    });
    expect(r).toEqual({ ended: false });
    expect(waits).toEqual([3000, 1000, 2000]);
    expect(read).toHaveBeenCalledTimes(3);
  });

  it('stops reading once the page no longer waits (the stream ended, or the chat was left)', async () => {
    let ended = false;
    const read = vi.fn(async (): Promise<M> => {
      ended = true;
      return { id: 'r', status: 'streaming' };
    });
    const r = await settleStop({ stopStatus: 'stopping', ended: () => ended, read, wait: async () => {} });
    expect(r).toEqual({ ended: true });
    expect(read).toHaveBeenCalledOnce();
  });
});

/** How long a reply's stream gets, after message.stop is accepted, to bring its closing event itself. */
export const STOP_GRACE_MS = 3_000;
/** The pauses between reads of the stored reply while it still says `streaming` (then Stop is offered again). */
export const STOP_RETRY_MS: readonly number[] = [1_000, 2_000, 4_000, 8_000];

export interface SettleStopOptions<M extends { status: string }> {
  /** message.stop's answer: `stopping` (the stop signal went out) or the status the reply already had. */
  stopStatus: string;
  /** Whether the page already knows the reply ended (its stream's closing event came), or no longer cares. */
  ended(): boolean;
  /** The stored reply, read from the server. */
  read(): Promise<M>;
  wait(ms: number): Promise<void>;
  graceMs?: number;
  retryMs?: readonly number[];
}

/** `message`: the stored reply, when it had to be read; `ended: false`: it still says streaming after all tries. */
export type StopSettled<M> = { ended: true; message?: M } | { ended: false };

/**
 * After message.stop succeeded: how the reply ended, without waiting on its stream for ever. The stream normally
 * brings the closing event within moments; should it not within `graceMs` (its connection is cut and not back
 * yet), the stored reply is read, and read again after each of `retryMs` while it still says `streaming` (the
 * stop signal is on its way, or was lost) or cannot be read. A reply that had already ended when the stop came
 * (any answer but `stopping`) is read at once.
 */
export async function settleStop<M extends { status: string }>(
  o: SettleStopOptions<M>,
): Promise<StopSettled<M>> {
  const retryMs = o.retryMs ?? STOP_RETRY_MS;
  if (o.stopStatus === 'stopping') await o.wait(o.graceMs ?? STOP_GRACE_MS);
  for (let i = 0; ; i++) {
    if (o.ended()) return { ended: true };
    try {
      const message = await o.read();
      if (message.status !== 'streaming') return { ended: true, message };
    } catch {
      // Not readable just now (the server is out of reach too): the next try may be luckier.
    }
    const pause = retryMs[i];
    if (pause === undefined) return o.ended() ? { ended: true } : { ended: false };
    await o.wait(pause);
  }
}

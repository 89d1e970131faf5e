import type { EventLog } from '../../ports/types';

/** Sends the first delta at once (time to first token) and coalesces the rest over a short window. */
export class DeltaWriter {
  private pending = '';
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private sentFirst = false;

  constructor(
    private readonly log: EventLog,
    private readonly key: string,
    private readonly ttlSeconds: number,
    private readonly windowMs: number,
    private readonly onError: (err: unknown) => void,
  ) {}

  push(text: string): void {
    this.pending += text;
    if (!this.sentFirst) {
      this.sentFirst = true;
      this.flush();
      return;
    }
    this.timer ??= setTimeout(() => this.flush(), this.windowMs);
  }

  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (!this.pending) return;
    const data = JSON.stringify({ type: 'delta', text: this.pending });
    this.pending = '';
    this.chain = this.chain.then(
      () => this.log.append(this.key, data, this.ttlSeconds).then(() => {}),
      () => {},
    );
    this.chain = this.chain.catch(this.onError);
  }

  async drain(): Promise<void> {
    this.flush();
    await this.chain;
  }
}

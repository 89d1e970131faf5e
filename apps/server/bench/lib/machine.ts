import { readFileSync } from 'node:fs';

/** The whole machine's CPU counters (Linux /proc/stat, all cores), in clock ticks; undefined elsewhere. */
export interface MachineCpu {
  busy: number;
  total: number;
}

export function machineCpu(): MachineCpu | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
    // cpu  user nice system idle iowait irq softirq steal ...: idle and iowait are the time nothing ran.
    const ticks = line.trim().split(/\s+/).slice(1, 9).map(Number);
    const total = ticks.reduce((a, b) => a + b, 0);
    const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
    return Number.isFinite(total) && total > 0 ? { busy: total - idle, total } : undefined;
  } catch {
    return undefined;
  }
}

/** Share of all cores that were busy between two readings, percent (100 = every core all the time). */
export function busyPercent(from: MachineCpu | undefined, to: MachineCpu | undefined): number {
  if (!from || !to || to.total <= from.total) return Number.NaN;
  return (100 * (to.busy - from.busy)) / (to.total - from.total);
}

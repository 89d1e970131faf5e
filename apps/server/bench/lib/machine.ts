import os from 'node:os';

/** The whole machine's CPU time over all cores, milliseconds (os.cpus(): what the kernel reports). */
export interface MachineCpu {
  busy: number;
  total: number;
}

export function machineCpu(): MachineCpu {
  let busy = 0;
  let total = 0;
  for (const { times } of os.cpus()) {
    const all = times.user + times.nice + times.sys + times.idle + times.irq;
    total += all;
    busy += all - times.idle;
  }
  return { busy, total };
}

/** Share of all cores that were busy between two readings, percent (100 = every core all the time). */
export function busyPercent(from: MachineCpu, to: MachineCpu): number {
  if (to.total <= from.total) return Number.NaN;
  return (100 * (to.busy - from.busy)) / (to.total - from.total);
}

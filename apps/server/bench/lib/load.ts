import autocannon, { type Options } from 'autocannon';

export interface LoadResult {
  /** Completed requests per second over the measured window. */
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  /** Non-2xx responses plus connection errors and timeouts: any of these makes the figure suspect. */
  failures: number;
}

/** One bounded autocannon run on loopback. Pass `amount` for a fixed number of requests instead of a time. */
export async function load(opts: Options): Promise<LoadResult> {
  if (!/^http:\/\/127\.0\.0\.1:\d+/.test(opts.url)) throw new Error('load generation is for loopback only');
  const r = await autocannon({ connections: 50, pipelining: 1, timeout: 10, ...opts });
  const requests = r.requests.total;
  return {
    rps: requests / r.duration,
    p50: r.latency.p50,
    p99: r.latency.p99,
    requests,
    failures: r.non2xx + r.errors + r.timeouts,
  };
}

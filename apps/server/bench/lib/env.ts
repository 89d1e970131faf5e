import { z } from 'zod';

/**
 * The benchmarks' own settings (the server's are read by src/env.ts). Every knob has a default that keeps
 * `pnpm bench` under about five minutes on a 2-core machine.
 */
const num = (def: number) => z.coerce.number().positive().default(def);
const schema = z.object({
  BENCH_DATABASE_URL: z.url().default('postgres://postgres@127.0.0.1:5432/postgres'),
  BENCH_REDIS_URL: z.url().default('redis://127.0.0.1:6379'),
  /** Seconds of measured load per variant and round (each variant is warmed up once, 1 s, first). */
  BENCH_DURATION: num(1),
  /** Rounds over all variants, interleaved; ratios are taken within a round, then summarised. */
  BENCH_ROUNDS: z.coerce.number().int().min(1).max(50).default(5),
  BENCH_CONNECTIONS: z.coerce.number().int().min(1).max(1000).default(50),
  /** Wallets per sign-in phase. */
  BENCH_SIGNINS: z.coerce.number().int().min(10).max(100_000).default(300),
  /**
   * How many times the streaming suite runs each level; its figures pool the replies of all runs (a p99 over
   * 200 replies is the second-slowest one). Each repeat adds about 17 s.
   */
  BENCH_STREAMING_REPEATS: z.coerce.number().int().min(1).max(20).default(1),
  /**
   * The Node binary for the streaming suite's server process (default: the one running the bench), to run the
   * server alone on another Node (e.g. the bin directory of scripts/node24.sh + "/node").
   */
  BENCH_SERVER_NODE: z.string().optional(),
  /** Extra Node/V8 flags for the streaming suite's server process, space-separated (e.g. --max-semi-space-size=32). */
  BENCH_SERVER_FLAGS: z
    .string()
    .default('')
    .transform((s) => s.split(/\s+/).filter(Boolean)),
});

const parsed = schema.safeParse(
  Object.fromEntries(Object.entries(process.env).filter(([k, v]) => k.startsWith('BENCH_') && v !== '')),
);
if (!parsed.success) {
  throw new Error(
    `Invalid benchmark settings:\n${parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n')}`,
  );
}
export const benchEnv = parsed.data;

/**
 * `pnpm bench [name...]`: runs every suite in bench/suites, or those whose file name contains one of the
 * arguments (`pnpm bench read signin`).
 *
 * The suite contract (for everyone adding one):
 * - A suite is bench/suites/<name>.ts with `export default async function (): Promise<void>` that prints its
 *   own figures (a table, with the ratios it cares about) and leaves nothing behind: databases it created are
 *   dropped, servers it started are stopped. A thrown error fails that suite; the others still run.
 * - Real backends: PostgreSQL at BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres),
 *   in a fresh database per suite (lib/backend.ts createBenchDatabase), and Redis at BENCH_REDIS_URL when it
 *   answers (lib/backend.ts probeRedis), else the in-process ports, saying so.
 * - Load goes to loopback only and is bounded in time or count (lib/load.ts wraps autocannon). Servers run in
 *   a child process (lib/server.ts startBenchServer), so the load generator does not share their event loop.
 * - Compare ratios measured in the same run; absolute numbers are noise on a shared 2-core machine. Keep a
 *   suite to about a minute: the whole `pnpm bench` should finish in about five.
 * Settings: lib/env.ts (BENCH_DURATION, BENCH_ROUNDS, BENCH_CONNECTIONS, BENCH_SIGNINS).
 */
import { readdirSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';

const suitesDir = fileURLToPath(new URL('./suites/', import.meta.url));
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const suites = readdirSync(suitesDir)
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
  .map((f) => f.slice(0, -3))
  .sort()
  .filter((name) => wanted.length === 0 || wanted.some((w) => name.includes(w)));

if (suites.length === 0) {
  console.error(`no suite matches ${wanted.join(', ')}`);
  process.exit(1);
}

const cpus = os.cpus();
console.log(
  `pnpm bench: ${new Date().toISOString()}, node ${process.version}, ${cpus.length} x ${cpus[0]?.model.trim() ?? 'cpu'}, load average ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
console.log(`suites: ${suites.join(', ')}\n`);

const started = performance.now();
const failed: string[] = [];
for (const name of suites) {
  const t = performance.now();
  console.log(`=== ${name} ===`);
  try {
    const mod = (await import(pathToFileURL(`${suitesDir}${name}.ts`).href)) as { default?: unknown };
    if (typeof mod.default !== 'function') throw new Error('the suite has no default export function');
    await (mod.default as () => Promise<void>)();
  } catch (err) {
    failed.push(name);
    console.error(`suite ${name} failed:`, err);
  }
  console.log(`=== ${name}: ${((performance.now() - t) / 1000).toFixed(1)} s ===\n`);
}
console.log(
  `pnpm bench: ${suites.length - failed.length}/${suites.length} suites ran in ${((performance.now() - started) / 1000).toFixed(0)} s${
    failed.length ? `; failed: ${failed.join(', ')}` : ''
  }`,
);
process.exit(failed.length ? 1 : 0);

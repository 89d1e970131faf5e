import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { createBenchDatabase, probeRedis } from '../lib/backend';
import { benchEnv } from '../lib/env';
import { load } from '../lib/load';
import { fmt, median, printTable, range } from '../lib/report';
import { startBenchServer } from '../lib/server';
import { signIn } from '../lib/signin';

/**
 * An authenticated one-row read: tRPC `user.profile` (authedProcedure: RS256 access token, session check,
 * per-user rate limit; then a drizzle read and zod output validation) against bare fastify routes in the
 * same server process reading the same row through the same pg pool. The reference is a bare route that
 * verifies the access token (the same TokenService, no cache) and reads the row, as a hand-written
 * endpoint would. All variants run in every round, in short interleaved slices, so that the machine's
 * drifting load hits them alike; ratios are taken within a round. (Forcing a full GC in the server before each
 * slice made every variant dearer, the tRPC ones most: V8 then flushes and recompiles code. It is not done.)
 * Besides requests/s and p99 it reports
 * the server process's CPU time per request, which a busy machine disturbs far less than throughput.
 */
const TARGET = 0.5;
const REFERENCE = 'bare route: verify token + read (reference)';
const SHIPPED = 'tRPC direct route + token cache (default)';
const OFFICIAL = 'tRPC official adapter (httpLink GET)';

interface Variant {
  name: string;
  app: 'official' | 'direct';
  tokenCache: boolean;
  path: string;
  headers?: Record<string, string>;
}

interface Slice {
  rps: number;
  p99: number;
  cpuPerRequest: number;
  failures: number;
}

export default async function read(): Promise<void> {
  const db = await createBenchDatabase('read');
  const redisUrl = await probeRedis();
  if (!redisUrl)
    console.log(`read: Redis at ${benchEnv.BENCH_REDIS_URL} not reachable: using in-process ports`);
  const server = await startBenchServer({
    databaseUrl: db.url,
    ...(redisUrl ? { redisUrl } : {}),
    apps: { official: { TRPC_FAST_PATH: 'false' }, direct: { TRPC_FAST_PATH: 'true' } },
  });
  try {
    const { accessToken, userId } = await signIn(
      server.urls.direct ?? '',
      privateKeyToAccount(generatePrivateKey()),
    );
    const profile = '/trpc/user.profile';
    const batch = `${profile}?batch=1&input=${encodeURIComponent('{}')}`;
    const jsonl = { 'trpc-accept': 'application/jsonl' };
    const variants: Variant[] = [
      { name: REFERENCE, app: 'direct', tokenCache: false, path: '/bench/bare/auth-read' },
      {
        name: 'bare route: verify token (cached) + read',
        app: 'direct',
        tokenCache: true,
        path: '/bench/bare/auth-read',
      },
      {
        name: 'bare route: read only',
        app: 'direct',
        tokenCache: true,
        path: `/bench/bare/read?id=${userId}`,
      },
      {
        name: 'bare route: read only, prepared statement',
        app: 'direct',
        tokenCache: true,
        path: `/bench/bare/prepared-read?id=${userId}`,
      },
      {
        name: 'bare route: authedProcedure work + read',
        app: 'direct',
        tokenCache: true,
        path: '/bench/bare/authed-read',
      },
      {
        name: 'bare route: authedProcedure work + drizzle read',
        app: 'direct',
        tokenCache: true,
        path: '/bench/bare/authed-read?orm=drizzle',
      },
      { name: OFFICIAL, app: 'official', tokenCache: false, path: profile },
      { name: 'tRPC official adapter + token cache', app: 'official', tokenCache: true, path: profile },
      { name: 'tRPC official + cache, httpBatchLink', app: 'official', tokenCache: true, path: batch },
      {
        name: 'tRPC official + cache, httpBatchStreamLink',
        app: 'official',
        tokenCache: true,
        path: batch,
        headers: jsonl,
      },
      { name: 'tRPC direct route', app: 'direct', tokenCache: false, path: profile },
      { name: SHIPPED, app: 'direct', tokenCache: true, path: profile },
    ];
    const auth = { authorization: `Bearer ${accessToken}` };
    const optsOf = (v: Variant) => ({
      url: `${server.urls[v.app]}${v.path}`,
      headers: { ...auth, ...v.headers },
      connections: benchEnv.BENCH_CONNECTIONS,
    });

    // Every variant must answer 200 with the row before it is measured; then one warm-up each.
    for (const v of variants) {
      const res = await fetch(optsOf(v).url, { headers: { ...auth, ...v.headers } });
      const text = await res.text();
      if (res.status !== 200 || !text.includes(userId)) {
        throw new Error(`${v.name}: ${res.status} ${text.slice(0, 200)}`);
      }
      await server.tokenCache(v.app, v.tokenCache);
      await load({ ...optsOf(v), duration: 1 });
    }

    console.log(
      `read: ${server.backend}; ${benchEnv.BENCH_ROUNDS} rounds x ${variants.length} variants x ${benchEnv.BENCH_DURATION} s, ${benchEnv.BENCH_CONNECTIONS} connections`,
    );
    const slices = new Map<string, Slice[]>(variants.map((v) => [v.name, []]));
    for (let round = 0; round < benchEnv.BENCH_ROUNDS; round++) {
      // Rotate the order so that drift in the machine's load does not always hit the same variant.
      const order = variants.map((_, i) => variants[(i + round * 3) % variants.length] as Variant);
      for (const v of order) {
        await server.tokenCache(v.app, v.tokenCache);
        const cpuBefore = await server.cpuMicros();
        const r = await load({ ...optsOf(v), duration: benchEnv.BENCH_DURATION });
        const cpu = (await server.cpuMicros()) - cpuBefore;
        slices.get(v.name)?.push({
          rps: r.rps,
          p99: r.p99,
          cpuPerRequest: cpu / Math.max(1, r.requests),
          failures: r.failures,
        });
      }
    }

    const ref = slices.get(REFERENCE) ?? [];
    const ratios = (name: string) =>
      (slices.get(name) ?? []).map((s, i) => s.rps / (ref[i]?.rps ?? Number.NaN));
    const cpuRatio = (name: string) =>
      median((slices.get(name) ?? []).map((s) => s.cpuPerRequest)) / median(ref.map((s) => s.cpuPerRequest));
    const rows = variants.map((v) => {
      const ss = slices.get(v.name) ?? [];
      const failures = ss.reduce((n, s) => n + s.failures, 0);
      return [
        v.name,
        fmt(median(ss.map((s) => s.rps))),
        fmt(median(ss.map((s) => s.p99))),
        range(ratios(v.name)),
        fmt(median(ss.map((s) => s.cpuPerRequest))),
        fmt(1 / cpuRatio(v.name), 2),
        failures ? `${failures} FAILED` : '0',
      ];
    });
    printTable(
      [
        'variant',
        'req/s',
        'p99 ms',
        'req/s ratio to reference, median (range)',
        'server CPU us/req',
        'CPU ratio',
        'non-2xx',
      ],
      rows,
    );
    const shipped = median(ratios(SHIPPED));
    console.log(
      `read: user.profile as shipped (direct route + token cache) / reference = ${fmt(shipped, 2)} req/s, ${fmt(
        1 / cpuRatio(SHIPPED),
        2,
      )} by CPU per request (target >= ${TARGET}): ${shipped >= TARGET ? 'PASS' : 'FAIL'}; official adapter = ${fmt(
        median(ratios(OFFICIAL)),
        2,
      )} req/s, ${fmt(1 / cpuRatio(OFFICIAL), 2)} by CPU`,
    );
    console.log(
      'read: "CPU ratio" = reference CPU per request / variant CPU per request (above 1: cheaper than the reference)',
    );
  } finally {
    await server.stop();
    await db.drop();
  }
}

import { performance } from 'node:perf_hooks';
import type { RawRequest, RequestContext } from 'autocannon';
import { generatePrivateKey, type PrivateKeyAccount, privateKeyToAccount } from 'viem/accounts';
import { createBenchDatabase, probeRedis } from '../lib/backend';
import { benchEnv } from '../lib/env';
import { type LoadResult, load } from '../lib/load';
import { fmt, printTable } from '../lib/report';
import { startBenchServer } from '../lib/server';

/**
 * Sign-ins per second through the public API as shipped: `auth.message` (build the EIP-4361 message, store
 * the nonce) and a signed `auth.authenticate` (consume the nonce, recover the signer, find or create the
 * user, open a session with its refresh token, sign an RS256 access token). Wallets are generated first;
 * their signatures are made between the two phases, outside the timed windows, because a wallet signs on
 * the user's machine, not on ours. Once for new wallets (sign-up), once again for the same wallets
 * (returning users).
 */
const CONNECTIONS = 20;

interface Phase {
  name: string;
  result: LoadResult;
  /** Server process CPU time per request, microseconds. */
  cpu: number;
}

export default async function signin(): Promise<void> {
  const n = Math.ceil(benchEnv.BENCH_SIGNINS / CONNECTIONS) * CONNECTIONS;
  const db = await createBenchDatabase('signin');
  const redisUrl = await probeRedis();
  if (!redisUrl)
    console.log(`signin: Redis at ${benchEnv.BENCH_REDIS_URL} not reachable: using in-process ports`);
  const server = await startBenchServer({
    databaseUrl: db.url,
    ...(redisUrl ? { redisUrl } : {}),
    apps: { api: {} },
  });
  const url = server.urls.api ?? '';
  try {
    let t = performance.now();
    const wallets: PrivateKeyAccount[] = Array.from({ length: n }, () =>
      privateKeyToAccount(generatePrivateKey()),
    );
    console.log(
      `signin: ${server.backend}; ${n} wallets generated in ${((performance.now() - t) / 1000).toFixed(1)} s; ${CONNECTIONS} connections`,
    );
    const phases: Phase[] = [];
    const signs: number[] = [];

    for (const round of ['sign-up (new wallets)', 'sign-in (returning wallets)'] as const) {
      const messages: string[] = new Array(n);
      let next = 0;
      let cpu = await server.cpuMicros();
      const msg = await load({
        url,
        connections: CONNECTIONS,
        amount: n,
        requests: [
          {
            method: 'GET',
            setupRequest(req: RawRequest, ctx: RequestContext) {
              const i = next++ % n;
              ctx.i = i;
              const input = encodeURIComponent(JSON.stringify({ address: wallets[i]?.address, chainId: 1 }));
              return { ...req, path: `/trpc/auth.message?input=${input}` };
            },
            onResponse(status: number, body: string, ctx: RequestContext) {
              if (status === 200) messages[ctx.i as number] = JSON.parse(body).result.data.message;
            },
          },
        ],
      });
      phases.push({
        name: `auth.message, ${round}`,
        result: msg,
        cpu: ((await server.cpuMicros()) - cpu) / n,
      });

      t = performance.now();
      const bodies = await Promise.all(
        wallets.map(async (w, i) => {
          const message = messages[i];
          if (!message) throw new Error(`no message for wallet ${i}`);
          return JSON.stringify({ message, signature: await w.signMessage({ message }) });
        }),
      );
      signs.push((performance.now() - t) / n);

      next = 0;
      cpu = await server.cpuMicros();
      let ok = 0;
      let newUsers = 0;
      const auth = await load({
        url,
        connections: CONNECTIONS,
        amount: n,
        requests: [
          {
            method: 'POST',
            path: '/trpc/auth.authenticate',
            headers: { 'content-type': 'application/json' },
            setupRequest(req: RawRequest) {
              return { ...req, body: bodies[next++ % n] };
            },
            onResponse(status: number, body: string) {
              if (status !== 200) return;
              ok++;
              if (JSON.parse(body).result.data.isNewUser) newUsers++;
            },
          },
        ],
      });
      if (ok !== n) throw new Error(`${round}: ${ok} of ${n} sign-ins succeeded`);
      const expectedNew = round.startsWith('sign-up') ? n : 0;
      if (newUsers !== expectedNew)
        throw new Error(`${round}: ${newUsers} new users, expected ${expectedNew}`);
      phases.push({
        name: `auth.authenticate, ${round}`,
        result: auth,
        cpu: ((await server.cpuMicros()) - cpu) / n,
      });
    }

    printTable(
      ['phase', 'requests', 'req/s', 'p50 ms', 'p99 ms', 'server CPU ms/req', 'non-2xx'],
      phases.map((p) => [
        p.name,
        fmt(p.result.requests),
        fmt(p.result.rps),
        fmt(p.result.p50),
        fmt(p.result.p99),
        fmt(p.cpu / 1000, 2),
        fmt(p.result.failures),
      ]),
    );
    const rate = (name: string) => phases.find((p) => p.name === name)?.result.rps ?? Number.NaN;
    for (const round of ['sign-up (new wallets)', 'sign-in (returning wallets)']) {
      const combined = 1 / (1 / rate(`auth.message, ${round}`) + 1 / rate(`auth.authenticate, ${round}`));
      const cpuMs = phases.filter((p) => p.name.endsWith(round)).reduce((sum, p) => sum + p.cpu / 1000, 0);
      console.log(
        `signin: ${round}: ${fmt(combined, 0)} complete sign-ins/s (message + authenticate, server side); ${fmt(cpuMs, 1)} ms of server CPU each, so at most ${fmt(1000 / cpuMs, 0)}/s per core`,
      );
    }
    console.log(
      `signin: the client's signature took ${fmt(signs.reduce((a, b) => a + b, 0) / signs.length, 2)} ms per wallet (not timed above)`,
    );
  } finally {
    await server.stop();
    await db.drop();
  }
}

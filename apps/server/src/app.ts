import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { type AppRouter, appRouter, createInnerContext, createOpenApiDocument } from '@chatplatform/api';
import { type FastifyTRPCPluginOptions, fastifyTRPCPlugin } from '@trpc/server/adapters/fastify';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import type { ServerConfig } from './env';
import { createApiErrors } from './plugins/api-errors';
import { createClientErrors } from './plugins/client-errors';
import { createFrameworkErrors } from './plugins/framework-errors';
import { createHttpMethods } from './plugins/http-methods';
import { createLabels, createMetrics, registerMetrics } from './plugins/metrics';
import { REST_PREFIX, registerRest } from './plugins/rest';
import { registerSecurity } from './plugins/security';
import { registerTrpcBatchGuard } from './plugins/trpc-batch-guard';
import { createTrpcErrors, type TrpcOnError } from './plugins/trpc-errors';
import { trpcFastPlugin } from './plugins/trpc-fast';
import { registerWeb } from './plugins/web';
import { type Injected, openResources, type Resources } from './resources';

declare module 'fastify' {
  interface FastifyInstance {
    resources: Resources;
  }
}

export const REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.accessToken',
  '*.refreshToken',
  '*.signature',
];

/** Builds the configured server. Never listens: main.ts does, tests use inject() or listen({ port: 0 }). */
export async function buildApp(config: ServerConfig, injected: Injected = {}): Promise<FastifyInstance> {
  const metrics = createMetrics();
  const labels = createLabels(Object.keys(appRouter._def.procedures));
  // Every error a procedure answers, over /trpc or the REST mirror, counts in trpc_errors_total; a 500 is logged.
  const countingErrors =
    (failed: string): TrpcOnError =>
    ({ error, path: procedure, req }) => {
      metrics.errors.inc({ procedure: labels.procedure(procedure), code: error.code });
      if (error.code === 'INTERNAL_SERVER_ERROR') req.log.error({ err: error, procedure }, failed);
    };
  const onTrpcError = countingErrors('procedure failed');
  const onRestError = countingErrors('REST procedure failed');
  // What the server refuses itself on /trpc (bad URL, body over the limit, batch shape, method) in tRPC's shape.
  const trpcErrors = createTrpcErrors({ router: appRouter, onError: onTrpcError });
  // The CSRF guard's 415 and the REST mirror's 405, in the shape of the API refused.
  const apiErrors = createApiErrors({
    trpc: { prefix: '/trpc', errors: trpcErrors },
    rest: { prefix: REST_PREFIX, onError: onRestError },
  });
  const document = createOpenApiDocument({ baseUrl: REST_PREFIX, router: appRouter });

  const app = Fastify({
    logger: {
      level: config.logLevel,
      redact: { paths: REDACT, censor: '[redacted]' },
      ...(injected.logStream ? { stream: injected.logStream } : {}),
    },
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w-]{1,64}$/.test(given) ? given : randomUUID();
    },
    trustProxy: config.trustProxy,
    bodyLimit: config.bodyLimit,
    forceCloseConnections: true,
    routerOptions: { maxParamLength: 5000 },
    // What Node's HTTP parser refuses (headers over the limit 431, malformed HTTP 400) as JSON, counted.
    clientErrorHandler: createClientErrors({
      count: ({ method, status }) =>
        metrics.requests.inc({ method, route: 'unmatched', status: String(status) }),
    }),
    frameworkErrors: createFrameworkErrors({
      trpc: { prefix: '/trpc', errors: trpcErrors },
      rest: { prefix: REST_PREFIX },
      bodyLimit: config.bodyLimit,
    }),
  });

  const resources = await openResources(
    config,
    app.log,
    {
      signIn: ({ isNewUser }) => metrics.signIns.inc({ new_user: String(isNewUser) }),
    },
    injected,
  );
  app.decorate('resources', resources);
  app.addHook('onClose', async () => resources.close());
  // Open message.stream responses would hold close() up: end them first (clients resume elsewhere).
  app.addHook('preClose', async () => resources.services.generation.closeStreams());
  app.addHook('onSend', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });

  const methods = createHttpMethods(app, {
    trpc: { prefix: '/trpc', router: appRouter, errors: trpcErrors },
    rest: { prefix: REST_PREFIX, document },
    errors: apiErrors,
  });
  await registerSecurity(app, { corsOrigins: config.corsOrigins, methods, errors: apiErrors });
  registerMetrics(app, metrics, resources.services.generation, { labels, token: config.metricsToken });

  const contextFor = (req: FastifyRequest, setHeader: (k: string, v: string) => void) =>
    createInnerContext(resources.services, {
      ip: req.ip,
      userAgent: req.headers['user-agent'] ?? null,
      authorization: req.headers.authorization ?? null,
      setHeader,
    });

  registerTrpcBatchGuard(app, { router: appRouter, prefix: '/trpc', onError: onTrpcError });
  await app.register(async (scope) => {
    // fastify's own errors on /trpc (a body over the limit) in tRPC's shape, not fastify's.
    scope.setErrorHandler(trpcErrors.errorHandler('/trpc', config.bodyLimit));
    // The direct route for single queries and JSON mutations (plugins/trpc-fast.ts); TRPC_FAST_PATH=false
    // serves every call through the official adapter alone.
    await scope.register(config.trpcFastPath ? trpcFastPlugin : fastifyTRPCPlugin, {
      prefix: '/trpc',
      trpcOptions: {
        router: appRouter,
        createContext: ({ req, res }) => contextFor(req, (k, v) => void res.header(k, v)),
        onError: onTrpcError,
      } satisfies FastifyTRPCPluginOptions<AppRouter>['trpcOptions'],
    });
    // /trpc itself and paths no procedure route matches (/trpc/a/b): tRPC's 404 for an unknown procedure,
    // answered before a body is read (an empty JSON body would be a 400 first).
    await scope.register(
      async (s) => {
        const notFound = trpcErrors.notFound('/trpc');
        s.addHook('onRequest', async (req, reply) => notFound(req, reply));
        s.setNotFoundHandler(notFound);
      },
      { prefix: '/trpc' },
    );
  });

  await registerRest(app, {
    document,
    createContext: contextFor,
    onError: onRestError,
  });

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    const checks: Record<string, string> = {};
    const probe = async (name: string, fn: () => Promise<void>) => {
      try {
        await Promise.race([
          fn(),
          new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 2000)),
        ]);
        checks[name] = 'ok';
      } catch (err) {
        checks[name] = `error: ${(err as Error).message}`;
      }
    };
    await Promise.all([
      probe(`database:${resources.dbHandle.kind}`, () => resources.dbHandle.ping()),
      probe(`store:${resources.ports.kind}`, () => resources.ports.ping()),
    ]);
    const ok = Object.values(checks).every((v) => v === 'ok');
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ready' : 'unavailable', checks });
  });
  app.get('/.well-known/jwks.json', async (_req, reply) => {
    reply.header('cache-control', 'public, max-age=300');
    return resources.services.keys.jwks;
  });

  await registerWeb(app, { dist: config.webDist ?? defaultWebDist() });
  return app;
}

/** apps/web/dist next to this app, when it has been built. */
function defaultWebDist(): string | undefined {
  try {
    const require = createRequire(import.meta.url);
    const serverPkg = path.dirname(require.resolve('@chatplatform/server/package.json'));
    const dist = path.resolve(serverPkg, '../web/dist');
    return existsSync(path.join(dist, 'index.html')) ? dist : undefined;
  } catch {
    return undefined;
  }
}

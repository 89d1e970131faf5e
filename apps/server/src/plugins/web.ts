import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { isUnder } from './trpc-errors';

const API_PREFIXES = ['/trpc', '/api', '/metrics', '/healthz', '/readyz', '/.well-known'];

/** Serves the built web app at / with an SPA fallback; JSON 404s everywhere else. */
export async function registerWeb(app: FastifyInstance, opts: { dist: string | undefined }) {
  if (opts.dist) {
    await app.register(fastifyStatic, {
      root: opts.dist,
      prefix: '/',
      wildcard: false,
      index: ['index.html'],
    });
  }
  app.setNotFoundHandler((req, reply) => {
    const isApi = API_PREFIXES.some((p) => isUnder(req.url, p));
    if (
      opts.dist &&
      !isApi &&
      (req.method === 'GET' || req.method === 'HEAD') &&
      req.headers.accept?.includes('text/html')
    ) {
      return reply.type('text/html').sendFile('index.html');
    }
    return reply
      .code(404)
      .send({ code: 'NOT_FOUND', message: `No route for ${req.method} ${req.url.split('?')[0]}` });
  });
  if (!opts.dist) {
    app.get('/', async (_req, reply) =>
      reply
        .type('text/html')
        .send(
          '<!doctype html><title>ChatPlatform</title><p>ChatPlatform API is running. The web app is not built: run <code>pnpm start</code> from the repository root, or see <a href="/api/docs">/api/docs</a>.</p>',
        ),
    );
  }
}

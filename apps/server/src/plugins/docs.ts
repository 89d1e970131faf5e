import { createRequire } from 'node:module';
import path from 'node:path';
import type { OpenAPIObject } from '@chatplatform/api';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/** The only files of swagger-ui-dist the page needs; nothing else in that directory is served. */
const ASSETS = new Set([
  '/swagger-ui.css',
  '/swagger-ui-bundle.js',
  '/favicon-32x32.png',
  '/favicon-16x16.png',
]);

/**
 * GET {prefix}/openapi.json and the docs page at GET {prefix}/docs. Swagger UI comes from the swagger-ui-dist
 * package on this server (no CDN) and runs under the server's CSP (script-src 'self'): the page has no inline
 * script, its start-up code is a separate same-origin file.
 */
export async function registerDocs(
  app: FastifyInstance,
  opts: { prefix: string; document: OpenAPIObject },
): Promise<void> {
  const { prefix, document } = opts;
  const require = createRequire(import.meta.url);
  const root = path.dirname(require.resolve('swagger-ui-dist/package.json'));
  const documentJson = JSON.stringify(document);

  const html = [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<title>ChatPlatform REST API</title>',
    `<link rel="stylesheet" href="${prefix}/docs/swagger-ui.css">`,
    `<link rel="icon" type="image/png" href="${prefix}/docs/favicon-32x32.png" sizes="32x32">`,
    '</head>',
    '<body>',
    '<div id="swagger-ui"></div>',
    `<script src="${prefix}/docs/swagger-ui-bundle.js"></script>`,
    `<script src="${prefix}/docs/init.js"></script>`,
    '</body>',
    '</html>',
  ].join('\n');

  const init = `window.ui = SwaggerUIBundle(${JSON.stringify({
    url: `${prefix}/openapi.json`,
    dom_id: '#swagger-ui',
    deepLinking: true,
    layout: 'BaseLayout',
    tryItOutEnabled: false,
    persistAuthorization: false,
  })});\n`;

  for (const url of [`${prefix}/openapi.json`, `${prefix}/openapi.json/`]) {
    app.get(url, async (_req, reply) => {
      reply.header('cache-control', 'no-cache');
      return reply.type('application/json; charset=utf-8').send(documentJson);
    });
  }
  for (const url of [`${prefix}/docs`, `${prefix}/docs/`]) {
    app.get(url, async (_req, reply) => reply.type('text/html; charset=utf-8').send(html));
  }
  app.get(`${prefix}/docs/init.js`, async (_req, reply) =>
    reply.type('text/javascript; charset=utf-8').send(init),
  );
  await app.register(fastifyStatic, {
    root,
    prefix: `${prefix}/docs/`,
    decorateReply: false,
    index: false,
    allowedPath: (pathName) => ASSETS.has(pathName),
  });
}

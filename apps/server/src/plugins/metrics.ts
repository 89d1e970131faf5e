import { timingSafeEqual } from 'node:crypto';
import type { ReplyEnded } from '@chatplatform/api';
import type { FastifyInstance } from 'fastify';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Prometheus metrics: requests and durations by route (tRPC: by procedure), sign-ins, errors. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests by route and status',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route',
    labelNames: ['method', 'route'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const signIns = new Counter({
    name: 'auth_sign_ins_total',
    help: 'Successful sign-ins',
    labelNames: ['new_user'],
    registers: [registry],
  });
  const errors = new Counter({
    name: 'trpc_errors_total',
    help: 'tRPC errors by procedure and code',
    labelNames: ['procedure', 'code'],
    registers: [registry],
  });
  return { registry, requests, duration, signIns, errors };
}

export type Metrics = ReturnType<typeof createMetrics>;

/**
 * Label values that stay bounded whatever a client sends: a tRPC path is a label only when it names a procedure
 * of the router (batches as "trpc:batch", anything else "trpc:unknown"), other requests by their route pattern.
 * Every distinct value is a new series kept until the process ends, so a label built from raw input would let
 * anyone grow the server's memory (and /metrics) one request at a time.
 */
export function createLabels(procedures: Iterable<string>) {
  const known = new Set(procedures);
  const procedure = (path: string | undefined) => (path !== undefined && known.has(path) ? path : 'unknown');
  const route = (url: string, routePattern: string | undefined) => {
    if (url.startsWith('/trpc/')) {
      const p = url.slice(6).split('?')[0] ?? '';
      return p.includes(',') ? 'trpc:batch' : `trpc:${procedure(p)}`;
    }
    return routePattern ?? 'unmatched';
  };
  return { procedure, route };
}

export type Labels = ReturnType<typeof createLabels>;

/** What the generation service shows /metrics (GenerationService, structurally). */
export interface GenerationSource {
  readonly openStreams: number;
  readonly runner: {
    readonly running: number;
    readonly deltasRead: number;
    onReplyEnded(fn: (r: ReplyEnded) => void): () => void;
  };
}

export function registerMetrics(
  app: FastifyInstance,
  metrics: Metrics,
  generation: GenerationSource,
  options: { labels: Labels; token: string | undefined },
) {
  const registers = [metrics.registry];
  new Gauge({
    name: 'message_streams_open',
    help: 'message.stream subscriptions open on this instance',
    registers,
    collect() {
      this.set(generation.openStreams);
    },
  });
  new Gauge({
    name: 'ai_generations_running',
    help: 'AI replies being generated on this instance',
    registers,
    collect() {
      this.set(generation.runner.running);
    },
  });
  let deltasCounted = 0;
  new Counter({
    name: 'ai_provider_deltas_total',
    help: 'Text deltas read from model providers on this instance (about one token each)',
    registers,
    collect() {
      const n = generation.runner.deltasRead;
      if (n > deltasCounted) this.inc(n - deltasCounted);
      deltasCounted = n;
    },
  });
  const replies = new Counter({
    name: 'ai_replies_total',
    help: 'AI replies this instance ran, by how they ended',
    labelNames: ['status'],
    registers,
  });
  const firstToken = new Histogram({
    name: 'ai_time_to_first_token_seconds',
    help: "From a reply's start (history read, model request) to the provider's first text",
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
    registers,
  });
  const unsubscribe = generation.runner.onReplyEnded((r) => {
    replies.inc({ status: r.status });
    if (r.timeToFirstTokenMs !== null) firstToken.observe(r.timeToFirstTokenMs / 1000);
  });
  app.addHook('onClose', async () => unsubscribe());
  app.addHook('onResponse', async (req, reply) => {
    const route = options.labels.route(req.url, req.routeOptions.url);
    metrics.requests.inc({ method: req.method, route, status: String(reply.statusCode) });
    metrics.duration.observe({ method: req.method, route }, reply.elapsedTime / 1000);
  });
  // METRICS_TOKEN set: the scraper sends it as a Bearer token; compared in constant time.
  const expected = options.token === undefined ? undefined : Buffer.from(`Bearer ${options.token}`);
  app.get('/metrics', async (req, reply) => {
    if (expected) {
      const given = Buffer.from(req.headers.authorization ?? '');
      if (given.length !== expected.length || !timingSafeEqual(given, expected))
        return reply
          .code(401)
          .header('www-authenticate', 'Bearer')
          .send({ error: 'Unauthorized', message: 'This endpoint needs the metrics token (METRICS_TOKEN).' });
    }
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
}

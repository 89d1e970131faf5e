import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isIP } from 'node:net';
import path from 'node:path';
import type { AiConfig, AiProviderConfig, ApiConfig } from '@chatplatform/api';
import { z } from 'zod';

/**
 * The one place that reads process.env. Every variable is validated; a bad value stops the start with a
 * message naming it. The seed's names (APP_*, POSTGRES_*, REDIS_*, JWT_*, EMAIL_*) are kept; DATABASE_URL,
 * REDIS_URL and PORT are accepted too.
 */
const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max);
const list = z.string().transform((s) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean),
);

/** proxy-addr's names for address ranges, accepted in TRUST_PROXY beside addresses and CIDR ranges. */
const PROXY_RANGES = ['loopback', 'linklocal', 'uniquelocal'];
/**
 * Which proxies may name the client in X-Forwarded-For. Never every hop: the leftmost entries are whatever the
 * client sent, so trusting all of them would let anyone pick the IP that per-IP rate limits count. "false" trusts
 * none; "true" trusts a proxy on this host or a private network (loopback, link-local and unique-local ranges);
 * otherwise a comma-separated list of the proxies' addresses, CIDR ranges or those three names. (fastify takes a
 * hop count as trusting nothing, since it cannot check the peer, so counts are refused here rather than ignored.)
 */
const trustProxy = z.string().transform((raw, ctx): false | string[] => {
  const v = raw.trim().toLowerCase();
  if (v === 'false' || v === 'no' || v === '0') return false;
  if (v === 'true' || v === 'yes' || v === '1') return PROXY_RANGES;
  const entries = raw
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
  const valid = (entry: string) => {
    if (PROXY_RANGES.includes(entry)) return true;
    const [address = '', bits, extra] = entry.split('/');
    const family = isIP(address);
    if (family === 0 || extra !== undefined) return false;
    if (bits === undefined) return true;
    return /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
  };
  const bad = entries.filter((e) => !valid(e));
  if (entries.length === 0 || bad.length > 0) {
    ctx.addIssue({
      code: 'custom',
      message: `"${bad[0] ?? raw}" is not true, false, an IP address, a CIDR range or one of ${PROXY_RANGES.join(', ')}`,
    });
    return z.NEVER;
  }
  return entries;
});

const EnvSchema = z.object({
  ENVIRONMENT: z.enum(['development', 'production', 'test']).optional(),
  NODE_ENV: z.string().optional(),
  APP_HOST: z.string().min(1).default('0.0.0.0'),
  APP_PORT: int(0, 65535).optional(),
  PORT: int(0, 65535).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  TRUST_PROXY: trustProxy.default(false),
  BODY_LIMIT: int(1024).default(1024 * 1024),
  /** The direct route for single tRPC queries and JSON mutations; false = the official adapter for all. */
  TRPC_FAST_PATH: bool.default(true),
  CORS_ORIGINS: list.optional(),
  /** Set: GET /metrics needs "Authorization: Bearer <token>". */
  METRICS_TOKEN: z.string().min(16, 'at least 16 characters').optional(),

  DATABASE_URL: z.url().optional(),
  POSTGRES_HOST: z.string().optional(),
  POSTGRES_PORT: int(1, 65535).default(5432),
  POSTGRES_DB: z.string().default('chatplatform'),
  POSTGRES_USER: z.string().default('postgres'),
  POSTGRES_PASSWORD: z.string().optional(),
  DATABASE_POOL_SIZE: int(1, 500).default(20),
  DATA_DIR: z.string().default('.data'),

  REDIS_URL: z.url().optional(),
  REDIS_HOST: z.string().optional(),
  REDIS_PORT: int(1, 65535).default(6379),
  REDIS_PASSWORD: z.string().optional(),

  JWT_KEYS_DIR: z.string().optional(),
  JWT_PRIVATE_KEY_PATH: z.string().optional(),
  JWT_PUBLIC_KEY_PATH: z.string().optional(),
  JWT_ALGORITHM: z.literal('RS256', { message: 'only RS256 is supported' }).default('RS256'),
  JWT_EXPIRE_ACCESS: int(30, 24 * 3600).default(900),
  JWT_EXPIRE_SESSION: int(300).default(30 * 24 * 3600),
  JWT_REFRESH_GRACE: int(0, 300).default(10),
  JWT_ISSUER: z.string().min(1).default('chatplatform'),
  JWT_AUDIENCE: z.string().min(1).default('chatplatform-api'),

  SIWE_DOMAIN: z.string().min(1).optional(),
  SIWE_URI: z.url().optional(),
  SIWE_STATEMENT: z.string().max(500).default('Sign in to ChatPlatform.'),
  SIWE_CHAIN_IDS: list.default(['1', '10', '137', '8453', '42161', '11155111', '31337']),
  SIWE_MESSAGE_TTL: int(30, 3600).default(600),
  SIWE_CLOCK_SKEW: int(0, 300).default(45),
  /** "1=https://rpc.example/eth,8453=https://rpc.example/base" */
  SIWE_RPC_URLS: list.default([]),

  LIMIT_AI_MESSAGES: int(0).default(100),
  LIMIT_API_CALLS: int(0).default(1000),
  RATE_LIMIT_WINDOW: int(1, 3600).default(60),
  RATE_LIMIT_AUTH_PER_IP: int(1).default(30),
  RATE_LIMIT_USER: int(1).default(600),
  MESSAGE_MAX_LENGTH: int(1, 1_000_000).default(16_000),
  /** Agents one user may own (platform agents do not count); at most 1000, since agent.list returns them all. */
  AGENTS_MAX_PER_USER: int(1, 1000).default(50),

  /** SMTP for verification mail; unset = mail is written to the log, clearly marked. */
  EMAIL_SMTP_SERVER: z.string().min(1).optional(),
  EMAIL_PORT: int(1, 65535).default(587),
  /** The SMTP login (and the sender, unless EMAIL_FROM is set). */
  EMAIL_ADDRESS: z.string().min(1).optional(),
  EMAIL_PASSWORD: z.string().optional(),
  EMAIL_FROM: z.string().min(3).optional(),
  /** Implicit TLS (port 465); otherwise STARTTLS when the server offers it. Default: true on port 465. */
  EMAIL_SECURE: bool.optional(),
  EMAIL_CODE_TTL: int(60, 24 * 3600).default(900),
  EMAIL_CODE_ATTEMPTS: int(1, 100).default(5),
  EMAIL_RESEND_INTERVAL: int(0, 3600).default(60),
  EMAIL_MAX_PER_HOUR: int(1, 1000).default(5),

  /** One OpenAI-compatible endpoint (the shorthand); AI_PROVIDERS (JSON) configures several. */
  AI_BASE_URL: z.url().optional(),
  AI_API_KEY: z.string().optional(),
  AI_MODELS: list.optional(),
  AI_PROVIDER_NAME: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, { message: 'lowercase letters, digits, - and _' })
    .default('openai'),
  AI_PROVIDERS: z.string().optional(),
  AI_DEFAULT_MODEL: z.string().optional(),
  AI_DEMO: bool.default(true),
  AI_DEMO_WORD_DELAY_MS: int(0, 5000).default(40),
  AI_AGENTS_FILE: z.string().optional(),
  AI_DEFAULT_AGENT: z.string().min(1).default('assistant'),
  AI_FIRST_TOKEN_TIMEOUT_MS: int(100).default(30_000),
  AI_TOTAL_TIMEOUT_MS: int(100).default(300_000),
  AI_MAX_CONCURRENT_PER_USER: int(1, 1000).default(2),
  AI_CONTEXT_BUDGET_CHARS: int(100).default(24_000),
  AI_COALESCE_MS: int(0, 1000).default(30),
  AI_EVENT_TTL: int(10).default(3600),
  AI_HEARTBEAT_MS: int(50).default(5000),
  AI_STALE_AFTER_MS: int(200).default(20_000),

  DEMO_WALLET: bool.optional(),
  WEB_DIST: z.string().optional(),
});

export type Env = z.infer<typeof EnvSchema>;

export interface ServerConfig {
  host: string;
  port: number;
  logLevel: Env['LOG_LEVEL'];
  /** fastify's trustProxy: false, or the proxies' addresses, CIDR ranges and proxy-addr range names. */
  trustProxy: false | string[];
  bodyLimit: number;
  /** Serve single tRPC queries and JSON mutations through the direct route (plugins/trpc-fast.ts). */
  trpcFastPath: boolean;
  corsOrigins: string[];
  /** Set: /metrics answers only to this Bearer token. */
  metricsToken: string | undefined;
  database: { kind: 'postgres'; url: string; poolSize: number } | { kind: 'pglite'; dataDir: string };
  redisUrl: string | undefined;
  keysDir: string;
  webDist: string | undefined;
  api: ApiConfig;
}

export class ConfigError extends Error {}

/** Relative paths are taken from where the command was started (pnpm sets INIT_CWD), so `pnpm start` at the root keeps .data/ and keys/ there. */
function resolvePath(p: string, base: string): string {
  return path.isAbsolute(p) ? p : path.resolve(base, p);
}

export function loadConfig(source: Record<string, string | undefined> = process.env): ServerConfig {
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = EnvSchema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(env)'}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const env = parsed.data;
  const base = source.INIT_CWD || process.cwd();
  const environment =
    env.ENVIRONMENT ??
    (env.NODE_ENV === 'production' ? 'production' : env.NODE_ENV === 'test' ? 'test' : 'development');
  const port = env.PORT ?? env.APP_PORT ?? 3000;

  let databaseUrl = env.DATABASE_URL;
  if (!databaseUrl && env.POSTGRES_HOST) {
    const auth = env.POSTGRES_PASSWORD
      ? `${encodeURIComponent(env.POSTGRES_USER)}:${encodeURIComponent(env.POSTGRES_PASSWORD)}`
      : encodeURIComponent(env.POSTGRES_USER);
    databaseUrl = `postgres://${auth}@${env.POSTGRES_HOST}:${env.POSTGRES_PORT}/${encodeURIComponent(env.POSTGRES_DB)}`;
  }
  let redisUrl = env.REDIS_URL;
  if (!redisUrl && env.REDIS_HOST) {
    const auth = env.REDIS_PASSWORD ? `:${encodeURIComponent(env.REDIS_PASSWORD)}@` : '';
    redisUrl = `redis://${auth}${env.REDIS_HOST}:${env.REDIS_PORT}`;
  }

  const chainIds = env.SIWE_CHAIN_IDS.map((c) => Number(c));
  if (chainIds.some((c) => !Number.isSafeInteger(c) || c <= 0)) {
    throw new ConfigError(
      'Invalid configuration:\n  SIWE_CHAIN_IDS: must be a comma-separated list of positive integers',
    );
  }
  const rpcUrls: Record<number, string> = {};
  for (const pair of env.SIWE_RPC_URLS) {
    const m = /^(\d+)=(https?:\/\/.+)$/.exec(pair);
    if (!m?.[1] || !m[2])
      throw new ConfigError(
        `Invalid configuration:\n  SIWE_RPC_URLS: "${pair}" is not "<chainId>=<http(s) url>"`,
      );
    rpcUrls[Number(m[1])] = m[2];
  }

  const keysDir = resolvePath(
    env.JWT_KEYS_DIR ?? (env.JWT_PRIVATE_KEY_PATH ? path.dirname(env.JWT_PRIVATE_KEY_PATH) : 'keys'),
    base,
  );
  const origin = `http://localhost:${port}`;
  const corsOrigins =
    env.CORS_ORIGINS ?? (environment === 'production' ? [] : [origin, 'http://localhost:5173']);

  return {
    host: env.APP_HOST,
    port,
    logLevel: env.LOG_LEVEL,
    trustProxy: env.TRUST_PROXY,
    bodyLimit: env.BODY_LIMIT,
    trpcFastPath: env.TRPC_FAST_PATH,
    corsOrigins,
    metricsToken: env.METRICS_TOKEN,
    database: databaseUrl
      ? { kind: 'postgres', url: databaseUrl, poolSize: env.DATABASE_POOL_SIZE }
      : { kind: 'pglite', dataDir: resolvePath(path.join(env.DATA_DIR, 'pglite'), base) },
    redisUrl,
    keysDir,
    webDist: env.WEB_DIST ? resolvePath(env.WEB_DIST, base) : undefined,
    api: {
      environment,
      siwe: {
        domain: env.SIWE_DOMAIN ?? `localhost:${port}`,
        uri: env.SIWE_URI ?? origin,
        statement: env.SIWE_STATEMENT,
        allowedChainIds: chainIds,
        messageTtlSeconds: env.SIWE_MESSAGE_TTL,
        clockSkewSeconds: env.SIWE_CLOCK_SKEW,
        rpcUrls,
      },
      tokens: {
        issuer: env.JWT_ISSUER,
        audience: env.JWT_AUDIENCE,
        accessTtlSeconds: env.JWT_EXPIRE_ACCESS,
        sessionTtlSeconds: env.JWT_EXPIRE_SESSION,
        refreshGraceSeconds: env.JWT_REFRESH_GRACE,
      },
      limits: { defaultAiMessagesLimit: env.LIMIT_AI_MESSAGES, defaultApiCallsLimit: env.LIMIT_API_CALLS },
      rateLimits: {
        authPerIp: env.RATE_LIMIT_AUTH_PER_IP,
        authedPerUser: env.RATE_LIMIT_USER,
        windowSeconds: env.RATE_LIMIT_WINDOW,
      },
      messages: { maxContentLength: env.MESSAGE_MAX_LENGTH },
      agents: { maxPerUser: env.AGENTS_MAX_PER_USER },
      email: {
        smtp: env.EMAIL_SMTP_SERVER
          ? {
              host: env.EMAIL_SMTP_SERVER,
              port: env.EMAIL_PORT,
              secure: env.EMAIL_SECURE ?? env.EMAIL_PORT === 465,
              user: env.EMAIL_ADDRESS,
              password: env.EMAIL_PASSWORD,
            }
          : null,
        from: env.EMAIL_FROM ?? env.EMAIL_ADDRESS ?? 'ChatPlatform <no-reply@localhost>',
        codeTtlSeconds: env.EMAIL_CODE_TTL,
        maxAttempts: env.EMAIL_CODE_ATTEMPTS,
        resendIntervalSeconds: env.EMAIL_RESEND_INTERVAL,
        maxPerHour: env.EMAIL_MAX_PER_HOUR,
      },
      demoWalletEnabled: env.DEMO_WALLET ?? environment !== 'production',
      ai: loadAiConfig(env, base),
    },
  };
}

const providerSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/),
  baseURL: z.url(),
  apiKey: z.string().optional(),
  models: z.array(z.string().min(1)).min(1),
  reasoningTag: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9_-]{0,31}$/, { message: 'a tag name, such as "think"' })
    .optional(),
});

const agentsFileSchema = z.strictObject({
  agents: z.array(
    z.strictObject({
      slug: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/),
      name: z.string().min(1).max(100),
      description: z.string().max(1000).default(''),
      systemPrompt: z.string().max(8000).default(''),
      model: z.string().optional(),
      temperature: z.number().min(0).max(2).default(0.7),
      maxOutputTokens: z.number().int().min(1).max(32_000).default(1024),
    }),
  ),
});

/** apps/server/config/agents.json, wherever the command was started from. */
function defaultAgentsFile(): string {
  const require = createRequire(import.meta.url);
  return path.join(
    path.dirname(require.resolve('@chatplatform/server/package.json')),
    'config',
    'agents.json',
  );
}

function loadAiConfig(env: Env, base: string): AiConfig {
  const fail = (name: string, msg: string): never => {
    throw new ConfigError(`Invalid configuration:\n  ${name}: ${msg}`);
  };
  const providers: AiProviderConfig[] = [];
  if (env.AI_PROVIDERS) {
    let raw: unknown;
    try {
      raw = JSON.parse(env.AI_PROVIDERS);
    } catch {
      fail('AI_PROVIDERS', 'must be a JSON array of { name, baseURL, apiKey?, models, reasoningTag? }');
    }
    const r = z.array(providerSchema).safeParse(raw);
    if (!r.success) fail('AI_PROVIDERS', z.prettifyError(r.error).replace(/\n/g, ' '));
    else providers.push(...r.data);
  }
  if (env.AI_BASE_URL) {
    if (!env.AI_MODELS?.length)
      fail('AI_MODELS', 'list the models to allow on AI_BASE_URL (comma-separated)');
    providers.push({
      name: env.AI_PROVIDER_NAME,
      baseURL: env.AI_BASE_URL,
      ...(env.AI_API_KEY ? { apiKey: env.AI_API_KEY } : {}),
      models: env.AI_MODELS ?? [],
    });
  } else if (env.AI_MODELS?.length) fail('AI_BASE_URL', 'is required when AI_MODELS is set');
  const names = providers.map((p) => p.name);
  if (new Set(names).size !== names.length) fail('AI_PROVIDERS', 'provider names must be unique');
  if (names.includes('local')) fail('AI_PROVIDERS', '"local" is reserved for the built-in demo model');

  const allowed = new Set<string>(providers.flatMap((p) => p.models.map((m) => `${p.name}/${m}`)));
  if (env.AI_DEMO) allowed.add('local/demo');
  const firstRemote = providers[0]?.models[0];
  const defaultModel =
    env.AI_DEFAULT_MODEL ??
    (providers[0] && firstRemote ? `${providers[0].name}/${firstRemote}` : 'local/demo');
  if (!allowed.has(defaultModel))
    fail(
      'AI_DEFAULT_MODEL',
      `"${defaultModel}" is not a configured model (${[...allowed].join(', ') || 'none'})`,
    );

  const file = env.AI_AGENTS_FILE ? resolvePath(env.AI_AGENTS_FILE, base) : defaultAgentsFile();
  let platformAgents: AiConfig['platformAgents'] = [];
  if (existsSync(file)) {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      fail('AI_AGENTS_FILE', `${file} is not valid JSON (${(err as Error).message})`);
    }
    const r = agentsFileSchema.safeParse(raw);
    if (!r.success) fail('AI_AGENTS_FILE', `${file}: ${z.prettifyError(r.error).replace(/\n/g, ' ')}`);
    else platformAgents = r.data.agents;
    for (const a of platformAgents)
      if (a.model && !allowed.has(a.model))
        fail('AI_AGENTS_FILE', `agent "${a.slug}" uses model "${a.model}", which is not configured`);
  } else if (env.AI_AGENTS_FILE) fail('AI_AGENTS_FILE', `${file} does not exist`);

  return {
    providers,
    demo: { enabled: env.AI_DEMO, wordDelayMs: env.AI_DEMO_WORD_DELAY_MS },
    defaultModel,
    defaultAgentSlug: env.AI_DEFAULT_AGENT,
    platformAgents,
    firstTokenTimeoutMs: env.AI_FIRST_TOKEN_TIMEOUT_MS,
    totalTimeoutMs: env.AI_TOTAL_TIMEOUT_MS,
    maxConcurrentPerUser: env.AI_MAX_CONCURRENT_PER_USER,
    contextBudgetChars: env.AI_CONTEXT_BUDGET_CHARS,
    coalesceMs: env.AI_COALESCE_MS,
    eventTtlSeconds: env.AI_EVENT_TTL,
    heartbeatMs: env.AI_HEARTBEAT_MS,
    staleAfterMs: env.AI_STALE_AFTER_MS,
  };
}

/** For entry points: the configuration, or the process ends with the message naming the bad variable (EX_CONFIG). */
export function loadConfigOrExit(): ServerConfig {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(78);
    }
    throw err;
  }
}

/**
 * What the API needs to know. apps/server builds it from the environment (its env.ts validates every variable);
 * tests build it with `testConfig()` overrides. Nothing in packages/api reads process.env.
 */
export interface ApiConfig {
  environment: 'development' | 'production' | 'test';
  siwe: {
    /** RFC 3986 authority the messages are issued for (e.g. "chat.example.com" or "localhost:3000"). */
    domain: string;
    /** The URI in the message (the app's origin). */
    uri: string;
    statement: string;
    allowedChainIds: number[];
    /** How long an issued message may be signed and submitted. */
    messageTtlSeconds: number;
    /** Tolerance for the signer's clock in issued-at / expiration / not-before checks. */
    clockSkewSeconds: number;
    /** JSON-RPC endpoints per chain id, for smart-contract wallets (EIP-1271 / EIP-6492) only. */
    rpcUrls: Record<number, string>;
  };
  tokens: {
    issuer: string;
    audience: string;
    accessTtlSeconds: number;
    /** Absolute lifetime of a session; refresh cannot extend it. */
    sessionTtlSeconds: number;
    /** A rotated refresh token presented again within this window is a concurrent refresh, not theft. */
    refreshGraceSeconds: number;
  };
  limits: {
    defaultAiMessagesLimit: number;
    defaultApiCallsLimit: number;
  };
  rateLimits: {
    /** Per client IP, over `windowSeconds`, for auth.message and auth.authenticate together. */
    authPerIp: number;
    /** Per user, over `windowSeconds`, for every authed procedure. */
    authedPerUser: number;
    windowSeconds: number;
  };
  messages: {
    maxContentLength: number;
  };
  agents: {
    /**
     * Agents one user may own (platform agents do not count); agent.create refuses more. It also bounds
     * agent.list, which returns every platform agent and all of the caller's in one unpaginated answer.
     */
    maxPerUser: number;
  };
  email: {
    /** SMTP server; null = no SMTP configured: mails are written to the log, clearly marked (first-run default). */
    smtp: { host: string; port: number; secure: boolean; user?: string; password?: string } | null;
    /** The From: header of outgoing mail. */
    from: string;
    /** Lifetime of a verification code. */
    codeTtlSeconds: number;
    /** Wrong guesses allowed per code. */
    maxAttempts: number;
    /** Minimum time between two codes for one user. */
    resendIntervalSeconds: number;
    /** At most this many codes per user per hour. */
    maxPerHour: number;
  };
  /** Shown to clients so the web app can offer a throwaway in-browser wallet; off in production. */
  demoWalletEnabled: boolean;
  /** AI providers, the model allow list, agents and the generation runner. */
  ai: AiConfig;
}

/** An OpenAI-compatible endpoint (OpenAI, OpenRouter, Ollama, vLLM, llama.cpp, LM Studio, ...). */
export interface AiProviderConfig {
  /** Prefix of its model ids: model "gpt-4o-mini" of provider "openai" is "openai/gpt-4o-mini". */
  name: string;
  baseURL: string;
  apiKey?: string;
  /** Upstream model names this server allows. */
  models: string[];
  /**
   * For servers that put a reasoning model's thinking inside the reply text between tags (`<think>...</think>`,
   * as llama.cpp's server, LM Studio and older Ollama do): the tag's name. The thinking is then taken out of the
   * reply, as it is when a server sends it apart (`reasoning_content`).
   */
  reasoningTag?: string;
}

/** A platform agent, defined in the repo's agents file and synced at start. */
export interface PlatformAgentConfig {
  slug: string;
  name: string;
  description: string;
  systemPrompt: string;
  /** A model id on the allow list; absent = the default model. */
  model?: string;
  temperature: number;
  maxOutputTokens: number;
}

export interface AiConfig {
  providers: AiProviderConfig[];
  /** The built-in offline model `local/demo`: on unless turned off; its delay between words. */
  demo: { enabled: boolean; wordDelayMs: number };
  /** Used by agents that name none and by chats with no agent when no platform agent is the default. */
  defaultModel: string;
  /** Slug of the platform agent a chat without an agent talks to. */
  defaultAgentSlug: string;
  platformAgents: PlatformAgentConfig[];
  /** A reply with no first token after this long ends as an error. */
  firstTokenTimeoutMs: number;
  /** A reply still running after this long ends as an error (its partial text kept). */
  totalTimeoutMs: number;
  /** Concurrent generations per user (status streaming). */
  maxConcurrentPerUser: number;
  /** Characters of history (system prompt included) sent to the model; older messages are dropped. */
  contextBudgetChars: number;
  /** Deltas arriving within this window are sent as one event. */
  coalesceMs: number;
  /** How long a reply's event log stays in the store after its last event (resumption window). */
  eventTtlSeconds: number;
  /** How often a running generation proves it is alive. */
  heartbeatMs: number;
  /** A streaming message with no heartbeat for this long is marked interrupted by any instance. */
  staleAfterMs: number;
}

export function testAiConfig(overrides: Partial<AiConfig> = {}): AiConfig {
  return {
    providers: [],
    demo: { enabled: true, wordDelayMs: 2 },
    defaultModel: 'local/demo',
    defaultAgentSlug: 'assistant',
    platformAgents: [
      {
        slug: 'assistant',
        name: 'Assistant',
        description: 'The default agent.',
        systemPrompt: 'You are a helpful assistant.',
        temperature: 0.7,
        maxOutputTokens: 1024,
      },
    ],
    firstTokenTimeoutMs: 10_000,
    totalTimeoutMs: 60_000,
    maxConcurrentPerUser: 2,
    contextBudgetChars: 24_000,
    coalesceMs: 25,
    eventTtlSeconds: 3600,
    heartbeatMs: 2_000,
    staleAfterMs: 10_000,
    ...overrides,
  };
}

export function testConfig(overrides: Partial<ApiConfig> = {}): ApiConfig {
  const base: ApiConfig = {
    environment: 'test',
    siwe: {
      domain: 'localhost:3000',
      uri: 'http://localhost:3000',
      statement: 'Sign in to ChatPlatform.',
      allowedChainIds: [1, 8453, 31337],
      messageTtlSeconds: 600,
      clockSkewSeconds: 45,
      rpcUrls: {},
    },
    tokens: {
      issuer: 'chatplatform',
      audience: 'chatplatform-api',
      accessTtlSeconds: 900,
      sessionTtlSeconds: 30 * 24 * 3600,
      refreshGraceSeconds: 10,
    },
    limits: { defaultAiMessagesLimit: 100, defaultApiCallsLimit: 1000 },
    rateLimits: { authPerIp: 10_000, authedPerUser: 100_000, windowSeconds: 60 },
    messages: { maxContentLength: 16_000 },
    agents: { maxPerUser: 50 },
    email: {
      smtp: null,
      from: 'ChatPlatform <no-reply@chatplatform.invalid>',
      codeTtlSeconds: 900,
      maxAttempts: 5,
      resendIntervalSeconds: 60,
      maxPerHour: 5,
    },
    demoWalletEnabled: true,
    ai: testAiConfig(),
  };
  return { ...base, ...overrides };
}

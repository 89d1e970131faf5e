import type { Database } from '@chatplatform/db';
import type { ApiConfig } from './config';
import type { Logger } from './logger';
import type { Ports, RateLimiter } from './ports/types';
import { GenerationService } from './services/generation/service';
import type { KeySet } from './services/keys';
import { createMailer, type Mailer } from './services/mailer';
import { SessionService } from './services/sessions';
import { SiweService, type VerifyRpc } from './services/siwe';
import { TokenService } from './services/tokens';

/** Hooks the server uses for metrics; all optional. */
export interface ApiObserver {
  signIn?(event: { isNewUser: boolean }): void;
}

/** Long-lived collaborators, built once per process and shared by every request. */
export interface ApiServices {
  db: Database;
  config: ApiConfig;
  ports: Ports;
  keys: KeySet;
  logger: Logger;
  tokens: TokenService;
  siwe: SiweService;
  sessions: SessionService;
  limiters: {
    authPerIp: RateLimiter;
    authedPerUser: RateLimiter;
    emailAttempts: RateLimiter;
    emailRecipient: RateLimiter;
  };
  observer: ApiObserver;
  /** AI replies: send, regenerate, stop, stream; owns this instance's generation runner. */
  generation: GenerationService;
  /** Outgoing mail (verification codes): SMTP, or the log when no SMTP is configured. */
  mailer: Mailer;
}

export function createServices(deps: {
  db: Database;
  config: ApiConfig;
  ports: Ports;
  keys: KeySet;
  logger: Logger;
  observer?: ApiObserver;
  /** Overrides the smart-wallet verifier (tests). */
  verifyRpc?: VerifyRpc;
  /** Overrides the mailer built from config.email. */
  mailer?: Mailer;
}): ApiServices {
  const { db, config, ports, keys, logger } = deps;
  const tokens = new TokenService(keys, config.tokens);
  const window = config.rateLimits.windowSeconds;
  return {
    db,
    config,
    ports,
    keys,
    logger,
    tokens,
    siwe: new SiweService(config.siwe, ports.nonces, deps.verifyRpc),
    sessions: new SessionService(db, tokens, ports.sessionStates, config),
    limiters: {
      authPerIp: ports.rateLimiters.create('auth-ip', {
        points: config.rateLimits.authPerIp,
        durationSeconds: window,
      }),
      authedPerUser: ports.rateLimiters.create('user', {
        points: config.rateLimits.authedPerUser,
        durationSeconds: window,
      }),
      // auth.addEmail, per account: addresses tried an hour (twice the codes it may be sent), so "verified by
      // another account" cannot be asked of addresses in bulk.
      emailAttempts: ports.rateLimiters.create('email-attempts', {
        points: config.email.maxPerHour * 2,
        durationSeconds: 3600,
      }),
      // Per address, over all accounts: codes it receives an hour, so new accounts cannot flood one inbox.
      emailRecipient: ports.rateLimiters.create('email-recipient', {
        points: config.email.maxPerHour,
        durationSeconds: 3600,
      }),
    },
    observer: deps.observer ?? {},
    generation: new GenerationService({ db, config, ports, logger }),
    mailer: deps.mailer ?? createMailer(config.email, logger),
  };
}

/** What a request brings: who is calling and from where. Transport-neutral (fastify, REST, tests). */
export interface RequestInfo {
  ip: string;
  userAgent: string | null;
  /** The raw Authorization header. */
  authorization: string | null;
  setHeader(name: string, value: string): void;
}

export interface Context extends ApiServices {
  req: RequestInfo;
}

/** The inner context: tests build it directly; the fastify adapter builds it from a request. */
export function createInnerContext(services: ApiServices, req: Partial<RequestInfo> = {}): Context {
  return {
    ...services,
    req: {
      ip: req.ip ?? '127.0.0.1',
      userAgent: req.userAgent ?? null,
      authorization: req.authorization ?? null,
      setHeader: req.setHeader ?? (() => {}),
    },
  };
}

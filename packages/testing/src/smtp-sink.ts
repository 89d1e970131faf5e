import type { AddressInfo } from 'node:net';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  /** Envelope recipients (RCPT TO), lower-cased. */
  to: string[];
  /** Envelope sender (MAIL FROM). */
  from: string | null;
  /** The SMTP login the client used, if it authenticated. */
  authUser: string | null;
  subject: string;
  text: string;
  parsed: ParsedMail;
}

export interface SmtpSink {
  host: string;
  port: number;
  /** Every mail received so far, in arrival order. */
  mails: ReceivedMail[];
  /**
   * Resolves with the `nth` (0-based, default 0) mail for `to`, already received or arriving; rejects after
   * `timeoutMs` (default 10 s).
   */
  waitForMail(to: string, opts?: { nth?: number; timeoutMs?: number }): Promise<ReceivedMail>;
  close(): Promise<void>;
}

/**
 * A real SMTP server on loopback (port 0) that accepts every mail, with or without AUTH, and keeps it
 * parsed in memory. STARTTLS is not offered, so a client speaks plain SMTP to it.
 */
export async function startSmtpSink(opts: { requireAuth?: { user: string; password: string } } = {}) {
  const mails: ReceivedMail[] = [];
  const waiters: { to: string; nth: number; resolve: (m: ReceivedMail) => void }[] = [];
  const mailsTo = (to: string) => mails.filter((m) => m.to.includes(to));
  const server = new SMTPServer({
    secure: false,
    disabledCommands: ['STARTTLS'],
    authOptional: !opts.requireAuth,
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, callback) {
      const required = opts.requireAuth;
      if (required && (auth.username !== required.user || auth.password !== required.password)) {
        callback(new Error('Invalid username or password'));
        return;
      }
      callback(null, { user: auth.username ?? 'anonymous' });
    },
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((parsed) => {
          const mail: ReceivedMail = {
            to: session.envelope.rcptTo.map((r) => r.address.toLowerCase()),
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : null,
            authUser: typeof session.user === 'string' ? session.user : null,
            subject: parsed.subject ?? '',
            text: parsed.text ?? '',
            parsed,
          };
          mails.push(mail);
          for (let i = waiters.length - 1; i >= 0; i--) {
            const w = waiters[i];
            const found = w ? mailsTo(w.to)[w.nth] : undefined;
            if (w && found) {
              waiters.splice(i, 1);
              w.resolve(found);
            }
          }
          callback();
        })
        .catch((err: Error) => callback(err));
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.server.address() as AddressInfo;

  const sink: SmtpSink = {
    host: '127.0.0.1',
    port: address.port,
    mails,
    waitForMail(to, { nth = 0, timeoutMs = 10_000 } = {}) {
      const want = to.toLowerCase();
      const already = mailsTo(want)[nth];
      if (already) return Promise.resolve(already);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          const i = waiters.findIndex((w) => w.resolve === done);
          if (i >= 0) waiters.splice(i, 1);
          reject(new Error(`no mail for ${to} within ${timeoutMs} ms`));
        }, timeoutMs);
        const done = (m: ReceivedMail) => {
          clearTimeout(timer);
          resolve(m);
        };
        waiters.push({ to: want, nth, resolve: done });
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  return sink;
}

import nodemailer from 'nodemailer';
import type { ApiConfig } from '../config';
import type { Logger } from '../logger';

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
}

/** Sends mail. `kind` says where it goes: an SMTP server, or the log when none is configured. */
export interface Mailer {
  readonly kind: 'smtp' | 'log';
  send(mail: OutgoingMail): Promise<void>;
  close(): void;
}

/** Marks mail that was written to the log instead of sent, so nobody mistakes it for delivered mail. */
export const LOG_MAIL_MARKER = 'EMAIL NOT SENT (no SMTP configured): written to the log instead';

export function createMailer(config: ApiConfig['email'], logger: Logger): Mailer {
  const smtp = config.smtp;
  if (!smtp) {
    return {
      kind: 'log',
      async send(mail) {
        logger.warn(
          { mail: { from: config.from, to: mail.to, subject: mail.subject, text: mail.text } },
          LOG_MAIL_MARKER,
        );
      },
      close() {},
    };
  }
  const transport = nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    auth: smtp.user ? { user: smtp.user, pass: smtp.password ?? '' } : undefined,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 20_000,
  });
  return {
    kind: 'smtp',
    async send(mail) {
      await transport.sendMail({ from: config.from, to: mail.to, subject: mail.subject, text: mail.text });
    },
    close() {
      transport.close();
    },
  };
}

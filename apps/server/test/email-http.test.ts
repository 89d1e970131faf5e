import { type SmtpSink, startSmtpSink } from '@chatplatform/testing/smtp-sink';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/env';
import { startServer } from './harness';

/** Email verification through the real server, configured only by the seed's EMAIL_* variables. */

async function trpc(url: string, path: string, token: string, input: unknown) {
  const res = await fetch(`${url}/trpc/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(input),
  });
  return { status: res.status, body: (await res.json()) as { result?: { data: unknown }; error?: unknown } };
}

const CODE = /verification code is (\d{6})/;

describe('EMAIL_* configuration', () => {
  it('builds SMTP settings from the seed’s variables, implicit TLS on port 465, and none without a server', () => {
    const c = loadConfig({
      EMAIL_SMTP_SERVER: 'smtp.example.test',
      EMAIL_PORT: '465',
      EMAIL_ADDRESS: 'bot@example.test',
      EMAIL_PASSWORD: 'secret',
    });
    expect(c.api.email.smtp).toEqual({
      host: 'smtp.example.test',
      port: 465,
      secure: true,
      user: 'bot@example.test',
      password: 'secret',
    });
    expect(c.api.email.from).toBe('bot@example.test');
    expect(loadConfig({}).api.email.smtp).toBeNull();
    expect(() => loadConfig({ EMAIL_PORT: 'smtp' })).toThrow(/EMAIL_PORT/);
  });
});

describe('email verification over HTTP', () => {
  let sink: SmtpSink;
  beforeAll(async () => {
    sink = await startSmtpSink({ requireAuth: { user: 'bot@example.test', password: 'pw' } });
  });
  afterAll(async () => sink?.close());

  it('sends the code through the configured SMTP server and the code from the mail verifies', async () => {
    const server = await startServer({
      env: {
        EMAIL_SMTP_SERVER: sink.host,
        EMAIL_PORT: String(sink.port),
        EMAIL_SECURE: 'false',
        EMAIL_ADDRESS: 'bot@example.test',
        EMAIL_PASSWORD: 'pw',
      },
    });
    try {
      const s = await server.signIn();
      const sent = await trpc(server.url, 'auth.addEmail', s.accessToken, {
        email: 'http-user@example.test',
      });
      expect(sent.status).toBe(200);
      const mail = await sink.waitForMail('http-user@example.test');
      expect(mail.authUser).toBe('bot@example.test');
      const code = CODE.exec(mail.text)?.[1];
      const verified = await trpc(server.url, 'auth.verifyEmail', s.accessToken, { code });
      expect(verified.status).toBe(200);
      expect(verified.body.result?.data).toMatchObject({
        email: 'http-user@example.test',
        emailVerified: true,
      });
    } finally {
      await server.close();
    }
  });

  it('with no SMTP configured writes the mail to the log, clearly marked, and the logged code verifies', async () => {
    const lines: string[] = [];
    const server = await startServer({
      env: { LOG_LEVEL: 'info' },
      logStream: { write: (line: string) => void lines.push(line) },
    });
    try {
      expect(lines.join('')).toContain('verification mail is written to the log');
      const s = await server.signIn();
      await trpc(server.url, 'auth.addEmail', s.accessToken, { email: 'first-run@example.test' });
      const marked = lines.find((l) => l.includes('EMAIL NOT SENT (no SMTP configured)'));
      expect(marked).toBeDefined();
      const code = CODE.exec(JSON.parse(marked ?? '{}').mail?.text ?? '')?.[1];
      expect(code).toMatch(/^\d{6}$/);
      const verified = await trpc(server.url, 'auth.verifyEmail', s.accessToken, { code });
      expect(verified.body.result?.data).toMatchObject({ emailVerified: true });
      // The bad-input path over HTTP names the field.
      const bad = await trpc(server.url, 'auth.addEmail', s.accessToken, { email: 'nope' });
      expect(bad.status).toBe(400);
      expect(JSON.stringify(bad.body)).toContain('email');
    } finally {
      await server.close();
    }
  });
});

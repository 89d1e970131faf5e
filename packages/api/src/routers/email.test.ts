import { emailVerifications, eq, users } from '@chatplatform/db';
import { type SmtpSink, startSmtpSink } from '@chatplatform/testing/smtp-sink';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness, type SignedIn } from '../../test/harness';
import { failure } from '../../test/trpc-error';
import { testConfig } from '../config';
import { createMailer, LOG_MAIL_MARKER } from '../services/mailer';

const SMTP_USER = 'mailer@chatplatform.test';
const SMTP_PASSWORD = 'sink-password';

let sink: SmtpSink;
let h: Harness;
beforeAll(async () => {
  sink = await startSmtpSink({ requireAuth: { user: SMTP_USER, password: SMTP_PASSWORD } });
  h = await createHarness({
    config: {
      email: {
        ...testConfig().email,
        smtp: { host: sink.host, port: sink.port, secure: false, user: SMTP_USER, password: SMTP_PASSWORD },
        from: 'ChatPlatform <no-reply@chatplatform.test>',
        // Interval throttling is tested below with its own harness; here codes may follow each other.
        resendIntervalSeconds: 0,
      },
    },
  });
});
afterAll(async () => {
  await h?.cleanup();
  await sink?.close();
});

let n = 0;
const address = () => `user${++n}.${Date.now()}@Example.TEST`;

/** Asks for a code and reads it from the mail that arrived at the SMTP sink. */
async function codeFor(u: SignedIn, email: string): Promise<string> {
  const nth = sink.mails.filter((m) => m.to.includes(email.toLowerCase())).length;
  await u.caller.auth.addEmail({ email });
  const mail = await sink.waitForMail(email, { nth });
  const code = /verification code is (\d{6})/.exec(mail.text)?.[1];
  if (!code) throw new Error(`no code in mail: ${mail.text}`);
  return code;
}

const wrong = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

describe('email verification over real SMTP (smtp-server on loopback)', () => {
  it('delivers a mail with a 6-digit code through authenticated SMTP, and the code verifies the address', async () => {
    const a = await h.signIn();
    const email = address();
    const res = await a.caller.auth.addEmail({ email });
    expect(res.status).toBe('code_sent');
    expect(res.email).toBe(email.replace('Example.TEST', 'example.test'));
    const mail = await sink.waitForMail(email);
    expect(mail.authUser).toBe(SMTP_USER);
    expect(mail.parsed.from?.text).toContain('no-reply@chatplatform.test');
    const code = /verification code is (\d{6})/.exec(mail.text)?.[1] ?? '';
    expect(code).toMatch(/^\d{6}$/);
    expect(mail.subject).toContain(code);

    // Not verified until the code comes back.
    expect((await a.caller.user.profile()).emailVerified).toBe(false);
    const user = await a.caller.auth.verifyEmail({ code });
    expect(user).toMatchObject({ email: res.email, emailVerified: true });
    expect(await a.caller.user.profile()).toMatchObject({ email: res.email, emailVerified: true });
    // The code is single-use.
    expect((await failure(a.caller.auth.verifyEmail({ code }))).reason).toBe('NO_PENDING_CODE');
  });

  it('stores only a hash of the code', async () => {
    const a = await h.signIn();
    const code = await codeFor(a, address());
    const rows = await h.db.select().from(emailVerifications).where(eq(emailVerifications.userId, a.userId));
    expect(rows).toHaveLength(1);
    expect(rows[0]?.codeHash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(rows)).not.toContain(code);
  });

  it('allows 5 attempts: wrong codes count down, then even the right code is refused', async () => {
    const a = await h.signIn();
    const code = await codeFor(a, address());
    for (let left = 4; left >= 0; left--) {
      const f = await failure(a.caller.auth.verifyEmail({ code: wrong(code) }));
      expect(f).toMatchObject({ code: 'BAD_REQUEST', reason: 'CODE_INVALID' });
      expect(f.message).toContain(`${left} attempt`);
    }
    const f = await failure(a.caller.auth.verifyEmail({ code }));
    expect(f).toMatchObject({ code: 'TOO_MANY_REQUESTS', reason: 'CODE_ATTEMPTS_EXHAUSTED' });
    expect((await a.caller.user.profile()).emailVerified).toBe(false);
  });

  it('cannot be brute-forced in parallel past the attempt limit', async () => {
    const a = await h.signIn();
    const code = await codeFor(a, address());
    const guesses = Array.from({ length: 30 }, (_, i) =>
      String((Number(code) + 1 + i) % 1_000_000).padStart(6, '0'),
    );
    await Promise.allSettled(guesses.map((g) => a.caller.auth.verifyEmail({ code: g })));
    const [row] = await h.db.select().from(emailVerifications).where(eq(emailVerifications.userId, a.userId));
    expect(row?.attempts).toBe(5);
  });

  it('refuses an expired code', async () => {
    const a = await h.signIn();
    const code = await codeFor(a, address());
    await h.db
      .update(emailVerifications)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(emailVerifications.userId, a.userId));
    const f = await failure(a.caller.auth.verifyEmail({ code }));
    expect(f).toMatchObject({ code: 'BAD_REQUEST', reason: 'NO_PENDING_CODE' });
  });

  it('a new code supersedes the old one', async () => {
    const a = await h.signIn();
    const email = address();
    const first = await codeFor(a, email);
    const second = await codeFor(a, email);
    if (first !== second) {
      expect((await failure(a.caller.auth.verifyEmail({ code: first }))).reason).toBe('CODE_INVALID');
    }
    expect((await a.caller.auth.verifyEmail({ code: second })).emailVerified).toBe(true);
  });

  it('changes email through the same path: the old address stays until the new one is verified', async () => {
    const a = await h.signIn();
    const old = address();
    await a.caller.auth.verifyEmail({ code: await codeFor(a, old) });
    const next = address();
    const code = await codeFor(a, next);
    expect((await a.caller.user.profile()).email?.toLowerCase()).toBe(old.toLowerCase());
    await a.caller.auth.verifyEmail({ code });
    expect((await a.caller.user.profile()).email?.toLowerCase()).toBe(next.toLowerCase());
    // The old address is free for someone else now.
    const b = await h.signIn();
    await b.caller.auth.verifyEmail({ code: await codeFor(b, old) });
    expect((await b.caller.user.profile()).emailVerified).toBe(true);
  });

  it('answers CONFLICT for an address another user has verified, in any letter case, and sends no mail', async () => {
    const a = await h.signIn();
    const b = await h.signIn();
    const email = address();
    await a.caller.auth.verifyEmail({ code: await codeFor(a, email) });
    const before = sink.mails.length;
    const f = await failure(b.caller.auth.addEmail({ email: email.toUpperCase() }));
    expect(f).toMatchObject({ code: 'CONFLICT', reason: 'EMAIL_TAKEN' });
    expect(sink.mails.length).toBe(before);
  });

  it('answers CONFLICT at verification when another user verified the address in between', async () => {
    const a = await h.signIn();
    const b = await h.signIn();
    const email = address();
    const codeA = await codeFor(a, email);
    const codeB = await codeFor(b, email);
    await b.caller.auth.verifyEmail({ code: codeB });
    const f = await failure(a.caller.auth.verifyEmail({ code: codeA }));
    expect(f).toMatchObject({ code: 'CONFLICT', reason: 'EMAIL_TAKEN' });
    const [row] = await h.db.select().from(users).where(eq(users.id, a.userId));
    expect(row?.emailVerifiedAt).toBeNull();
  });

  it('re-adding the address already verified says so and sends nothing', async () => {
    const a = await h.signIn();
    const email = address();
    await a.caller.auth.verifyEmail({ code: await codeFor(a, email) });
    const before = sink.mails.length;
    expect((await a.caller.auth.addEmail({ email })).status).toBe('already_verified');
    expect(sink.mails.length).toBe(before);
  });

  it('throttles to the hourly cap with TOO_MANY_REQUESTS and a retry time', async () => {
    const a = await h.signIn();
    const email = address();
    for (let i = 0; i < h.config.email.maxPerHour; i++) await a.caller.auth.addEmail({ email });
    const f = await failure(a.caller.auth.addEmail({ email }));
    expect(f).toMatchObject({ code: 'TOO_MANY_REQUESTS', reason: 'EMAIL_RESEND_THROTTLED' });
    expect(f.error).toMatchObject({ retryAfter: expect.any(Number) });
  });

  it('limits the addresses one account may try an hour, so "verified by another account" cannot be probed in bulk', async () => {
    const owner = await h.signIn();
    const taken = address();
    await owner.caller.auth.verifyEmail({ code: await codeFor(owner, taken) });
    const prober = await h.signIn();
    const attempts = h.config.email.maxPerHour * 2;
    for (let i = 0; i < attempts; i++) {
      const f = await failure(prober.caller.auth.addEmail({ email: taken }));
      expect(f).toMatchObject({ code: 'CONFLICT', reason: 'EMAIL_TAKEN' });
    }
    const limited = await failure(prober.caller.auth.addEmail({ email: taken }));
    expect(limited).toMatchObject({ code: 'TOO_MANY_REQUESTS', reason: 'EMAIL_ATTEMPTS_LIMITED' });
    expect(limited.error).toMatchObject({ retryAfter: expect.any(Number) });
  });

  it('caps the codes one address receives an hour over all accounts, and the refused one leaves no code', async () => {
    const target = address();
    for (let i = 0; i < h.config.email.maxPerHour; i++)
      await (await h.signIn()).caller.auth.addEmail({ email: target });
    const mailed = sink.mails.filter((m) => m.to.includes(target.toLowerCase())).length;
    const late = await h.signIn();
    const f = await failure(late.caller.auth.addEmail({ email: target.toUpperCase() }));
    expect(f).toMatchObject({ code: 'TOO_MANY_REQUESTS', reason: 'EMAIL_ADDRESS_THROTTLED' });
    expect(
      await h.db.select().from(emailVerifications).where(eq(emailVerifications.userId, late.userId)),
    ).toEqual([]);
    await new Promise((r) => setTimeout(r, 200));
    expect(sink.mails.filter((m) => m.to.includes(target.toLowerCase())).length).toBe(mailed);
  });

  it.each([
    ['no @', 'not-an-email'],
    ['an empty string', ''],
    ['300 characters', `${'a'.repeat(290)}@example.test`],
    ['a NUL', 'a\u0000b@example.test'],
  ])('refuses an address with %s as BAD_REQUEST on email', async (_what, email) => {
    const a = await h.signIn();
    const f = await failure(a.caller.auth.addEmail({ email }));
    expect(f.code).toBe('BAD_REQUEST');
    expect(f.fields).toContain('email');
  });

  it.each([['12345'], ['1234567'], ['abcdef'], ['']])(
    'refuses code %j as BAD_REQUEST on code',
    async (code) => {
      const a = await h.signIn();
      const f = await failure(a.caller.auth.verifyEmail({ code }));
      expect(f.code).toBe('BAD_REQUEST');
      expect(f.fields).toContain('code');
    },
  );
});

describe('email without SMTP (the embedded default)', () => {
  it('writes the mail to the log, clearly marked, and the logged code verifies', async () => {
    const logged: { obj: unknown; msg: string | undefined }[] = [];
    const capture = (obj: object | string, msg?: string) => {
      logged.push({ obj, msg });
    };
    const h2 = await createHarness();
    try {
      expect(h2.services.mailer.kind).toBe('log');
      h2.services.mailer = createMailer(h2.config.email, {
        info: capture,
        warn: capture,
        error: capture,
        debug: capture,
      });
      const a = await h2.signIn();
      await a.caller.auth.addEmail({ email: 'first-run@example.test' });
      const entry = logged.find((l) => l.msg === LOG_MAIL_MARKER);
      expect(entry?.msg).toMatch(/NOT SENT/);
      const text = (entry?.obj as { mail: { text: string; to: string } } | undefined)?.mail ?? {
        text: '',
        to: '',
      };
      expect(text.to).toBe('first-run@example.test');
      const code = /verification code is (\d{6})/.exec(text.text)?.[1] ?? '';
      expect((await a.caller.auth.verifyEmail({ code })).emailVerified).toBe(true);

      // The default resend interval (60 s) applies: an immediate second request is throttled.
      const f = await failure(a.caller.auth.addEmail({ email: 'second@example.test' }));
      expect(f).toMatchObject({ code: 'TOO_MANY_REQUESTS', reason: 'EMAIL_RESEND_THROTTLED' });
    } finally {
      await h2.cleanup();
    }
  });

  it('an SMTP server that refuses the login is SERVICE_UNAVAILABLE and leaves no code behind', async () => {
    const h3 = await createHarness({
      config: {
        email: {
          ...testConfig().email,
          smtp: { host: sink.host, port: sink.port, secure: false, user: SMTP_USER, password: 'wrong' },
        },
      },
    });
    try {
      const a = await h3.signIn();
      const f = await failure(a.caller.auth.addEmail({ email: 'nobody@example.test' }));
      expect(f).toMatchObject({ code: 'SERVICE_UNAVAILABLE', reason: 'EMAIL_SEND_FAILED' });
      const rows = await h3.db
        .select()
        .from(emailVerifications)
        .where(eq(emailVerifications.userId, a.userId));
      expect(rows).toHaveLength(0);
    } finally {
      await h3.cleanup();
    }
  });
});

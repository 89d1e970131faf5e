import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useRef, useState } from 'react';
import { describeError } from '../errors';
import { useFocusAfterRender } from '../focus';
import { useTRPC } from '../trpc';
import { BusyButton } from './BusyButton';
import { Gauge } from './Gauge';

function DisplayName({ current }: { current: string | null }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [name, setName] = useState(current ?? '');
  const [status, setStatus] = useState<{ ok: boolean; text: string } | null>(null);
  useEffect(() => setName(current ?? ''), [current]);
  const update = useMutation(
    trpc.user.updateProfile.mutationOptions({
      onSuccess: (user) => {
        qc.setQueryData(trpc.user.profile.queryKey(), user);
        setStatus({ ok: true, text: 'Saved.' });
      },
      onError: (err) => setStatus({ ok: false, text: describeError(err) }),
    }),
  );
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (update.isPending) return;
    setStatus(null);
    update.mutate({ displayName: name.trim() ? name.trim() : null });
  };
  return (
    <form className="form-row" onSubmit={submit}>
      <label className="field grow">
        <span className="field-label">Display name</span>
        <input
          className="input"
          value={name}
          maxLength={64}
          placeholder="How others see you"
          onChange={(e) => setName(e.target.value)}
        />
      </label>
      <BusyButton type="submit" className="btn btn-primary" busy={update.isPending}>
        Save
      </BusyButton>
      {status && (
        <p className={status.ok ? 'field-ok' : 'field-error'} role={status.ok ? 'status' : 'alert'}>
          {status.text}
        </p>
      )}
    </form>
  );
}

function Email({ email, verified }: { email: string | null; verified: boolean }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [address, setAddress] = useState('');
  const [code, setCode] = useState('');
  const [pending, setPending] = useState<string | null>(null);
  const [status, setStatus] = useState<{ ok: boolean; text: string } | null>(null);
  // The code field appears after Send code, and goes after Verify: focus follows to the next thing to fill in.
  const focusAfterRender = useFocusAfterRender();
  const emailRef = useRef<HTMLInputElement>(null);
  const codeRef = useRef<HTMLInputElement>(null);
  const add = useMutation(
    trpc.auth.addEmail.mutationOptions({
      onSuccess: (r) => {
        setPending(r.email);
        focusAfterRender(() => codeRef.current);
        setStatus({ ok: true, text: `We sent a 6-digit code to ${r.email}. It is valid for 15 minutes.` });
      },
      onError: (err) => setStatus({ ok: false, text: describeError(err) }),
    }),
  );
  const verify = useMutation(
    trpc.auth.verifyEmail.mutationOptions({
      onSuccess: (user) => {
        qc.setQueryData(trpc.user.profile.queryKey(), user);
        setPending(null);
        setCode('');
        setAddress('');
        setStatus({ ok: true, text: `${user.email ?? 'Your email'} is verified.` });
        focusAfterRender(() => emailRef.current);
      },
      onError: (err) => setStatus({ ok: false, text: describeError(err) }),
    }),
  );
  return (
    <div className="stack">
      <p>
        {email ? (
          <>
            <span className="muted">Current email: </span>
            <strong>{email}</strong>{' '}
            <span className={verified ? 'tag tag-ok' : 'tag'}>{verified ? 'Verified' : 'Not verified'}</span>
          </>
        ) : (
          <span className="muted">No email yet. Add one to hear from us about your account (optional).</span>
        )}
      </p>
      <form
        className="form-row"
        onSubmit={(e) => {
          e.preventDefault();
          if (add.isPending) return;
          setStatus(null);
          add.mutate({ email: address.trim() });
        }}
      >
        <label className="field grow">
          <span className="field-label">{email ? 'New email' : 'Email'}</span>
          <input
            ref={emailRef}
            className="input"
            type="email"
            autoComplete="email"
            value={address}
            required
            onChange={(e) => setAddress(e.target.value)}
          />
        </label>
        <BusyButton type="submit" className="btn" busy={add.isPending} busyLabel="Sending…">
          {pending ? 'Send again' : 'Send code'}
        </BusyButton>
      </form>
      {pending && (
        <form
          className="form-row"
          onSubmit={(e) => {
            e.preventDefault();
            if (verify.isPending) return;
            setStatus(null);
            verify.mutate({ code: code.trim() });
          }}
        >
          <label className="field grow">
            <span className="field-label">Code from the mail</span>
            <input
              ref={codeRef}
              className="input input-code"
              inputMode="numeric"
              autoComplete="one-time-code"
              pattern="\d{6}"
              maxLength={6}
              value={code}
              required
              onChange={(e) => setCode(e.target.value.replace(/\D/g, ''))}
            />
          </label>
          <BusyButton type="submit" className="btn btn-primary" busy={verify.isPending}>
            Verify
          </BusyButton>
        </form>
      )}
      {status && (
        <p className={status.ok ? 'field-ok' : 'field-error'} role={status.ok ? 'status' : 'alert'}>
          {status.text}
        </p>
      )}
    </div>
  );
}

export function Profile() {
  const trpc = useTRPC();
  const profile = useQuery(trpc.user.profile.queryOptions());
  const limits = useQuery(trpc.user.limits.queryOptions());
  return (
    <section className="page" aria-labelledby="profile-h">
      <h1 id="profile-h" className="h1">
        Profile
      </h1>
      {profile.isError && (
        <p className="alert alert-error" role="alert">
          {describeError(profile.error)}
        </p>
      )}
      <div className="card">
        <h2 className="h3">Usage</h2>
        {limits.data ? (
          <div className="gauges">
            <Gauge
              label="AI messages"
              used={limits.data.aiMessages.used}
              limit={limits.data.aiMessages.limit}
            />
            <Gauge label="API calls" used={limits.data.apiCalls.used} limit={limits.data.apiCalls.limit} />
            <Gauge label="Agents" used={limits.data.agents.used} limit={limits.data.agents.limit} />
          </div>
        ) : (
          <p className="muted">Loading…</p>
        )}
      </div>
      {profile.data && (
        <>
          <div className="card">
            <h2 className="h3">Account</h2>
            <p className="muted small">
              Wallet <code className="wrap">{profile.data.walletAddress}</code> · member since{' '}
              {new Date(profile.data.createdAt).toLocaleDateString()}
            </p>
            <DisplayName current={profile.data.displayName} />
          </div>
          <div className="card">
            <h2 className="h3">Email</h2>
            <Email email={profile.data.email} verified={profile.data.emailVerified} />
          </div>
        </>
      )}
    </section>
  );
}

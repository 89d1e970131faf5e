import { useMutation, useQuery } from '@tanstack/react-query';
import { useRef, useState } from 'react';
import {
  type Connector,
  useConnect,
  useConnection,
  useConnectors,
  useDisconnect,
  useSignMessage,
  useSwitchChain,
} from 'wagmi';
import { loadDemoAccount } from '../demoWallet';
import { describeError } from '../errors';
import { useFocusWhenGone } from '../focus';
import { usePlatform, useTRPC } from '../trpc';
import { chainLabel, chainName, chains } from '../wagmi';
import { BusyButton } from './BusyButton';

/** Which connectors to offer: each EIP-6963 wallet once, the bare window.ethereum one only if nothing announced itself. */
export function pickWallets(connectors: readonly Connector[], hasWindowEthereum: boolean) {
  const announced = connectors.filter((c) => c.type === 'injected' && c.id !== 'injected');
  const generic = connectors.find((c) => c.id === 'injected');
  const demo = connectors.find((c) => c.id === 'demo-wallet');
  const wallets = announced.length > 0 ? announced : generic && hasWindowEthereum ? [generic] : [];
  return { wallets, demo };
}

function short(address: string) {
  return `${address.slice(0, 6)}…${address.slice(-4)}`;
}

export function SignIn() {
  const trpc = useTRPC();
  const { session } = usePlatform();
  const config = useQuery(trpc.auth.config.queryOptions(undefined, { staleTime: Number.POSITIVE_INFINITY }));
  const connection = useConnection();
  const connectors = useConnectors();
  const connect = useConnect();
  const disconnect = useDisconnect();
  const switchChain = useSwitchChain();
  const signMessage = useSignMessage();
  const [error, setError] = useState<string | null>(null);

  const address = connection.status === 'connected' ? connection.address : undefined;
  const chainId = connection.status === 'connected' ? connection.chainId : undefined;
  const allowed = config.data?.allowedChainIds ?? [];
  const wrongChain = chainId !== undefined && config.data !== undefined && !allowed.includes(chainId);

  const message = useQuery({
    ...trpc.auth.message.queryOptions({ address: address ?? '', chainId: chainId ?? 0 }),
    enabled: !!address && chainId !== undefined && !wrongChain && config.data !== undefined,
    // Each message carries a single-use nonce: never reuse a cached one.
    staleTime: 0,
    gcTime: 0,
    retry: false,
    refetchOnWindowFocus: false,
  });

  const authenticate = useMutation(trpc.auth.authenticate.mutationOptions());

  const { wallets, demo } = pickWallets(connectors, typeof window !== 'undefined' && 'ethereum' in window);
  const hasDemo = !!demo && config.data?.demoWalletEnabled === true;

  async function onConnect(connector: Connector) {
    setError(null);
    try {
      if (connector.id === 'demo-wallet') loadDemoAccount();
      await connect.mutateAsync({ connector });
    } catch (err) {
      setError(describeError(err));
    }
  }

  async function onSign() {
    if (!address || !message.data) return;
    setError(null);
    try {
      const signature = await signMessage.mutateAsync({ message: message.data.message, account: address });
      const result = await authenticate.mutateAsync({ message: message.data.message, signature });
      session.setTokens(result);
      // The wallet's job is done: the session lives on tokens from here.
      disconnect.mutate({});
    } catch (err) {
      setError(describeError(err));
      // The nonce may be spent (or expired): fetch a fresh message for the next try.
      void message.refetch();
    }
  }

  async function onSwitch(id: (typeof chains)[number]['id']) {
    setError(null);
    try {
      await switchChain.mutateAsync({ chainId: id });
    } catch (err) {
      setError(describeError(err));
    }
  }

  const busy = connect.isPending || signMessage.isPending || authenticate.isPending;

  // Each step replaces the last. A wallet connected from its button, or switched to an accepted network from its
  // network's: focus goes to the next step's heading, so a screen reader goes on to read the message before the
  // Sign in button after it (Tab gets there too). "Use a different wallet": back to the first step's heading, the
  // wallets after it.
  const connectHeading = useRef<HTMLHeadingElement>(null);
  const signHeading = useRef<HTMLHeadingElement>(null);
  const toSignStep = useFocusWhenGone<HTMLButtonElement>(() => signHeading.current);
  const otherWalletButton = useFocusWhenGone<HTMLButtonElement>(() => connectHeading.current);

  return (
    <main className="signin">
      <div className="signin-card">
        <div className="brand brand-large">
          <span className="brand-mark" aria-hidden="true" />
          ChatPlatform
        </div>
        <p className="lead">
          Chat with AI agents. Your wallet is your account: no password, no email needed.
        </p>

        {config.isError && (
          <p className="alert alert-error" role="alert">
            Cannot reach the server: {describeError(config.error)}
          </p>
        )}

        {!address && (
          <section aria-labelledby="connect-h">
            <h1 ref={connectHeading} id="connect-h" className="h2" tabIndex={-1}>
              Sign in with your wallet
            </h1>
            <ol className="steps" aria-label="How signing in works">
              <li className="current">Connect a wallet</li>
              <li>Read the message</li>
              <li>Sign it</li>
            </ol>
            <div className="wallet-list">
              {wallets.map((c) => (
                <BusyButton
                  key={c.uid}
                  ref={toSignStep}
                  className="wallet-button"
                  busy={busy}
                  onClick={() => onConnect(c)}
                >
                  {c.icon ? (
                    <img src={c.icon} alt="" width={28} height={28} />
                  ) : (
                    <span className="wallet-icon" aria-hidden="true" />
                  )}
                  <span>
                    <strong>{c.id === 'injected' ? 'Browser wallet' : c.name}</strong>
                    <small>Connect with your extension</small>
                  </span>
                </BusyButton>
              ))}
              {wallets.length === 0 && (
                <p className="muted">
                  No wallet extension found in this browser. Install one (any EIP-1193 wallet works)
                  {hasDemo ? ', or try the demo wallet below.' : '.'}
                </p>
              )}
              {hasDemo && demo && (
                <BusyButton
                  ref={toSignStep}
                  className="wallet-button wallet-demo"
                  busy={busy}
                  onClick={() => onConnect(demo)}
                >
                  <span className="wallet-icon wallet-icon-demo" aria-hidden="true">
                    D
                  </span>
                  <span>
                    <strong>Demo wallet</strong>
                    <small>
                      A throwaway key made and kept in this browser. For trying things out only: it holds no
                      funds and anyone using this browser can use it.
                    </small>
                  </span>
                </BusyButton>
              )}
            </div>
          </section>
        )}

        {address && (
          <section aria-labelledby="sign-h">
            <h1 ref={signHeading} id="sign-h" className="h2" tabIndex={-1}>
              {wrongChain ? 'Switch network' : 'Sign the message'}
            </h1>
            <ol className="steps" aria-label="How signing in works">
              <li className="done">Connect a wallet</li>
              <li className={wrongChain ? '' : 'current'}>Read the message</li>
              <li>Sign it</li>
            </ol>
            <p className="connected-as">
              Connected: <code title={address}>{short(address)}</code> with{' '}
              {connection.connector?.name ?? 'a wallet'} on {chainName(chainId ?? 0)}
            </p>
            {wrongChain && (
              <div className="alert alert-warn" role="alert">
                <p>
                  Your wallet is on {chainLabel(chainId ?? 0)}, which this server does not accept. Switch to
                  one of these networks:
                </p>
                <div className="chip-row">
                  {chains
                    .filter((c) => allowed.includes(c.id))
                    .map((c) => (
                      // While the wallet asks the person, every network button is busy (one switch at a time),
                      // the pressed one saying which.
                      <BusyButton
                        key={c.id}
                        ref={toSignStep}
                        className="btn btn-small"
                        busy={switchChain.isPending}
                        busyLabel={
                          switchChain.variables?.chainId === c.id ? `Switching to ${c.name}…` : undefined
                        }
                        onClick={() => onSwitch(c.id)}
                      >
                        {c.name}
                      </BusyButton>
                    ))}
                </div>
              </div>
            )}
            {!wrongChain && message.isPending && <p className="muted">Preparing the message…</p>}
            {!wrongChain && message.isError && (
              <p className="alert alert-error" role="alert">
                {describeError(message.error)}
              </p>
            )}
            {!wrongChain && message.data && (
              <>
                <p className="muted">
                  Your wallet will ask you to sign exactly this text. Signing is free and sends no
                  transaction.
                </p>
                <figure className="siwe">
                  <figcaption className="sr-only">Message to sign</figcaption>
                  <pre className="siwe-message">{message.data.message}</pre>
                </figure>
                <BusyButton
                  className="btn btn-primary btn-block"
                  busy={busy}
                  busyLabel={
                    signMessage.isPending
                      ? 'Waiting for your wallet…'
                      : authenticate.isPending
                        ? 'Signing in…'
                        : undefined
                  }
                  onClick={onSign}
                >
                  Sign in
                </BusyButton>
              </>
            )}
            <button
              ref={otherWalletButton}
              type="button"
              className="btn btn-ghost btn-block"
              onClick={() => {
                setError(null);
                disconnect.mutate({});
              }}
            >
              Use a different wallet
            </button>
          </section>
        )}

        {error && (
          <p className="alert alert-error" role="alert">
            {error}
          </p>
        )}
      </div>
    </main>
  );
}

import { signOut } from '@chatplatform/client';
import { useQuery } from '@tanstack/react-query';
import { type ReactNode, useEffect, useState } from 'react';
import { Link, useRouter } from '../router';
import { usePlatform, useTRPC } from '../trpc';
import { ChatList } from './ChatList';

export function Layout({ children, activeChatId }: { children: ReactNode; activeChatId?: string }) {
  const trpc = useTRPC();
  const { client, session } = usePlatform();
  const { path, navigate } = useRouter();
  const profile = useQuery(trpc.user.profile.queryOptions());
  const [menuOpen, setMenuOpen] = useState(false);
  const [signingOut, setSigningOut] = useState(false);

  // Close the drawer whenever the screen changes.
  useEffect(() => setMenuOpen(false), [path]);

  const who =
    profile.data?.displayName ??
    (profile.data ? `${profile.data.walletAddress.slice(0, 6)}…${profile.data.walletAddress.slice(-4)}` : '');

  return (
    <div className={menuOpen ? 'shell menu-open' : 'shell'}>
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      <header className="topbar">
        <button
          type="button"
          className="icon-btn"
          aria-label={menuOpen ? 'Close menu' : 'Open menu'}
          aria-expanded={menuOpen}
          aria-controls="sidebar"
          onClick={() => setMenuOpen((o) => !o)}
        >
          <svg viewBox="0 0 20 20" aria-hidden="true">
            <path d="M3 6h14M3 10h14M3 14h14" />
          </svg>
        </button>
        <Link to="/" className="brand">
          <span className="brand-mark" aria-hidden="true" />
          ChatPlatform
        </Link>
        <Link to="/new" className="icon-btn" aria-current={path === '/new' ? 'page' : undefined}>
          <span className="sr-only">New chat</span>
          <svg viewBox="0 0 20 20" aria-hidden="true">
            <path d="M10 4v12M4 10h12" />
          </svg>
        </Link>
      </header>
      <aside id="sidebar" className="sidebar" aria-label="Navigation">
        <div className="sidebar-head">
          <Link to="/" className="brand">
            <span className="brand-mark" aria-hidden="true" />
            ChatPlatform
          </Link>
        </div>
        <button type="button" className="btn btn-primary btn-block new-chat" onClick={() => navigate('/new')}>
          <svg viewBox="0 0 20 20" aria-hidden="true" className="btn-icon">
            <path d="M10 4v12M4 10h12" />
          </svg>
          New chat
        </button>
        <ChatList {...(activeChatId ? { activeId: activeChatId } : {})} />
        <nav className="sidebar-nav" aria-label="Account">
          <Link to="/agents" className="nav-link" aria-current={path === '/agents' ? 'page' : undefined}>
            Agents
          </Link>
          <Link to="/profile" className="nav-link" aria-current={path === '/profile' ? 'page' : undefined}>
            Profile
            {who && (
              <span className="nav-sub" title={who}>
                {who}
              </span>
            )}
          </Link>
          <button
            type="button"
            className="nav-link nav-button"
            disabled={signingOut}
            onClick={async () => {
              setSigningOut(true);
              try {
                await signOut(client, session);
              } finally {
                setSigningOut(false);
                navigate('/', { replace: true });
              }
            }}
          >
            {signingOut ? 'Signing out…' : 'Sign out'}
          </button>
        </nav>
      </aside>
      <button
        type="button"
        className="scrim"
        aria-label="Close menu"
        tabIndex={-1}
        onClick={() => setMenuOpen(false)}
      />
      <main id="main" className="main" tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}

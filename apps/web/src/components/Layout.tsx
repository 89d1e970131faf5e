import { signOut } from '@chatplatform/client';
import { useQuery } from '@tanstack/react-query';
import { type ReactNode, useEffect, useLayoutEffect, useRef, useState, useSyncExternalStore } from 'react';
import { keepTabInside, tabbable } from '../focus';
import { Link, useRouter } from '../router';
import { usePlatform, useTRPC } from '../trpc';
import { BusyButton } from './BusyButton';
import { ChatList } from './ChatList';

/** Where the sidebar becomes a drawer (styles.css, "Phone width"). */
const PHONE_WIDTH = '(max-width: 760px)';

function useMediaQuery(query: string): boolean {
  return useSyncExternalStore(
    (onChange) => {
      const list = window.matchMedia(query);
      list.addEventListener('change', onChange);
      return () => list.removeEventListener('change', onChange);
    },
    () => window.matchMedia(query).matches,
  );
}

/**
 * The phone-width drawer as a modal dialog while it is open: focus moves into it, Tab and Shift+Tab wrap inside
 * it, the rest of the page is inert, Escape closes it. On closing, focus goes back to the toggle, or to the new
 * screen's main region when a link in the drawer was followed, unless the new screen already focused something
 * of its own (the composer). Keys inside a dialog opened from the drawer (delete a chat) belong to that dialog.
 */
function useModalDrawer(open: boolean, close: () => void, path: string) {
  const drawerRef = useRef<HTMLElement>(null);
  const toggleRef = useRef<HTMLButtonElement>(null);
  const mainRef = useRef<HTMLElement>(null);
  const pathNow = useRef(path);
  useLayoutEffect(() => {
    pathNow.current = path;
  }, [path]);
  const closeRef = useRef(close);
  closeRef.current = close;

  useEffect(() => {
    const drawer = drawerRef.current;
    if (!open || !drawer) return;
    const openedAt = pathNow.current;
    tabbable(drawer)[0]?.focus();
    const onKey = (e: KeyboardEvent) => {
      const modal = e.target instanceof Element ? e.target.closest('[aria-modal="true"]') : null;
      if (modal && modal !== drawer) return;
      if (e.key === 'Escape') {
        e.preventDefault();
        closeRef.current();
      } else keepTabInside(e, drawer);
    };
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('keydown', onKey);
      const active = document.activeElement;
      if (active && active !== document.body && !drawer.contains(active)) return;
      if (pathNow.current !== openedAt) mainRef.current?.focus();
      else toggleRef.current?.focus();
    };
  }, [open]);

  return { drawerRef, toggleRef, mainRef };
}

export function Layout({ children, activeChatId }: { children: ReactNode; activeChatId?: string }) {
  const trpc = useTRPC();
  const { client, session } = usePlatform();
  const { path, navigate } = useRouter();
  const profile = useQuery(trpc.user.profile.queryOptions());
  const [menuOpen, setMenuOpen] = useState(false);
  const [signingOut, setSigningOut] = useState(false);
  const phone = useMediaQuery(PHONE_WIDTH);
  // The drawer exists at phone width only; a wider window shows the sidebar and ends it.
  if (menuOpen && !phone) setMenuOpen(false);
  const drawerOpen = menuOpen && phone;

  // Close the drawer when the screen changes, in the same render, so the new screen is not inert when it mounts.
  const [shownPath, setShownPath] = useState(path);
  if (shownPath !== path) {
    setShownPath(path);
    setMenuOpen(false);
  }
  const { drawerRef, toggleRef, mainRef } = useModalDrawer(drawerOpen, () => setMenuOpen(false), path);
  const newChatRef = useRef<HTMLButtonElement>(null);

  const who =
    profile.data?.displayName ??
    (profile.data ? `${profile.data.walletAddress.slice(0, 6)}…${profile.data.walletAddress.slice(-4)}` : '');

  return (
    <div className={drawerOpen ? 'shell menu-open' : 'shell'}>
      <a href="#main" className="skip-link" inert={drawerOpen}>
        Skip to content
      </a>
      <header className="topbar" inert={drawerOpen}>
        <button
          ref={toggleRef}
          type="button"
          className="icon-btn"
          aria-label="Open menu"
          aria-expanded={drawerOpen}
          aria-controls="sidebar"
          onClick={() => setMenuOpen(true)}
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
      <aside
        ref={drawerRef}
        id="sidebar"
        className="sidebar"
        aria-label={drawerOpen ? 'Menu' : 'Navigation'}
        {...(drawerOpen ? { role: 'dialog', 'aria-modal': true } : {})}
      >
        <div className="sidebar-head">
          <Link to="/" className="brand">
            <span className="brand-mark" aria-hidden="true" />
            ChatPlatform
          </Link>
          <button
            type="button"
            className="icon-btn drawer-close"
            aria-label="Close menu"
            onClick={() => setMenuOpen(false)}
          >
            <svg viewBox="0 0 20 20" aria-hidden="true">
              <path d="M5 5l10 10M15 5 5 15" />
            </svg>
          </button>
        </div>
        <button
          ref={newChatRef}
          type="button"
          className="btn btn-primary btn-block new-chat"
          onClick={() => navigate('/new')}
        >
          <svg viewBox="0 0 20 20" aria-hidden="true" className="btn-icon">
            <path d="M10 4v12M4 10h12" />
          </svg>
          New chat
        </button>
        <ChatList newChat={newChatRef} {...(activeChatId ? { activeId: activeChatId } : {})} />
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
          <BusyButton
            className="nav-link nav-button"
            busy={signingOut}
            busyLabel="Signing out…"
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
            Sign out
          </BusyButton>
        </nav>
      </aside>
      {/* For pointers only: keyboards have Escape and screen readers the drawer's own Close menu button. */}
      <button
        type="button"
        className="scrim"
        aria-hidden="true"
        tabIndex={-1}
        // Not focused by the press either, so focus can go back to the toggle.
        onMouseDown={(e) => e.preventDefault()}
        onClick={() => setMenuOpen(false)}
      />
      <main ref={mainRef} id="main" className="main" tabIndex={-1} inert={drawerOpen}>
        {children}
      </main>
    </div>
  );
}

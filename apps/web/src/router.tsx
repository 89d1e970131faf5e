import {
  createContext,
  type MouseEvent,
  type ReactNode,
  useCallback,
  useContext,
  useEffect,
  useState,
} from 'react';

/** A small History-API router: the app has five screens and needs no more (the server falls back to index.html). */
interface RouterValue {
  path: string;
  navigate: (to: string, opts?: { replace?: boolean }) => void;
}

const RouterContext = createContext<RouterValue>({ path: '/', navigate: () => {} });

export function RouterProvider({ children }: { children: ReactNode }) {
  const [path, setPath] = useState(() => window.location.pathname);
  useEffect(() => {
    const onPop = () => setPath(window.location.pathname);
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);
  const navigate = useCallback((to: string, opts: { replace?: boolean } = {}) => {
    if (to === window.location.pathname) return;
    if (opts.replace) window.history.replaceState(null, '', to);
    else window.history.pushState(null, '', to);
    setPath(to);
  }, []);
  return <RouterContext.Provider value={{ path, navigate }}>{children}</RouterContext.Provider>;
}

export function useRouter(): RouterValue {
  return useContext(RouterContext);
}

export type Route =
  | { name: 'home' }
  | { name: 'chat'; id: string }
  | { name: 'new' }
  | { name: 'agents' }
  | { name: 'profile' }
  | { name: 'notFound' };

export function matchRoute(path: string): Route {
  if (path === '/' || path === '') return { name: 'home' };
  if (path === '/new') return { name: 'new' };
  if (path === '/agents') return { name: 'agents' };
  if (path === '/profile') return { name: 'profile' };
  const m = /^\/chats\/([0-9a-f-]{36})$/i.exec(path);
  if (m?.[1]) return { name: 'chat', id: m[1] };
  return { name: 'notFound' };
}

/** An <a> that navigates without reloading; modified clicks (new tab) behave as links do. */
export function Link(props: {
  to: string;
  className?: string;
  children: ReactNode;
  'aria-current'?: 'page';
}) {
  const { navigate } = useRouter();
  const onClick = (e: MouseEvent<HTMLAnchorElement>) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(props.to);
  };
  return (
    <a href={props.to} className={props.className} onClick={onClick} aria-current={props['aria-current']}>
      {props.children}
    </a>
  );
}

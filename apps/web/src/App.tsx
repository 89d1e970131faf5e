import { useEffect, useRef } from 'react';
import { Agents } from './components/Agents';
import { ChatView } from './components/ChatView';
import { Home } from './components/Home';
import { Layout } from './components/Layout';
import { NewChat } from './components/NewChat';
import { Profile } from './components/Profile';
import { SignIn } from './components/SignIn';
import { focusLost } from './focus';
import { matchRoute, useRouter } from './router';
import { useSession } from './trpc';

export function App() {
  const { signedIn } = useSession();
  const { path } = useRouter();

  // Signing in replaces the whole page, and focus (on Sign in) with it: focus goes to the new screen's main region,
  // as after following a link in the menu, unless the screen took it itself (a chat's text box). Not when the page
  // opens signed in, nor when focus was moved elsewhere.
  const wasSignedIn = useRef(signedIn);
  useEffect(() => {
    const justSignedIn = signedIn && !wasSignedIn.current;
    wasSignedIn.current = signedIn;
    if (justSignedIn && focusLost()) document.getElementById('main')?.focus();
  }, [signedIn]);

  if (!signedIn) return <SignIn />;
  const route = matchRoute(path);
  return (
    <Layout {...(route.name === 'chat' ? { activeChatId: route.id } : {})}>
      {route.name === 'home' && <Home />}
      {route.name === 'chat' && <ChatView key={route.id} chatId={route.id} />}
      {route.name === 'new' && <NewChat />}
      {route.name === 'agents' && <Agents />}
      {route.name === 'profile' && <Profile />}
      {route.name === 'notFound' && (
        <section className="page">
          <h1 className="h1">Page not found</h1>
          <p className="muted">There is nothing at {path}.</p>
        </section>
      )}
    </Layout>
  );
}

import { useQuery } from '@tanstack/react-query';
import { Link } from '../router';
import { useTRPC } from '../trpc';
import { relativeTime } from './ChatList';

export function Home() {
  const trpc = useTRPC();
  const recent = useQuery(trpc.chat.recent.queryOptions({ limit: 5 }));
  const profile = useQuery(trpc.user.profile.queryOptions());
  return (
    <section className="page" aria-labelledby="home-h">
      <h1 id="home-h" className="h1">
        {profile.data?.displayName ? `Welcome back, ${profile.data.displayName}` : 'Welcome'}
      </h1>
      <p className="lead">Pick up a conversation or start a new one with an agent.</p>
      <div className="home-actions">
        <Link to="/new" className="btn btn-primary">
          Start a new chat
        </Link>
        <Link to="/agents" className="btn">
          Browse agents
        </Link>
      </div>
      {recent.data && recent.data.length > 0 && (
        <div className="card">
          <h2 className="h3">Recent chats</h2>
          <ul className="recent-list">
            {recent.data.map((c) => (
              <li key={c.id}>
                <Link to={`/chats/${c.id}`} className="recent-link">
                  <span>{c.title}</span>
                  <span className="muted small">{relativeTime(c.updatedAt)}</span>
                </Link>
              </li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}

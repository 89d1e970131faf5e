import type { RouterOutputs } from '@chatplatform/api';
import { Link } from '../router';

export function QuotaBanner({ limits }: { limits: RouterOutputs['user']['limits'] }) {
  const which = limits.aiMessages.remaining === 0 ? 'AI messages' : 'API calls';
  const limit = which === 'AI messages' ? limits.aiMessages.limit : limits.apiCalls.limit;
  return (
    <div className="alert alert-quota" role="status">
      <strong>
        You have used all {limit.toLocaleString('en-US')} of your {which}.
      </strong>{' '}
      You can still read and manage your chats. Ask the operator of this server to raise your limit.{' '}
      <Link to="/profile">See your usage</Link>
    </div>
  );
}

import type { RouterOutputs } from '@chatplatform/api';
import { type Ref, useId } from 'react';
import { Link } from '../router';

/**
 * Says that a limit is used up. It can take focus (tabIndex -1: from script, not a Tab stop), for when it locks
 * the control that had it; focused, a screen reader reads its headline as its name and the rest as its
 * description.
 */
export function QuotaBanner({
  limits,
  ref,
}: {
  limits: RouterOutputs['user']['limits'];
  ref?: Ref<HTMLDivElement>;
}) {
  const headline = useId();
  const details = useId();
  const which = limits.aiMessages.remaining === 0 ? 'AI messages' : 'API calls';
  const limit = which === 'AI messages' ? limits.aiMessages.limit : limits.apiCalls.limit;
  return (
    <div
      ref={ref}
      className="alert alert-quota"
      role="status"
      tabIndex={-1}
      aria-labelledby={headline}
      aria-describedby={details}
    >
      <strong id={headline}>
        You have used all {limit.toLocaleString('en-US')} of your {which}.
      </strong>{' '}
      <span id={details}>
        You can still read and manage your chats. Ask the operator of this server to raise your limit.
      </span>{' '}
      <Link to="/profile">See your usage</Link>
    </div>
  );
}

import { agents, asc, chats, emailVerifications, eq, messages, users } from '@chatplatform/db';
import type { Harness } from './harness';

/** Everything a user owns, as stored: used to prove a call changed nothing of theirs. */
export async function snapshotUser(h: Harness, userId: string) {
  const [user] = await h.db.select().from(users).where(eq(users.id, userId));
  const chatRows = await h.db.select().from(chats).where(eq(chats.userId, userId)).orderBy(asc(chats.id));
  const messageRows = await h.db
    .select()
    .from(messages)
    .where(eq(messages.userId, userId))
    .orderBy(asc(messages.seq));
  const verifications = await h.db
    .select()
    .from(emailVerifications)
    .where(eq(emailVerifications.userId, userId))
    .orderBy(asc(emailVerifications.id));
  const agentRows = await h.db
    .select()
    .from(agents)
    .where(eq(agents.ownerId, userId))
    .orderBy(asc(agents.id));
  return { user, chats: chatRows, messages: messageRows, verifications, agents: agentRows };
}

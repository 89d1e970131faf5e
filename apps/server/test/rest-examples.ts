import { randomUUID } from 'node:crypto';
import type { SmtpSink } from '@chatplatform/testing/smtp-sink';
import { newWallet } from '@chatplatform/testing/wallet';
import type { PrivateKeyAccount } from 'viem/accounts';
import type { TestServer } from './harness';
import { type Query, type RestUser, rest, restSignIn } from './rest-helpers';

/**
 * One valid request per REST operation, keyed "METHOD /path" exactly as in the OpenAPI document. The contract
 * test (openapi-contract.test.ts) calls every operation of the document with its example and fails for an
 * operation that has none, so a procedure that gains an openapi meta must gain an example here. The ownership
 * matrix (rest-ownership.test.ts) replays the examples that carry a chat or message id as another user.
 *
 * An example is built for the fixture's user and may create what it needs (a fresh chat to delete, a fresh
 * session to log out). `token` is only set where the call must not use the fixture user's own session.
 */
export interface Example {
  path?: Record<string, string>;
  query?: Query;
  body?: unknown;
  /** Overrides the caller: null for none, a token for another session or user. */
  token?: string | null;
  /** Expected status; 200 when absent. */
  status?: number;
}

export interface Fixture {
  server: TestServer;
  smtp: SmtpSink;
  user: { wallet: PrivateKeyAccount; accessToken: string; userId: string };
  /** One chat of the user holding a few messages, and one USER message in it. */
  chatId: string;
  messageId: string;
}

/** A tRPC call over HTTP, used to set data up without going through the REST operation under test. */
export async function trpc<T>(
  server: TestServer,
  token: string,
  procedure: string,
  input: unknown,
  type: 'query' | 'mutation' = 'mutation',
): Promise<T> {
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const res =
    type === 'query'
      ? await fetch(`${server.url}/trpc/${procedure}?input=${encodeURIComponent(JSON.stringify(input))}`, {
          headers,
        })
      : await fetch(`${server.url}/trpc/${procedure}`, {
          method: 'POST',
          headers,
          body: JSON.stringify(input),
        });
  const json = (await res.json()) as { result?: { data: T }; error?: unknown };
  if (!json.result) throw new Error(`${procedure} failed: ${JSON.stringify(json.error)}`);
  return json.result.data;
}

export async function createChat(server: TestServer, token: string, title = 'Example chat'): Promise<string> {
  return (await trpc<{ id: string }>(server, token, 'chat.create', { title })).id;
}

export async function createMessage(
  server: TestServer,
  token: string,
  chatId: string,
  content = 'Example message',
): Promise<string> {
  return (await trpc<{ id: string }>(server, token, 'message.create', { chatId, content })).id;
}

/** A chat with three user messages; returns the chat and the last message. */
export async function seedChat(
  server: TestServer,
  token: string,
): Promise<{ chatId: string; messageId: string }> {
  const chatId = await createChat(server, token, 'Seeded chat');
  let messageId = '';
  for (const content of ['first', 'second', 'third'])
    messageId = await createMessage(server, token, chatId, content);
  return { chatId, messageId };
}

const uniqueEmail = () => `rest-${randomUUID().slice(0, 8)}@example.com`;

export const EXAMPLES: Record<string, (f: Fixture) => Promise<Example> | Example> = {
  // auth
  'GET /auth/message': () => ({ query: { address: newWallet().address, chainId: 1 }, token: null }),
  'POST /auth/authenticate': async ({ server }) => {
    const wallet = newWallet();
    const m = await rest(server, 'GET', '/auth/message', { query: { address: wallet.address, chainId: 1 } });
    const message = (m.body as { message: string }).message;
    return { body: { message, signature: await wallet.signMessage({ message }) }, token: null };
  },
  'POST /auth/refresh': async ({ server, user }) => {
    const session = await restSignIn(server, user.wallet);
    return { body: { refreshToken: session.refreshToken }, token: null };
  },
  'POST /auth/logout': async ({ server, user }) => ({
    body: {},
    token: (await restSignIn(server, user.wallet)).accessToken,
  }),
  'POST /auth/logout-all': async ({ server }) => ({
    body: {},
    token: (await restSignIn(server)).accessToken,
  }),
  'GET /auth/config': () => ({ token: null }),
  'POST /auth/add-email': () => ({ body: { email: uniqueEmail() } }),
  'POST /auth/verify-email': async ({ server, smtp }) => {
    const other: RestUser = await restSignIn(server);
    const email = uniqueEmail();
    await trpc(server, other.accessToken, 'auth.addEmail', { email });
    const mail = await smtp.waitForMail(email);
    const code = /\b(\d{6})\b/.exec(mail.text)?.[1];
    if (!code) throw new Error(`no code in mail: ${mail.text}`);
    return { body: { code }, token: other.accessToken };
  },

  // user
  'GET /user/profile': () => ({}),
  'PUT /user/profile': () => ({ body: { displayName: 'Contract Tester' } }),
  'GET /user/limits': () => ({}),
  'GET /user/wallet/{address}': ({ user }) => ({ path: { address: user.wallet.address } }),

  // chat
  'POST /chat': () => ({ body: { title: 'Created over REST' } }),
  'GET /chat': () => ({ query: { limit: 5 } }),
  'GET /chat/recent': () => ({ query: { limit: 3 } }),
  'GET /chat/{id}': ({ chatId }) => ({ path: { id: chatId } }),
  'PUT /chat/{id}': ({ chatId }) => ({ path: { id: chatId }, body: { title: 'Renamed over REST' } }),
  'DELETE /chat/{id}': async ({ server, user }) => ({
    path: { id: await createChat(server, user.accessToken, 'To delete') },
  }),

  // message
  'POST /message': ({ chatId }) => ({ body: { chatId, content: 'Hello over REST' } }),
  'GET /message/chat/{chatId}': ({ chatId }) => ({ path: { chatId }, query: { limit: 2 } }),
  'GET /message/chat/{chatId}/full': ({ chatId }) => ({ path: { chatId }, query: { limit: 2 } }),
  'GET /message/chat/{chatId}/recent': ({ chatId }) => ({ path: { chatId }, query: { limit: 2 } }),
  'GET /message/{id}': ({ messageId }) => ({ path: { id: messageId } }),
  'PUT /message/{id}': async ({ server, user, chatId }) => ({
    path: { id: await createMessage(server, user.accessToken, chatId, 'to edit') },
    body: { content: 'Edited over REST' },
  }),
  'DELETE /message/{id}': async ({ server, user, chatId }) => ({
    path: { id: await createMessage(server, user.accessToken, chatId, 'to delete') },
  }),
};

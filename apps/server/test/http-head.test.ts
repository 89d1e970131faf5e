import { describe, expect, it } from 'vitest';
import { until } from './ai-client';
import { readMetric, seedReply } from './harness';
import { answerHeaders, raw } from './http-raw';
import { enc, livePair, ROUTES } from './trpc-pair';

/**
 * HEAD answers what GET would, without a body (RFC 9110 §9.3.2), on /trpc and the REST mirror at /api: the
 * same status and headers (framing aside: a HEAD may leave out Content-Length and Transfer-Encoding, and when
 * it sends Content-Length, it is the GET body's). Neither tRPC nor trpc-to-openapi serves HEAD on its own (both
 * answered 204 to any path, even one GET answers 401 or 404 for). Every case runs on the server with the direct
 * tRPC route and on the one with the official adapter alone (plugins/http-methods.ts covers both).
 */

const pair = livePair();

const each = describe.each(ROUTES);

each('%s: HEAD answers as GET does', (name) => {
  it.each([
    ['a query without a token (401)', '/trpc/user.profile', false],
    ['a query with a token (200)', '/trpc/user.profile', true],
    ['a query with input', `/trpc/auth.message?input=${enc({ address: '0x0', chainId: 1 })}`, false],
    ['an unknown procedure (404)', '/trpc/no.such', false],
    ['a mutation (405)', '/trpc/chat.create', true],
    ['a batch', `/trpc/user.profile,user.limits?batch=1&input=${enc({})}`, true],
    ['a batch refused by the batch guard (400)', `/trpc/user.profile?batch=1&input=${enc({ x: 1 })}`, true],
    ['a REST read without a token (401)', '/api/user/profile', false],
    ['a REST read with a token (200)', '/api/user/profile', true],
    ['a REST read with a query', '/api/chat?limit=5', true],
    ['an unknown REST path (404)', '/api/no/such/path', true],
    ['the REST document', '/api/openapi.json', false],
  ])('%s', async (_case, path, authed) => {
    const s = pair.server(name);
    const headers: Record<string, string> = authed ? { authorization: `Bearer ${pair.token}` } : {};
    const get = await raw(s.url, 'GET', path, { headers });
    const head = await raw(s.url, 'HEAD', path, { headers });
    expect(head.status).toBe(get.status);
    expect(answerHeaders(head.headers)).toEqual(answerHeaders(get.headers));
    expect(head.body).toBe('');
    if (head.headers['content-length'] !== undefined)
      expect(Number(head.headers['content-length'])).toBe(Buffer.byteLength(get.body));
  });

  it('a subscription: the SSE headers, and no stream left running on the server', async () => {
    const s = pair.server(name);
    const { accessToken, user } = await s.signIn();
    const auth = { authorization: `Bearer ${accessToken}` };
    const chat = (await fetch(`${s.url}/trpc/chat.create`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth },
      body: '{}',
    }).then((r) => r.json())) as { result: { data: { id: string } } };
    // A reply still being written: its stream stays open until the reply ends or the client goes.
    const reply = await seedReply(s, {
      chatId: chat.result.data.id,
      userId: user.id,
      content: 'so far',
      status: 'streaming',
      heartbeatAt: new Date(),
      events: [JSON.stringify({ type: 'delta', text: 'so far' })],
    });
    const path = `/trpc/message.stream?input=${enc({ messageId: reply.id })}`;
    const open = () => readMetric(s.url, 'message_streams_open');
    const before = await open();

    const head = await raw(s.url, 'HEAD', path, { headers: auth });
    expect(head.status).toBe(200);
    expect(head.headers['content-type']).toBe('text/event-stream');
    expect(head.body).toBe('');
    // The follower the GET started for it has ended: nobody reads its events.
    await until(async () => (await open()) === before);
  });

  it('counts a HEAD as a HEAD in http_requests_total', async () => {
    const s = pair.server(name);
    const series = 'http_requests_total{method="HEAD",route="trpc:user.profile",status="401"}';
    const before = await readMetric(s.url, series);
    await raw(s.url, 'HEAD', '/trpc/user.profile');
    expect(await readMetric(s.url, series)).toBe(before + 1);
  });
});

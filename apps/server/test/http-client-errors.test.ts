import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { readMetric } from './harness';
import { livePair, ROUTES } from './trpc-pair';

/**
 * What Node's HTTP parser refuses before any route runs (a request line and headers over its 16 KiB limit,
 * malformed HTTP) is answered in the server's generic JSON error shape `{ code, message }` with the right
 * status and `Connection: close` (plugins/client-errors.ts, fastify's clientErrorHandler). fastify's default
 * wrote its own `{ error, message, statusCode }` body without `Connection: close`, and nothing counted it. These
 * go over a raw socket: no HTTP client sends such a request, and the answer is read up to the server's close.
 */

const pair = livePair();

interface Exchange {
  /** Each response on the connection, in order: status, headers (lower-cased names), body. */
  responses: Array<{ status: number; headers: Record<string, string>; body: string }>;
  /** Whether the server closed the connection (the client never does here). */
  closedByServer: boolean;
}

/** Writes `data` on a new connection and reads every response until the server closes it (or 5 s pass). */
function exchange(url: string, data: string): Promise<Exchange> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => socket.write(data));
    socket.setTimeout(5000, () => finish(false));
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('end', () => finish(true));
    let done = false;
    function finish(closedByServer: boolean) {
      if (done) return;
      done = true;
      socket.destroy();
      try {
        resolve({ responses: parse(Buffer.concat(chunks).toString('latin1')), closedByServer });
      } catch (err) {
        reject(err);
      }
    }
  });
}

/** The HTTP/1.1 responses in `text`, framed by Content-Length or chunked (the official adapter streams). */
function parse(text: string): Exchange['responses'] {
  const out: Exchange['responses'] = [];
  let rest = text;
  while (rest.length > 0) {
    const end = rest.indexOf('\r\n\r\n');
    if (end === -1) throw new Error(`incomplete response: ${JSON.stringify(rest.slice(0, 200))}`);
    const [statusLine = '', ...lines] = rest.slice(0, end).split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const at = line.indexOf(':');
      headers[line.slice(0, at).toLowerCase()] = line.slice(at + 1).trim();
    }
    rest = rest.slice(end + 4);
    let body = '';
    if (headers['transfer-encoding'] === 'chunked') {
      for (;;) {
        const eol = rest.indexOf('\r\n');
        const size = Number.parseInt(rest.slice(0, eol), 16);
        if (eol === -1 || Number.isNaN(size))
          throw new Error(`bad chunk: ${JSON.stringify(rest.slice(0, 50))}`);
        body += rest.slice(eol + 2, eol + 2 + size);
        rest = rest.slice(eol + 2 + size + 2);
        if (size === 0) break;
      }
    } else {
      const length = Number(headers['content-length']);
      if (!Number.isInteger(length)) throw new Error(`no framing: ${statusLine}`);
      body = rest.slice(0, length);
      rest = rest.slice(length);
    }
    out.push({ status: Number(statusLine.split(' ')[1]), headers, body });
  }
  return out;
}

const bigHeader = (bytes: number) => `X-Padding: ${'a'.repeat(bytes)}\r\n`;

describe.each(ROUTES)('%s: what the HTTP parser refuses, as JSON', (name) => {
  it.each([
    ['a tRPC query', 'GET', '/trpc/user.profile'],
    ['a tRPC batch', 'GET', '/trpc/user.profile,user.limits?batch=1'],
    ['a REST call', 'POST', '/api/chat'],
    ['another path', 'GET', '/healthz'],
  ])(
    '431 for %s with more than 16 KiB of headers: generic shape, Connection: close',
    async (_case, method, path) => {
      const { responses, closedByServer } = await exchange(
        pair.server(name).url,
        `${method} ${path} HTTP/1.1\r\nHost: localhost\r\n${bigHeader(20_000)}\r\n`,
      );
      expect(responses).toHaveLength(1);
      const [r] = responses;
      expect(r?.status).toBe(431);
      expect(r?.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(r?.headers.connection).toBe('close');
      expect(JSON.parse(r?.body ?? '')).toEqual({
        code: 'REQUEST_HEADER_FIELDS_TOO_LARGE',
        message: 'The request line and headers are larger than 16384 bytes.',
      });
      expect(closedByServer).toBe(true);
    },
  );

  it('431 for many headers that add up over the limit, and for a URL that long', async () => {
    const s = pair.server(name);
    const many = Array.from({ length: 400 }, (_, i) => `X-H${i}: ${'b'.repeat(40)}\r\n`).join('');
    const longUrl = `/trpc/user.profile?input=${'c'.repeat(20_000)}`;
    for (const request of [
      `GET /trpc/user.profile HTTP/1.1\r\nHost: localhost\r\n${many}\r\n`,
      `GET ${longUrl} HTTP/1.1\r\nHost: localhost\r\n\r\n`,
    ]) {
      const { responses } = await exchange(s.url, request);
      expect(responses.map((r) => r.status)).toEqual([431]);
      expect(responses[0]?.headers.connection).toBe('close');
    }
  });

  it('a request just under the limit is served', async () => {
    const { responses } = await exchange(
      pair.server(name).url,
      `GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n${bigHeader(15_000)}\r\n`,
    );
    expect(responses.map((r) => r.status)).toEqual([200]);
  });

  it('400 for a request that is not HTTP, in the same shape', async () => {
    const { responses, closedByServer } = await exchange(pair.server(name).url, 'HELLO\r\n\r\n');
    expect(responses).toHaveLength(1);
    expect(responses[0]?.status).toBe(400);
    expect(responses[0]?.headers.connection).toBe('close');
    expect(JSON.parse(responses[0]?.body ?? '')).toEqual({
      code: 'BAD_REQUEST',
      message: 'The request is not valid HTTP/1.1.',
    });
    expect(closedByServer).toBe(true);
  });

  it('behind a pipelined request: its answer first, intact, then the 431', async () => {
    const { responses, closedByServer } = await exchange(
      pair.server(name).url,
      'GET /trpc/user.profile HTTP/1.1\r\nHost: localhost\r\n\r\n' +
        `GET /trpc/user.profile HTTP/1.1\r\nHost: localhost\r\n${bigHeader(20_000)}\r\n`,
    );
    expect(responses.map((r) => r.status)).toEqual([401, 431]);
    expect(JSON.parse(responses[0]?.body ?? '')).toMatchObject({ error: { data: { code: 'UNAUTHORIZED' } } });
    expect(responses[1]?.headers.connection).toBe('close');
    expect(closedByServer).toBe(true);
  });

  it('on a kept-alive connection: the answers before it, then the 431', async () => {
    const s = pair.server(name);
    const { port } = new URL(s.url);
    const socket = connect(Number(port), '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    const ended = new Promise<void>((resolve) => socket.on('end', resolve));
    socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n');
    await new Promise((r) => setTimeout(r, 100));
    socket.write(`GET /healthz HTTP/1.1\r\nHost: localhost\r\n${bigHeader(20_000)}\r\n`);
    await ended;
    socket.destroy();
    const responses = parse(Buffer.concat(chunks).toString('latin1'));
    expect(responses.map((r) => r.status)).toEqual([200, 431]);
  });

  it('counts them in http_requests_total, route "unmatched", no label from the request', async () => {
    const s = pair.server(name);
    const series = (method: string, status: number) =>
      `http_requests_total{method="${method}",route="unmatched",status="${status}"}`;
    const before431 = await readMetric(s.url, series('POST', 431));
    const before400 = await readMetric(s.url, series('unknown', 400));
    await exchange(s.url, `POST /api/chat HTTP/1.1\r\nHost: localhost\r\n${bigHeader(20_000)}\r\n`);
    await exchange(s.url, 'HELLO\r\n\r\n');
    await exchange(s.url, `BREW /pot HTTP/1.1\r\n${bigHeader(20_000)}\r\n`);
    expect(await readMetric(s.url, series('POST', 431))).toBe(before431 + 1);
    expect(await readMetric(s.url, series('unknown', 400))).toBe(before400 + 2);
    const text = await fetch(`${s.url}/metrics`).then((r) => r.text());
    expect(text).not.toContain('BREW');
  });

  it('a client that keeps its side open and sending is cut off soon after the answer', async () => {
    const { port } = new URL(pair.server(name).url);
    const socket = connect({ port: Number(port), host: '127.0.0.1', allowHalfOpen: true });
    socket.on('error', () => {});
    socket.resume();
    const started = Date.now();
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.write(`GET /healthz HTTP/1.1\r\nHost: localhost\r\n${bigHeader(20_000)}`);
    const more = setInterval(() => socket.writable && socket.write('X-More: 1\r\n'), 100);
    await closed;
    clearInterval(more);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

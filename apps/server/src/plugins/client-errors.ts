import { maxHeaderSize as defaultMaxHeaderSize, METHODS, type Server, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { ConnectionError, FastifyInstance } from 'fastify';

/** How long a refused connection keeps reading (and dropping) what the client still sends before it closes. */
const LINGER_MS = 2000;
const KNOWN_METHODS = new Set(METHODS);

/** What the refusal of a request Node could not parse was about: its status, code and message. */
function refusalFor(err: ConnectionError, maxHeaderSize: number) {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return {
        status: 431,
        code: 'REQUEST_HEADER_FIELDS_TOO_LARGE',
        message: `The request line and headers are larger than ${maxHeaderSize} bytes.`,
      };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, code: 'TIMEOUT', message: 'The request did not arrive in time.' };
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return { status: 413, code: 'PAYLOAD_TOO_LARGE', message: 'The chunk extensions are too large.' };
    default:
      return { status: 400, code: 'BAD_REQUEST', message: 'The request is not valid HTTP/1.1.' };
  }
}

/**
 * fastify's `clientErrorHandler`, for what Node's HTTP parser refuses before any route, hook or request id
 * exists: headers over the limit (431), a request that did not arrive in time (408), malformed HTTP (400).
 * fastify's default writes its own `{ error, message, statusCode }` body; this writes the generic `{ code,
 * message }` the server's other unrouted errors have, with `Connection: close`, and counts it in
 * http_requests_total (route "unmatched"; the method when the request line is in the refused packet and a
 * known one, else "unknown", so that no label comes from what the client sent).
 *
 * Node leaves the socket to this handler. The answer waits for the responses to earlier requests on the same
 * connection (a pipelined request refused behind one being answered; Node's own handler would write into or
 * ahead of them), then goes out followed by a FIN; the connection keeps reading, and dropping, what the client
 * still sends (RFC 9112 §9.6: closing with unread data would reset the connection, and the client could lose
 * the answer) until the client closes or LINGER_MS pass. Further parser errors on that socket land here again
 * and are ignored.
 */
export function createClientErrors(opts: {
  count?: (labels: { method: string; status: number }) => void;
  lingerMs?: number;
}) {
  // Sockets already answered (or waiting to be): further parser errors on them are ignored.
  const refused = new WeakSet<Socket>();
  const lingerMs = opts.lingerMs ?? LINGER_MS;

  // fastify calls it with the instance as `this`.
  return function clientErrorHandler(this: unknown, err: ConnectionError, socket: Socket) {
    if (err.code === 'ECONNRESET' || socket.destroyed || refused.has(socket)) return;
    refused.add(socket);
    const app = this as FastifyInstance;
    const server = app.server as Server & { maxHeaderSize?: number };
    const refusal = refusalFor(err, server.maxHeaderSize ?? defaultMaxHeaderSize);
    app.log.debug({ err, status: refusal.status }, 'client error');
    // Node's rawPacket is the Buffer being parsed (fastify's type says otherwise).
    opts.count?.({ method: methodOf((err as { rawPacket?: unknown }).rawPacket), status: refusal.status });

    const body = JSON.stringify({ code: refusal.code, message: refusal.message });
    const answer =
      `HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status]}\r\n` +
      'Content-Type: application/json; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Cache-Control: no-store\r\n' +
      'Connection: close\r\n' +
      `\r\n${body}`;
    const send = () => {
      if (socket.destroyed || socket.writableEnded) return;
      if (!socket.writable) return void socket.destroy();
      // Responses to the requests before it on this connection go first (HTTP/1.1 answers in order): Node
      // hands the socket to the next one when one finishes, and the refused request is the last it parsed.
      const current = (socket as Socket & { _httpMessage?: NodeJS.EventEmitter | null })._httpMessage;
      if (current) return void current.once('finish', send);
      socket.end(answer);
      const linger = setTimeout(() => socket.destroy(), lingerMs);
      linger.unref();
      socket.once('close', () => clearTimeout(linger));
    };
    send();
  };
}

/** The request line's method, when the packet starts with one Node knows; else "unknown". */
function methodOf(packet: unknown): string {
  if (!Buffer.isBuffer(packet)) return 'unknown';
  const head = packet.subarray(0, 24).toString('latin1');
  const method = head.slice(0, head.indexOf(' '));
  return KNOWN_METHODS.has(method) ? method : 'unknown';
}

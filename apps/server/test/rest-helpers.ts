import type { OpenAPIObject } from '@chatplatform/api';
import { newWallet } from '@chatplatform/testing/wallet';
import type { PrivateKeyAccount } from 'viem/accounts';
import type { TestServer } from './harness';

export type Query = Record<string, string | number | boolean>;

export interface RestRequest {
  token?: string | null;
  query?: Query;
  body?: unknown;
  /** A raw body string sent as is (malformed JSON tests). */
  rawBody?: string;
  headers?: Record<string, string>;
}

export interface RestResponse {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed JSON body, or undefined when the body is not JSON. */
  body: unknown;
}

/** One call to the REST mirror: `path` is below /api ("/chat/123"). JSON body unless `rawBody`. */
export async function rest(
  server: TestServer,
  method: string,
  path: string,
  req: RestRequest = {},
): Promise<RestResponse> {
  const url = new URL(`${server.url}/api${path}`);
  for (const [k, v] of Object.entries(req.query ?? {})) url.searchParams.set(k, String(v));
  const headers: Record<string, string> = { ...req.headers };
  if (req.token) headers.authorization = `Bearer ${req.token}`;
  let body: string | undefined;
  if (req.rawBody !== undefined) body = req.rawBody;
  else if (req.body !== undefined) body = JSON.stringify(req.body);
  if (body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type'))
    headers['content-type'] = 'application/json';
  const res = await fetch(url, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, text, body: parsed };
}

export interface RestUser {
  wallet: PrivateKeyAccount;
  accessToken: string;
  refreshToken: string;
  userId: string;
}

/** Signs a wallet in through the REST mirror only: GET /api/auth/message, sign, POST /api/auth/authenticate. */
export async function restSignIn(
  server: TestServer,
  wallet: PrivateKeyAccount = newWallet(),
): Promise<RestUser> {
  const m = await rest(server, 'GET', '/auth/message', { query: { address: wallet.address, chainId: 1 } });
  if (m.status !== 200) throw new Error(`auth/message: ${m.status} ${m.text}`);
  const message = (m.body as { message: string }).message;
  const signature = await wallet.signMessage({ message });
  const a = await rest(server, 'POST', '/auth/authenticate', { body: { message, signature } });
  if (a.status !== 200) throw new Error(`auth/authenticate: ${a.status} ${a.text}`);
  const t = a.body as { accessToken: string; refreshToken: string; user: { id: string } };
  return { wallet, accessToken: t.accessToken, refreshToken: t.refreshToken, userId: t.user.id };
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface Operation {
  method: HttpMethod;
  /** As in the document: "/chat/{id}". */
  path: string;
  /** "GET /chat/{id}": the key of the example table. */
  key: string;
  operationId: string;
  protected: boolean;
  pathParams: string[];
  pathParamSchemas: Record<string, Record<string, unknown>>;
  queryParams: { name: string; required: boolean; schema: Record<string, unknown> }[];
  bodySchema: Record<string, unknown> | undefined;
  responses: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}

/** Every operation of the document, in document order. */
export function operationsOf(doc: OpenAPIObject): Operation[] {
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const m of ['get', 'post', 'put', 'patch', 'delete'] as const) {
      const op = (item as Record<string, Record<string, unknown> | undefined>)[m];
      if (!op) continue;
      const params = (op.parameters ?? []) as {
        in: string;
        name: string;
        required?: boolean;
        schema?: Record<string, unknown>;
      }[];
      const body = op.requestBody as
        | { content?: Record<string, { schema?: Record<string, unknown> }> }
        | undefined;
      const method = m.toUpperCase() as HttpMethod;
      ops.push({
        method,
        path,
        key: `${method} ${path}`,
        operationId: String(op.operationId),
        protected: Array.isArray(op.security) && op.security.length > 0,
        pathParams: params.filter((p) => p.in === 'path').map((p) => p.name),
        pathParamSchemas: Object.fromEntries(
          params.filter((p) => p.in === 'path').map((p) => [p.name, p.schema ?? {}]),
        ),
        queryParams: params
          .filter((p) => p.in === 'query')
          .map((p) => ({ name: p.name, required: p.required === true, schema: p.schema ?? {} })),
        bodySchema: body?.content?.['application/json']?.schema,
        responses: (op.responses ?? {}) as Operation['responses'],
      });
    }
  }
  return ops;
}

/** "/chat/{id}" with { id: "x" } -> "/chat/x" (values URL-encoded). */
export function fillPath(path: string, params: Record<string, string>): string {
  return path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const v = params[name];
    if (v === undefined) throw new Error(`no value for path parameter ${name} of ${path}`);
    return encodeURIComponent(v);
  });
}

/** The REST error shape: `{ code, message }` plus optional reason and issues; never a stack trace. */
export function expectErrorShape(body: unknown): {
  code: string;
  message: string;
  reason?: string;
  issues?: { field: string; message: string }[];
} {
  if (!body || typeof body !== 'object') throw new Error(`error body is not a JSON object: ${String(body)}`);
  const b = body as Record<string, unknown>;
  if (typeof b.code !== 'string' || typeof b.message !== 'string')
    throw new Error(`error body lacks code/message: ${JSON.stringify(body)}`);
  const text = JSON.stringify(body);
  if (/\bat .+:\d+:\d+\)?/.test(text) || 'stack' in b) throw new Error(`error body leaks a stack: ${text}`);
  return b as ReturnType<typeof expectErrorShape>;
}

import { newWallet } from '@chatplatform/testing/wallet';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, onTestFailed } from 'vitest';
import { launchChromium, screenshot, watchPage } from './browser';
import { type E2EServer, startE2EServer } from './server';
import { installTestWallet } from './wallet';

export const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };
export const DESKTOP = { viewport: { width: 1280, height: 800 } };

/**
 * The real server (started with `env`, as `pnpm start` runs it) and Chromium for the describe it is called in:
 * both start before its tests and stop after them.
 */
export function liveServerAndChromium(env: Record<string, string>): {
  readonly server: E2EServer;
  readonly browser: Browser;
} {
  let server: E2EServer | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    [server, browser] = await Promise.all([startE2EServer(env), launchChromium()]);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });
  const started = <T>(x: T | undefined): T => {
    if (x === undefined) throw new Error('the server and the browser start in beforeAll');
    return x;
  };
  return {
    get server() {
      return started(server);
    },
    get browser() {
      return started(browser);
    },
  };
}

export interface SignedIn {
  context: BrowserContext;
  page: Page;
  /** Console errors and page errors seen so far. */
  problems: string[];
  /** A tRPC mutation as the signed-in person, over HTTP with the page's access token (to set up data fast). */
  call<T = { id: string }>(path: string, input: unknown): Promise<T>;
}

/**
 * A new person (a fresh wallet) signed in with the injected test wallet, on the home page. A failing test leaves
 * a screenshot named after `shot` and prints what the console said.
 */
export async function signedIn(
  browser: Browser,
  server: E2EServer,
  shot: string,
  device: typeof PHONE | typeof DESKTOP = DESKTOP,
): Promise<SignedIn> {
  const context = await browser.newContext(device);
  await installTestWallet(context, newWallet());
  const page = await context.newPage();
  const problems = watchPage(page);
  onTestFailed(async () => {
    await screenshot(page, `failure-${shot}`).catch(() => {});
    if (problems.length) console.error(problems.join('\n'));
  });
  await signInWithTestWallet(page, server.url);
  return { context, page, problems, call: callerFor(page, server.url) };
}

/** Signs in on `url` with the injected test wallet and waits for the home page. */
export async function signInWithTestWallet(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.getByRole('button', { name: /Test Wallet/ }).click();
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('heading', { name: /Welcome/ }).waitFor();
}

/** tRPC mutations as the person signed in on `page`, over HTTP with the page's current access token. */
export function callerFor(page: Page, url: string) {
  return async <T = { id: string }>(path: string, input: unknown): Promise<T> => {
    const token = await page.evaluate(
      () =>
        (JSON.parse(localStorage.getItem('chatplatform.session') ?? '{}') as { accessToken?: string })
          .accessToken,
    );
    const r = await fetch(`${url}/trpc/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(input),
    });
    const j = (await r.json()) as { result?: { data: T } };
    if (!j.result) throw new Error(`${path} failed: ${JSON.stringify(j)}`);
    return j.result.data;
  };
}

/**
 * The focused element, described the way a test names it: `body`, or its role-ish tag and its accessible name
 * (aria-label, its label, or its text), e.g. `button "Rename “Trip plans”"`, `textarea "Message"`.
 */
export function focused(page: Page): Promise<string> {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return 'body';
    const labelled = el.getAttribute('aria-labelledby');
    const name =
      el.getAttribute('aria-label') ??
      (labelled ? document.getElementById(labelled)?.textContent : null) ??
      ((el as HTMLInputElement).labels?.[0]?.textContent || null) ??
      el.textContent ??
      '';
    return `${el.tagName.toLowerCase()} "${name.replace(/\s+/g, ' ').trim()}"`;
  });
}

/** The id of the focused element ('' for one without), or 'body'. */
export function focusedId(page: Page): Promise<string> {
  return page.evaluate(() =>
    document.activeElement === document.body ? 'body' : (document.activeElement?.id ?? ''),
  );
}

/** Whether the focused element is inside the element matching `selector`. */
export function focusInside(page: Page, selector: string): Promise<boolean> {
  return page.evaluate((sel) => !!document.querySelector(sel)?.contains(document.activeElement), selector);
}

export interface Held {
  /** The URLs of the requests held so far (each a batch that calls the procedure). */
  seen: string[];
  /** Lets the held requests, and any later ones, go through to the server. */
  release(): Promise<void>;
}

/**
 * Holds the page's tRPC requests that call `procedure` (alone or in a batch) until `release()`, counting them:
 * so a test can look at a control while its action is on its way, and check that it was sent once.
 */
export async function holdRequests(page: Page, procedure: string): Promise<Held> {
  const seen: string[] = [];
  let open = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  const calls = (url: URL) =>
    url.pathname.startsWith('/trpc/') && url.pathname.slice('/trpc/'.length).split(',').includes(procedure);
  await page.route(calls, async (route) => {
    seen.push(route.request().url());
    await opened;
    await route.continue().catch(() => {});
  });
  return {
    seen,
    async release() {
      open();
      await page.unroute(calls);
    },
  };
}

/**
 * Lets a test cut the page's reply streams (message.stream over SSE) as a dropped connection would: after
 * `cut()`, each open stream fails with a network error and every reconnection is refused, while queries and
 * mutations still go through. Installed in the loaded page (the client looks up fetch at each request).
 */
export async function streamCutter(page: Page): Promise<{ cut(): Promise<void> }> {
  await page.evaluate(() => {
    const w = window as unknown as { fetch: typeof fetch; cutStreams: () => void };
    const realFetch = w.fetch.bind(window);
    const open = new Set<() => void>();
    let down = false;
    w.cutStreams = () => {
      down = true;
      for (const cut of open) cut();
      open.clear();
    };
    w.fetch = async (input, init) => {
      const url = input instanceof Request ? input.url : String(input);
      if (!new URL(url, location.href).pathname.startsWith('/trpc/message.stream'))
        return realFetch(input, init);
      if (down) throw new TypeError('Failed to fetch');
      const res = await realFetch(input, init);
      const reader = res.body?.getReader();
      if (!reader) return res;
      let cut = () => {};
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          cut = () => {
            controller.error(new TypeError('network error'));
            reader.cancel().catch(() => {});
          };
          open.add(cut);
        },
        async pull(controller) {
          try {
            const { done, value } = await reader.read();
            if (done) {
              open.delete(cut);
              controller.close();
            } else controller.enqueue(value);
          } catch {
            // Cut: the stream has already failed.
          }
        },
        cancel(reason) {
          open.delete(cut);
          return reader.cancel(reason);
        },
      });
      return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
    };
  });
  return { cut: () => page.evaluate(() => (window as unknown as { cutStreams: () => void }).cutStreams()) };
}

/** Time for a second request to leave, had a press sent one (tRPC batches on the next tick). */
export const aMoment = (page: Page) => page.waitForTimeout(300);

/** Console noise a deliberately failed request leaves (an aborted fetch), which is not a page problem. */
export const realProblems = (problems: string[]) =>
  problems.filter((p) => !/Failed to load resource|net::ERR_FAILED/.test(p));

/**
 * Two pages of everything: 22 chats (the list shows 20, then the last 2), the newest, "Long history", with 31
 * messages (the view shows 30, then 1), opened.
 */
export async function openTwoPages(page: Page, call: SignedIn['call'], url: string): Promise<void> {
  for (let i = 1; i <= 21; i++) await call('chat.create', { title: `Chat ${String(i).padStart(2, '0')}` });
  const long = await call('chat.create', { title: 'Long history' });
  for (let i = 1; i <= 31; i++)
    await call('message.create', { chatId: long.id, content: `Note ${String(i).padStart(2, '0')}` });
  await page.goto(`${url}/chats/${long.id}`);
  await page.locator('.msg-user', { hasText: 'Note 31' }).waitFor();
}

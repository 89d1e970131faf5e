import { newWallet } from '@chatplatform/testing/wallet';
import type { BrowserContext, Page } from 'playwright-core';
import { describe, expect, it, onTestFailed } from 'vitest';
import { browserUnavailable, screenshot, watchPage } from './browser';
import { callerFor, liveServerAndChromium, signInWithTestWallet } from './harness';
import { installTestWallet, type TestWallet } from './wallet';

const skipReason = browserUnavailable();
if (skipReason) console.warn(`browser tests skipped: ${skipReason}`);

const AI_LIMIT = 4;

describe.skipIf(!!skipReason)('the web app in Chromium against the real server', () => {
  const e2e = liveServerAndChromium({
    LIMIT_AI_MESSAGES: String(AI_LIMIT),
    AI_DEMO_WORD_DELAY_MS: '60',
    // 30 s access tokens (the minimum): the client refreshes them silently while the tests run.
    JWT_EXPIRE_ACCESS: '30',
  });

  async function withWallet(
    opts: { chainId?: number; viewport?: { width: number; height: number } } = {},
  ): Promise<{ context: BrowserContext; page: Page; wallet: TestWallet; problems: string[] }> {
    const context = await e2e.browser.newContext({ viewport: opts.viewport ?? { width: 1280, height: 800 } });
    const wallet = await installTestWallet(context, newWallet(), opts);
    const page = await context.newPage();
    const problems = watchPage(page);
    // A failing step leaves a picture of the page and what the console said.
    onTestFailed(async () => {
      await screenshot(page, 'failure').catch(() => {});
      if (problems.length) console.error(problems.join('\n'));
    });
    return { context, page, wallet, problems };
  }

  const signIn = (page: Page) => signInWithTestWallet(page, e2e.server.url);

  /**
   * The elements matching `selector` that stick out of their nearest `within` ancestor, or whose own text runs
   * past their edge (unless clipped): described, so a failure says which.
   */
  function overflowing(page: Page, selector: string, within: string): Promise<string[]> {
    return page.locator(selector).evaluateAll(
      (els, [sel, outerSel]) =>
        els.flatMap((el) => {
          const box = el.getBoundingClientRect();
          const outer = el.parentElement?.closest(outerSel as string)?.getBoundingClientRect();
          // Text cut off with an ellipsis (overflow hidden) is inside its box too.
          const fits =
            (el.scrollWidth <= el.clientWidth || getComputedStyle(el).overflowX === 'hidden') &&
            !!outer &&
            box.left >= outer.left - 1 &&
            box.right <= outer.right + 1;
          return fits
            ? []
            : [
                `${sel} "${(el.textContent ?? '').slice(0, 24)}…": scrollWidth ${el.scrollWidth} > clientWidth ${el.clientWidth}` +
                  ` or right ${Math.round(box.right)} past ${outerSel} ${Math.round(outer?.right ?? 0)}`,
              ];
        }),
      [selector, within],
    );
  }

  /** Console noise a deliberately failed request leaves (a 404, an aborted fetch), which is not a page problem. */
  const realProblems = (problems: string[]) =>
    problems.filter((p) => !/Failed to load resource|net::ERR_FAILED/.test(p));

  it('signs in with an injected wallet, chats, renames and deletes, verifies an email, and signs out', async () => {
    const { context, page, wallet, problems } = await withWallet();

    // Sign in: connect, read the message, decline once, then sign.
    await page.goto(e2e.server.url);
    await page.getByRole('heading', { name: 'Sign in with your wallet' }).waitFor();
    await screenshot(page, '01-sign-in');
    await page.getByRole('button', { name: /Test Wallet/ }).click();
    const message = page.getByRole('figure', { name: 'Message to sign' });
    await message.waitFor();
    const text = (await message.textContent()) ?? '';
    expect(text).toContain(
      `${new URL(e2e.server.url).host} wants you to sign in with your Ethereum account:`,
    );
    expect(text).toContain(wallet.account.address);
    await screenshot(page, '02-sign-message');

    wallet.rejectNextSignature();
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await expect
      .poll(() => page.getByRole('alert').first().textContent())
      .toContain('You declined the request in your wallet');
    expect(wallet.signatures).toBe(0);

    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('heading', { name: /Welcome/ }).waitFor();
    expect(wallet.signatures).toBe(1);

    // A new chat with an agent; the reply streams in pieces; stop; regenerate; reload keeps it all.
    await page.getByRole('button', { name: 'New chat' }).click();
    await page.getByRole('heading', { name: 'New chat' }).waitFor();
    const agentCards = page.getByRole('group', { name: 'Agent' }).getByRole('button');
    await agentCards.first().waitFor();
    await expect.poll(() => agentCards.first().getAttribute('aria-pressed')).toBe('true');
    await screenshot(page, '03-new-chat');
    await page.getByRole('button', { name: 'Start chat' }).click();
    await page.waitForURL(/\/chats\/[0-9a-f-]{36}$/);
    const composer = page.getByLabel('Message', { exact: true });
    await composer.fill('Hello there. Please answer in **Markdown**.');
    await composer.press('Enter');
    await page.locator('.msg-user', { hasText: 'Hello there' }).waitFor();

    // Watch the live reply grow: several different partial lengths before the stored reply replaces it.
    const seen = new Set<number>();
    const live = page.locator('.msg-ai .live');
    await live.waitFor();
    while ((await live.count()) > 0) {
      const t = await live.textContent().catch(() => null);
      if (t) seen.add(t.length);
    }
    const firstReply = page.locator('.msg-ai').first();
    await expect.poll(() => firstReply.getAttribute('data-status')).toBe('done');
    const fullText = (await firstReply.locator('.markdown').textContent()) ?? '';
    expect(fullText).toContain('You said: "Hello there. Please answer in Markdown."');
    expect(await firstReply.locator('.markdown strong').textContent()).toBe('Markdown');
    expect([...seen].filter((n) => n > 0 && n < fullText.length).length).toBeGreaterThanOrEqual(2);
    await screenshot(page, '04-chat-reply');

    // Stop a reply midway: its partial text is kept, marked Stopped.
    await composer.fill('Tell me a long story');
    await composer.press('Enter');
    await page.locator('.msg-ai .live .markdown').waitFor();
    await screenshot(page, '05-streaming');
    await page.getByRole('button', { name: 'Stop' }).click();
    const stopped = page.locator('.msg-ai[data-status="stopped"]');
    await stopped.waitFor();
    await stopped.getByText('Stopped', { exact: true }).waitFor();
    const partial = (await stopped.locator('.markdown').textContent()) ?? '';
    expect(partial.length).toBeGreaterThan(0);
    expect(partial.length).toBeLessThan(fullText.length);

    // Regenerate: a new reply beside the stopped one.
    await page.getByRole('button', { name: 'Regenerate' }).click();
    await expect.poll(() => page.locator('.msg-ai').count()).toBe(3);
    await expect.poll(() => page.locator('.msg-ai').last().getAttribute('data-status')).toBe('done');
    await page.locator('.msg-ai.superseded').getByText('Earlier reply').waitFor();

    // Reload: the same history from the server.
    const before = await page.locator('.message-list > li').allTextContents();
    await page.reload();
    await page.locator('.msg-user', { hasText: 'Hello there' }).waitFor();
    await expect.poll(() => page.locator('.message-list > li').allTextContents()).toEqual(before);
    await screenshot(page, '06-chat-after-reload');

    // Rename from the sidebar.
    const chats = page.getByRole('navigation', { name: 'Your chats' });
    const firstTitle = (await page.locator('#chat-title').textContent()) ?? '';
    await chats.getByRole('button', { name: `Rename “${firstTitle}”` }).click();
    const rename = chats.getByLabel(`New title for “${firstTitle}”`);
    await rename.fill('Trip plans');
    await rename.press('Enter');
    await chats.getByRole('link', { name: /Trip plans/ }).waitFor();
    await expect.poll(() => page.locator('#chat-title').textContent()).toBe('Trip plans');

    // A second tab of the same browser is signed in too.
    const tab2 = await context.newPage();
    await tab2.goto(e2e.server.url);
    await tab2
      .getByRole('navigation', { name: 'Your chats' })
      .getByRole('link', { name: /Trip plans/ })
      .waitFor();

    // Delete a chat, with confirmation.
    await page.getByRole('button', { name: 'New chat' }).click();
    await page.getByLabel('Title (optional)').fill('Scratch');
    await page.getByRole('button', { name: 'Start chat' }).click();
    await chats.getByRole('link', { name: /Scratch/ }).waitFor();
    await chats.getByRole('button', { name: 'Delete “Scratch”' }).click();
    const dialog = page.getByRole('alertdialog', { name: 'Delete this chat?' });
    await dialog.waitFor();
    await screenshot(page, '07-delete-confirm');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await chats.getByRole('link', { name: /Scratch/ }).waitFor();
    await chats.getByRole('button', { name: 'Delete “Scratch”' }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Delete chat' }).click();
    await expect.poll(() => chats.getByRole('link', { name: /Scratch/ }).count()).toBe(0);
    await chats.getByRole('link', { name: /Trip plans/ }).waitFor();

    // Use up the AI messages (limit AI_LIMIT: three used above) and see it said.
    await chats.getByRole('link', { name: /Trip plans/ }).click();
    await composer.fill('One more');
    await composer.press('Enter');
    await expect.poll(() => page.locator('.msg-ai').count()).toBe(4);
    await expect.poll(() => page.locator('.msg-ai').last().getAttribute('data-status')).toBe('done');
    await page.getByText(`You have used all ${AI_LIMIT} of your AI messages.`).waitFor();
    expect(await composer.isDisabled()).toBe(true);
    await screenshot(page, '08-quota-exhausted');

    // Profile: display name, email with the code from the (logged) mail, both gauges.
    await page.getByRole('link', { name: /Profile/ }).click();
    await page.getByRole('heading', { name: 'Profile', level: 1 }).waitFor();
    await page.getByLabel('Display name').fill('Ada');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved.').waitFor();
    const email = `ada-${Date.now()}@example.com`;
    await page.getByLabel('Email', { exact: true }).fill(email);
    await page.getByRole('button', { name: 'Send code' }).click();
    await page.getByText(`We sent a 6-digit code to ${email}`).waitFor();
    await expect.poll(() => e2e.server.lastCodeFor(email)).toMatch(/^\d{6}$/);
    await page.getByLabel('Code from the mail').fill(e2e.server.lastCodeFor(email) ?? '');
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByText(`${email} is verified.`).waitFor();
    await page.getByText('Verified', { exact: true }).waitFor();
    expect(await page.getByRole('meter', { name: 'AI messages' }).getAttribute('aria-valuemax')).toBe(
      String(AI_LIMIT),
    );
    await page.getByRole('meter', { name: 'API calls' }).waitFor();
    // The agents this account owns against AGENTS_MAX_PER_USER (the server's default, 50).
    expect(await page.getByRole('meter', { name: 'Agents' }).getAttribute('aria-valuemax')).toBe('50');
    await screenshot(page, '09-profile');

    // Sign out: this tab and the other one.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in with your wallet' }).waitFor();
    await tab2.getByRole('heading', { name: 'Sign in with your wallet' }).waitFor();

    expect(problems).toEqual([]);
    await context.close();
  });

  it('asks to switch when the wallet is on a chain the server does not accept', async () => {
    const { context, page, wallet } = await withWallet({ chainId: 56 });
    await page.goto(e2e.server.url);
    await page.getByRole('button', { name: /Test Wallet/ }).click();
    await page.getByRole('heading', { name: 'Switch network' }).waitFor();
    await expect.poll(() => page.getByRole('alert').first().textContent()).toContain('chain id 56');
    await screenshot(page, '10-wrong-chain');
    await page.getByRole('button', { name: 'Ethereum' }).click();
    await page.getByRole('figure', { name: 'Message to sign' }).waitFor();
    expect(wallet.chainId).toBe(1);
    expect(await page.getByRole('figure', { name: 'Message to sign' }).textContent()).toContain(
      'Chain ID: 1',
    );
    await context.close();
  });

  it('lets a newcomer with no wallet extension in with the demo wallet, at phone width', async () => {
    const context = await e2e.browser.newContext({
      viewport: { width: 390, height: 844 },
      isMobile: true,
      hasTouch: true,
    });
    const page = await context.newPage();
    const problems = watchPage(page);
    await page.goto(e2e.server.url);
    await page.getByText('No wallet extension found').waitFor();
    await page.getByRole('button', { name: /Demo wallet/ }).click();
    await page.getByRole('figure', { name: 'Message to sign' }).waitFor();
    await screenshot(page, '11-phone-demo-wallet');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('heading', { name: /Welcome/ }).waitFor();
    const address = await page.evaluate(() => localStorage.getItem('chatplatform.demoWallet.privateKey'));
    expect(address).toMatch(/^0x[0-9a-f]{64}$/);
    await page.getByRole('button', { name: 'Open menu' }).click();
    await page.getByRole('navigation', { name: 'Your chats' }).waitFor({ state: 'visible' });
    await screenshot(page, '12-phone-menu');

    // An agent of one's own: create, edit, then start a chat with it.
    await page.getByRole('link', { name: 'Agents', exact: true }).click();
    await page.getByRole('heading', { name: 'Agents', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'New agent' }).click();
    await page.getByLabel('Name').fill('Haiku poet');
    await page.getByLabel('Instructions (system prompt)').fill('Answer in haiku.');
    await page.getByRole('button', { name: 'Create agent' }).click();
    await page.getByRole('button', { name: 'Edit Haiku poet' }).click();
    await page.getByLabel('Description').fill('Short poems about anything');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Short poems about anything').waitFor();
    await screenshot(page, '13-phone-agents');
    await page.getByRole('link', { name: 'New chat' }).click();
    const poet = page.getByRole('group', { name: 'Agent' }).getByRole('button', { name: /Haiku poet/ });
    await poet.click();
    expect(await poet.getAttribute('aria-pressed')).toBe('true');
    await page.getByRole('button', { name: 'Start chat' }).click();
    await page.waitForURL(/\/chats\/[0-9a-f-]{36}$/);
    const composer = page.getByLabel('Message', { exact: true });
    await composer.fill('Write about rain');
    await page.getByRole('button', { name: 'Send' }).click();
    await expect.poll(() => page.locator('.msg-ai').last().getAttribute('data-status')).toBe('done');
    await screenshot(page, '14-phone-chat');

    // A long history loads a page at a time as you scroll up.
    const call = callerFor(page, e2e.server.url);
    const long = await call('chat.create', { title: 'Long history' });
    for (let i = 1; i <= 45; i++) {
      await call('message.create', { chatId: long.id, content: `Note ${String(i).padStart(2, '0')}` });
    }
    await page.goto(`${e2e.server.url}/chats/${long.id}`);
    await page.locator('.msg-user', { hasText: 'Note 45' }).waitFor();
    expect(await page.locator('.msg-user', { hasText: 'Note 01' }).count()).toBe(0);
    await expect
      .poll(async () => {
        await page.locator('.messages').evaluate((el) => {
          el.scrollTop = 0;
        });
        return page.locator('.msg-user', { hasText: 'Note 01' }).count();
      })
      .toBe(1);
    expect(await page.locator('.msg-user').count()).toBe(45);

    // The session outlives its 30 s access token: the page refreshes it silently and keeps working.
    const refreshed = page.waitForResponse((r) => r.url().includes('/trpc/auth.refresh'), {
      timeout: 60_000,
    });
    expect((await refreshed).status()).toBe(200);
    await page.getByRole('button', { name: 'Open menu' }).click();
    await page.getByRole('link', { name: /Profile/ }).click();
    await page.getByRole('meter', { name: 'AI messages' }).waitFor();
    expect(await page.getByRole('heading', { name: 'Sign in with your wallet' }).count()).toBe(0);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('says "Chat not found" only for a chat that does not exist, and rides out a network error', async () => {
    const { context, page, problems } = await withWallet();
    await signIn(page);
    const byIdCalls: string[] = [];
    page.on('request', (r) => {
      if (new URL(r.url()).pathname.includes('chat.byId')) byIdCalls.push(r.url());
    });

    // A chat id that does not exist: asked once (NOT_FOUND is not retried), and said once.
    await page.goto(`${e2e.server.url}/chats/${crypto.randomUUID()}`);
    await page.getByRole('heading', { name: 'Chat not found' }).waitFor();
    expect(byIdCalls).toHaveLength(1);
    expect(await page.getByText('Cannot reach the server', { exact: false }).count()).toBe(0);
    await screenshot(page, '15-chat-not-found');

    // A chat with a message in it.
    await page.getByRole('button', { name: 'New chat' }).click();
    await page.getByLabel('Title (optional)').fill('Offline test');
    await page.getByRole('button', { name: 'Start chat' }).click();
    await page.waitForURL(/\/chats\/[0-9a-f-]{36}$/);
    const chatUrl = page.url();
    const composer = page.getByLabel('Message', { exact: true });
    await composer.fill('Keep this visible');
    await composer.press('Enter');
    await expect.poll(() => page.locator('.msg-ai').last().getAttribute('data-status')).toBe('done');

    // Away to Profile until the chat is stale (15 s), the server unreachable for it, then Back.
    await page.getByRole('link', { name: /Profile/ }).click();
    await page.getByRole('heading', { name: 'Profile', level: 1 }).waitFor();
    await page.waitForTimeout(16_000);
    const unreachable = (url: URL) => url.pathname.startsWith('/trpc/') && url.pathname.includes('chat.byId');
    await page.route(unreachable, (route) => route.abort('failed'));
    const calls = byIdCalls.length;
    await page.goBack();
    await page.waitForURL(chatUrl);
    const notice = page.locator('.chat-view').getByRole('alert');
    await expect.poll(() => notice.textContent()).toContain('Cannot reach the server');
    expect(byIdCalls.length).toBeGreaterThan(calls);
    await page.locator('.msg-user', { hasText: 'Keep this visible' }).waitFor();
    expect(await page.locator('#chat-title').textContent()).toBe('Offline test');
    expect(await page.getByRole('heading', { name: 'Chat not found' }).count()).toBe(0);
    await screenshot(page, '16-chat-offline-notice');

    // The server is back: Retry brings the chat up to date and the notice goes.
    await page.unroute(unreachable);
    await notice.getByRole('button', { name: 'Retry' }).click();
    await expect.poll(() => notice.count()).toBe(0);
    await page.locator('.msg-user', { hasText: 'Keep this visible' }).waitFor();

    // Nothing loaded yet (a reload) while unreachable: said so with Retry, and it recovers by itself.
    await page.route(unreachable, (route) => route.abort('failed'));
    await page.reload();
    // (The sidebar's list, asked in the same batch, says so too: only the chat's own screen is looked at.)
    const view = page.locator('.chat-view');
    await view.getByRole('heading', { name: 'Could not load this chat' }).waitFor();
    await view.getByText('Cannot reach the server', { exact: false }).waitFor();
    await view.getByRole('button', { name: 'Retry' }).waitFor();
    await screenshot(page, '17-chat-unreachable');
    await page.unroute(unreachable);
    await expect.poll(() => page.locator('#chat-title').textContent()).toBe('Offline test');
    await page.locator('.msg-user', { hasText: 'Keep this visible' }).waitFor();

    expect(realProblems(problems)).toEqual([]);
    await context.close();
  });

  it('keeps long unbroken names inside their cards and the sidebar', async () => {
    const { context, page, problems } = await withWallet();
    await signIn(page);
    const longName = `Agent${'x'.repeat(90)}`;
    const longDesc = `Describes${'y'.repeat(200)}`;
    await page.getByRole('link', { name: 'Agents', exact: true }).click();
    await page.getByRole('button', { name: 'New agent' }).click();
    await page.getByLabel('Name').fill(longName);
    await page.getByLabel('Description').fill(longDesc);
    await page.getByLabel('Instructions (system prompt)').fill('Be brief.');
    await page.getByRole('button', { name: 'Create agent' }).click();
    await page.locator('.agent-card', { hasText: longName }).waitFor();
    expect(await overflowing(page, '.agent-card', '.main')).toEqual([]);
    expect(await overflowing(page, '.agent-name, .agent-desc', '.agent-card')).toEqual([]);

    await page.getByRole('button', { name: 'New chat' }).click();
    await page.getByRole('button', { name: new RegExp(longName) }).waitFor();
    expect(await overflowing(page, '.agent-card', '.main')).toEqual([]);
    expect(await overflowing(page, '.agent-name, .agent-desc', '.agent-card')).toEqual([]);

    await page.getByRole('link', { name: /Profile/ }).click();
    await page.getByLabel('Display name').fill('D'.repeat(64));
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved.').waitFor();
    await page.locator('.nav-sub', { hasText: 'DDDD' }).waitFor();
    expect(await overflowing(page, '.nav-sub', '.sidebar')).toEqual([]);
    await screenshot(page, '18-long-names');

    expect(problems).toEqual([]);
    await context.close();
  });
});

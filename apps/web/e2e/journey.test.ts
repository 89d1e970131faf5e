import { newWallet } from '@chatplatform/testing/wallet';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { browserUnavailable, launchChromium, screenshot, watchPage } from './browser';
import { type E2EServer, startE2EServer } from './server';
import { installTestWallet, type TestWallet } from './wallet';

const skipReason = browserUnavailable();
if (skipReason) console.warn(`browser tests skipped: ${skipReason}`);

const AI_LIMIT = 4;

describe.skipIf(!!skipReason)('the web app in Chromium against the real server', () => {
  let server: E2EServer;
  let browser: Browser;

  beforeAll(async () => {
    [server, browser] = await Promise.all([
      startE2EServer({ LIMIT_AI_MESSAGES: String(AI_LIMIT) }),
      launchChromium(),
    ]);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  async function withWallet(
    opts: { chainId?: number; viewport?: { width: number; height: number } } = {},
  ): Promise<{ context: BrowserContext; page: Page; wallet: TestWallet; problems: string[] }> {
    const context = await browser.newContext({ viewport: opts.viewport ?? { width: 1280, height: 800 } });
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

  async function signIn(page: Page) {
    await page.goto(server.url);
    await page.getByRole('button', { name: /Test Wallet/ }).click();
    await expect
      .poll(() => page.getByLabel('Message to sign').textContent())
      .toContain('wants you to sign in');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('heading', { name: /Welcome/ }).waitFor();
  }

  it('signs in with an injected wallet, chats, renames and deletes, verifies an email, and signs out', async () => {
    const { context, page, wallet, problems } = await withWallet();

    // Sign in: connect, read the message, decline once, then sign.
    await page.goto(server.url);
    await page.getByRole('heading', { name: 'Sign in with your wallet' }).waitFor();
    await screenshot(page, '01-sign-in');
    await page.getByRole('button', { name: /Test Wallet/ }).click();
    const message = page.getByLabel('Message to sign');
    await message.waitFor();
    const text = (await message.textContent()) ?? '';
    expect(text).toContain(`${new URL(server.url).host} wants you to sign in with your Ethereum account:`);
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

    // A new chat, a message, the history after a reload.
    await page.getByRole('button', { name: 'New chat' }).click();
    await page.getByRole('heading', { name: 'New chat' }).waitFor();
    await screenshot(page, '03-new-chat');
    await page.getByRole('button', { name: 'Start chat' }).click();
    await page.waitForURL(/\/chats\/[0-9a-f-]{36}$/);
    const composer = page.getByLabel('Message', { exact: true });
    await composer.fill('Hello there. Please answer in **Markdown**.');
    await composer.press('Enter');
    await page.locator('.msg-user', { hasText: 'Hello there' }).waitFor();
    await page.reload();
    await page.locator('.msg-user', { hasText: 'Hello there' }).waitFor();
    await screenshot(page, '04-chat');

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
    await tab2.goto(server.url);
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
    await screenshot(page, '05-delete-confirm');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await chats.getByRole('link', { name: /Scratch/ }).waitFor();
    await chats.getByRole('button', { name: 'Delete “Scratch”' }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Delete chat' }).click();
    await expect.poll(() => chats.getByRole('link', { name: /Scratch/ }).count()).toBe(0);
    await chats.getByRole('link', { name: /Trip plans/ }).waitFor();

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
    await expect.poll(() => server.lastCodeFor(email)).toMatch(/^\d{6}$/);
    await page.getByLabel('Code from the mail').fill(server.lastCodeFor(email) ?? '');
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByText(`${email} is verified.`).waitFor();
    await page.getByText('Verified', { exact: true }).waitFor();
    expect(await page.getByRole('meter', { name: 'AI messages' }).getAttribute('aria-valuemax')).toBe(
      String(AI_LIMIT),
    );
    await page.getByRole('meter', { name: 'API calls' }).waitFor();
    await screenshot(page, '06-profile');

    // Sign out: this tab and the other one.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in with your wallet' }).waitFor();
    await tab2.getByRole('heading', { name: 'Sign in with your wallet' }).waitFor();

    expect(problems).toEqual([]);
    await context.close();
  });

  it('asks to switch when the wallet is on a chain the server does not accept', async () => {
    const { context, page, wallet } = await withWallet({ chainId: 56 });
    await page.goto(server.url);
    await page.getByRole('button', { name: /Test Wallet/ }).click();
    await page.getByRole('heading', { name: 'Switch network' }).waitFor();
    await expect.poll(() => page.getByRole('alert').first().textContent()).toContain('chain id 56');
    await screenshot(page, '07-wrong-chain');
    await page.getByRole('button', { name: 'Ethereum' }).click();
    await page.getByLabel('Message to sign').waitFor();
    expect(wallet.chainId).toBe(1);
    expect(await page.getByLabel('Message to sign').textContent()).toContain('Chain ID: 1');
    await context.close();
  });

  it('lets a newcomer with no wallet extension in with the demo wallet, at phone width', async () => {
    const context = await browser.newContext({
      viewport: { width: 390, height: 844 },
      isMobile: true,
      hasTouch: true,
    });
    const page = await context.newPage();
    const problems = watchPage(page);
    await page.goto(server.url);
    await page.getByText('No wallet extension found').waitFor();
    await page.getByRole('button', { name: /Demo wallet/ }).click();
    await page.getByLabel('Message to sign').waitFor();
    await screenshot(page, '08-phone-demo-wallet');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('heading', { name: /Welcome/ }).waitFor();
    const address = await page.evaluate(() => localStorage.getItem('chatplatform.demoWallet.privateKey'));
    expect(address).toMatch(/^0x[0-9a-f]{64}$/);
    await page.getByRole('button', { name: 'Open menu' }).click();
    await page.getByRole('navigation', { name: 'Your chats' }).waitFor({ state: 'visible' });
    await screenshot(page, '09-phone-menu');
    expect(problems).toEqual([]);
    await context.close();
  });
});

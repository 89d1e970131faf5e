import { newWallet } from '@chatplatform/testing/wallet';
import { describe, expect, it } from 'vitest';
import { browserUnavailable, watchPage } from './browser';
import {
  aMoment,
  callerFor,
  DESKTOP,
  focused,
  focusedId,
  focusInside,
  holdRequests,
  liveServerAndChromium,
} from './harness';
import { holdWalletPrompts, installTestWallet } from './wallet';

const skipReason = browserUnavailable();

describe.skipIf(!!skipReason)('focus while signing in, in Chromium', () => {
  const e2e = liveServerAndChromium({ LIMIT_AI_MESSAGES: '100', AI_DEMO_WORD_DELAY_MS: '60' });

  it('moves focus to the next step’s heading when a wallet connects, and back when another is wanted', async () => {
    const context = await e2e.browser.newContext(DESKTOP);
    await installTestWallet(context, newWallet());
    const page = await context.newPage();
    const problems = watchPage(page);
    await page.goto(e2e.server.url);
    const testWallet = page.getByRole('button', { name: /Test Wallet/ });

    // Connected from the keyboard: focus is on the heading of the step that replaced the wallets.
    await testWallet.focus();
    await page.keyboard.press('Enter');
    await page.getByRole('figure', { name: 'Message to sign' }).waitFor();
    await expect.poll(() => focused(page)).toBe('h1 "Sign the message"');
    // Tab goes on to the message's step, not back to the top of the page.
    await page.keyboard.press('Tab');
    expect(await focusInside(page, 'section[aria-labelledby="sign-h"]')).toBe(true);

    // Use a different wallet: back to the first step's heading, the wallets after it.
    await page.getByRole('button', { name: 'Use a different wallet' }).focus();
    await page.keyboard.press('Enter');
    await testWallet.waitFor();
    await expect.poll(() => focused(page)).toBe('h1 "Sign in with your wallet"');
    await page.keyboard.press('Tab');
    expect(await focused(page)).toMatch(/^button "Test Wallet/);

    // Connected again with a click, and signed in: the same.
    await testWallet.click();
    await expect.poll(() => focused(page)).toBe('h1 "Sign the message"');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('heading', { name: /Welcome/ }).waitFor();

    expect(problems).toEqual([]);
    await context.close();
  });

  it('keeps focus on the wallet and Sign in buttons while they work, and connects and signs once', async () => {
    const context = await e2e.browser.newContext(DESKTOP);
    const wallet = await installTestWallet(context, newWallet());
    const page = await context.newPage();
    const problems = watchPage(page);
    await page.goto(e2e.server.url);
    const testWallet = page.getByRole('button', { name: /Test Wallet/ });
    await testWallet.waitFor();
    // The wallet waits for the person to approve the connection (held here until looked at).
    const connecting = await holdWalletPrompts(page, 'eth_requestAccounts');
    await testWallet.focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => testWallet.getAttribute('aria-busy')).toBe('true');
    expect(await testWallet.getAttribute('aria-disabled')).toBe('true');
    expect(await focused(page)).toMatch(/^button "Test Wallet/);
    await page.keyboard.press('Enter');
    await aMoment(page);
    expect(await connecting.count()).toBe(1);
    await connecting.approve();
    await page.getByRole('figure', { name: 'Message to sign' }).waitFor();

    const held = await holdRequests(page, 'auth.authenticate');
    await page.getByRole('button', { name: 'Sign in', exact: true }).focus();
    await page.keyboard.press('Enter');
    const signingIn = page.getByRole('button', { name: 'Signing in…' });
    await signingIn.waitFor();
    expect(await signingIn.getAttribute('aria-busy')).toBe('true');
    expect(await focused(page)).toBe('button "Signing in…"');
    await page.keyboard.press('Enter');
    await aMoment(page);
    expect(held.seen).toHaveLength(1);
    expect(wallet.signatures).toBe(1);
    await held.release();
    await page.getByRole('heading', { name: /Welcome/ }).waitFor();

    expect(problems).toEqual([]);
    await context.close();
  });

  it('keeps focus on a network button while the wallet switches, switches once, then moves it to the next step’s heading', async () => {
    const context = await e2e.browser.newContext(DESKTOP);
    const wallet = await installTestWallet(context, newWallet(), { chainId: 56 });
    const page = await context.newPage();
    const problems = watchPage(page);
    await page.goto(e2e.server.url);
    await page.getByRole('button', { name: /Test Wallet/ }).click();
    await page.getByRole('heading', { name: 'Switch network' }).waitFor();
    const networks = page.getByRole('alert').filter({ hasText: 'Switch to one of these networks' });
    const ethereum = networks.getByRole('button').first();
    expect(await ethereum.textContent()).toBe('Ethereum');

    // Pressed from the keyboard, the wallet asks the person: the button says so and keeps focus, Enter or Space on
    // it asks nothing more, and the other networks wait too.
    const switching = await holdWalletPrompts(page, 'wallet_switchEthereumChain');
    await ethereum.focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => ethereum.getAttribute('aria-busy')).toBe('true');
    expect(await ethereum.getAttribute('aria-disabled')).toBe('true');
    expect(await focused(page)).toBe('button "Switching to Ethereum…"');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Space');
    expect(await networks.getByRole('button', { name: 'Base' }).getAttribute('aria-disabled')).toBe('true');
    await aMoment(page);
    expect(await switching.count()).toBe(1);

    // Declined in the wallet: the error is said, the button is back with focus on it, and can be pressed again.
    await switching.reject();
    await page.getByText('You declined the request in your wallet.').waitFor();
    await expect.poll(() => ethereum.getAttribute('aria-busy')).toBe(null);
    expect(await focused(page)).toBe('button "Ethereum"');
    await page.keyboard.press('Enter');
    await expect.poll(() => switching.count()).toBe(2);
    // Switched: the network buttons go, and focus moves to the heading of the step that follows, as after connecting.
    await switching.approve();
    await page.getByRole('figure', { name: 'Message to sign' }).waitFor();
    expect(wallet.chainId).toBe(1);
    await expect.poll(() => focused(page)).toBe('h1 "Sign the message"');

    expect(problems).toEqual([]);
    await context.close();
  });

  it('moves focus to the screen signing in opens: its main region, or a chat’s text box, not <body>', async () => {
    const context = await e2e.browser.newContext(DESKTOP);
    await installTestWallet(context, newWallet());
    const page = await context.newPage();
    const problems = watchPage(page);
    const signInByKeyboard = async () => {
      await page.getByRole('button', { name: /Test Wallet/ }).focus();
      await page.keyboard.press('Enter');
      await page.getByRole('figure', { name: 'Message to sign' }).waitFor();
      await page.getByRole('button', { name: 'Sign in', exact: true }).focus();
      await page.keyboard.press('Enter');
    };

    // On the home page: focus is on the main region (as after following a link in the menu), whose heading is
    // read first; Tab goes on into it.
    await page.goto(e2e.server.url);
    await signInByKeyboard();
    await page.getByRole('heading', { name: /Welcome/ }).waitFor();
    await expect.poll(() => focusedId(page)).toBe('main');
    await page.keyboard.press('Tab');
    expect(await focused(page)).toBe('a "Start a new chat"');

    // At a chat's address: the chat opens with focus in its text box, as it always does, and keeps it there.
    const chat = await callerFor(page, e2e.server.url)('chat.create', { title: 'After sign-in' });
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in with your wallet' }).waitFor();
    await page.goto(`${e2e.server.url}/chats/${chat.id}`);
    await signInByKeyboard();
    await expect.poll(() => page.locator('#chat-title').textContent()).toBe('After sign-in');
    await expect.poll(() => focused(page)).toBe('textarea "Message"');
    await aMoment(page);
    expect(await focused(page)).toBe('textarea "Message"');

    expect(problems).toEqual([]);
    await context.close();
  });
});

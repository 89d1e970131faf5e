import { newWallet } from '@chatplatform/testing/wallet';
import { describe, expect, it } from 'vitest';
import { browserUnavailable, watchPage } from './browser';
import { aMoment, DESKTOP, focused, focusInside, holdRequests, liveServerAndChromium } from './harness';
import { installTestWallet } from './wallet';

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
    await page.evaluate(() => {
      const w = window as unknown as {
        ethereum: { request(a: { method: string }): Promise<unknown> };
        connects: number;
        approve: () => void;
      };
      const { request } = w.ethereum;
      const approved = new Promise<void>((resolve) => {
        w.approve = resolve;
      });
      w.connects = 0;
      w.ethereum.request = async (args) => {
        if (args.method === 'eth_requestAccounts') {
          w.connects += 1;
          await approved;
        }
        return request.call(w.ethereum, args);
      };
    });
    await testWallet.focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => testWallet.getAttribute('aria-busy')).toBe('true');
    expect(await testWallet.getAttribute('aria-disabled')).toBe('true');
    expect(await focused(page)).toMatch(/^button "Test Wallet/);
    await page.keyboard.press('Enter');
    await aMoment(page);
    expect(await page.evaluate(() => (window as unknown as { connects: number }).connects)).toBe(1);
    await page.evaluate(() => (window as unknown as { approve: () => void }).approve());
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
});

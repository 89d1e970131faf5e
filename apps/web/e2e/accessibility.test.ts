import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserUnavailable, launchChromium, screenshot } from './browser';
import { focused, focusInside, PHONE, signedIn } from './harness';
import { type E2EServer, startE2EServer } from './server';

const skipReason = browserUnavailable();

/** The id of the focused element ('' for one without), or 'body'. */
const focusedId = (page: Page) =>
  page.evaluate(() =>
    document.activeElement === document.body ? 'body' : (document.activeElement?.id ?? ''),
  );

describe.skipIf(!!skipReason)('keyboard and focus in Chromium against the real server', () => {
  let server: E2EServer;
  let browser: Browser;

  beforeAll(async () => {
    [server, browser] = await Promise.all([
      startE2EServer({ LIMIT_AI_MESSAGES: '100', AI_DEMO_WORD_DELAY_MS: '60' }),
      launchChromium(),
    ]);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('opens the phone menu as a modal drawer: focus moves in and stays in, Escape closes it back to the toggle', async () => {
    const { context, page, problems, call } = await signedIn(browser, server, 'drawer', PHONE);
    await call('chat.create', { title: 'Drawer chat' });
    await page.reload();
    await page.getByRole('heading', { name: /Welcome/ }).waitFor();
    const toggle = page.getByRole('button', { name: 'Open menu' });
    const drawer = page.locator('#sidebar');

    // Opened by keyboard: focus moves to the drawer's first control, the page behind it is inert.
    await toggle.focus();
    await page.keyboard.press('Enter');
    await drawer.waitFor({ state: 'visible' });
    expect(await toggle.getAttribute('aria-expanded')).toBe('true');
    expect(await drawer.getAttribute('role')).toBe('dialog');
    expect(await drawer.getAttribute('aria-modal')).toBe('true');
    await expect.poll(() => focusInside(page, '#sidebar')).toBe(true);
    expect(await page.locator('#main').evaluate((el) => (el as HTMLElement).inert)).toBe(true);
    await page.getByRole('navigation', { name: 'Your chats' }).getByText('Drawer chat').waitFor();
    await screenshot(page, '19-phone-drawer-open');

    // Tab and Shift+Tab go round inside it, never to the page behind.
    const stops = await drawer.evaluate(
      (el) =>
        [...el.querySelectorAll('a[href], button:not([disabled])')].filter((e) => e.getClientRects().length)
          .length,
    );
    expect(stops).toBeGreaterThan(3);
    const first = await focused(page);
    for (let i = 0; i < stops; i++) {
      await page.keyboard.press('Tab');
      expect(await focusInside(page, '#sidebar')).toBe(true);
    }
    expect(await focused(page)).toBe(first);
    for (let i = 0; i < stops + 1; i++) {
      await page.keyboard.press('Shift+Tab');
      expect(await focusInside(page, '#sidebar')).toBe(true);
    }

    // Escape closes it; focus is back on the toggle and the page is usable again.
    await page.keyboard.press('Escape');
    await drawer.waitFor({ state: 'hidden' });
    expect(await focused(page)).toBe('button "Open menu"');
    expect(await toggle.getAttribute('aria-expanded')).toBe('false');
    expect(await page.locator('#main').evaluate((el) => (el as HTMLElement).inert)).toBe(false);

    // The drawer's own Close menu button, and a tap beside the drawer, close it the same way.
    await toggle.click();
    await drawer.getByRole('button', { name: 'Close menu' }).click();
    await drawer.waitFor({ state: 'hidden' });
    expect(await focused(page)).toBe('button "Open menu"');
    await toggle.click();
    await drawer.waitFor({ state: 'visible' });
    await page.mouse.click(375, 420);
    await drawer.waitFor({ state: 'hidden' });
    expect(await focused(page)).toBe('button "Open menu"');

    // Escape in a dialog opened from the drawer closes that dialog only.
    await toggle.click();
    await drawer.getByRole('button', { name: 'Delete “Drawer chat”' }).click();
    await page.getByRole('alertdialog', { name: 'Delete this chat?' }).waitFor();
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByRole('alertdialog').count()).toBe(0);
    expect(await drawer.isVisible()).toBe(true);
    expect(await focused(page)).toBe('button "Delete “Drawer chat”"');

    // Following a link closes it and puts focus on the new screen, not on the hidden link.
    await drawer.getByRole('link', { name: 'Agents', exact: true }).click();
    await page.getByRole('heading', { name: 'Agents', level: 1 }).waitFor();
    await drawer.waitFor({ state: 'hidden' });
    expect(await focusedId(page)).toBe('main');

    expect(problems).toEqual([]);
    await context.close();
  });
});

import { newWallet } from '@chatplatform/testing/wallet';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { browserUnavailable, screenshot, watchPage } from './browser';
import {
  DESKTOP,
  focused,
  focusInside,
  holdRequests,
  liveServerAndChromium,
  PHONE,
  type SignedIn,
  signedIn,
} from './harness';
import { installTestWallet } from './wallet';

const skipReason = browserUnavailable();

/** The id of the focused element ('' for one without), or 'body'. */
const focusedId = (page: Page) =>
  page.evaluate(() =>
    document.activeElement === document.body ? 'body' : (document.activeElement?.id ?? ''),
  );

/** Time for a second request to leave, had a press sent one (tRPC batches on the next tick). */
const aMoment = (page: Page) => page.waitForTimeout(300);

/** Console noise a deliberately failed request leaves (an aborted fetch), which is not a page problem. */
const realProblems = (problems: string[]) =>
  problems.filter((p) => !/Failed to load resource|net::ERR_FAILED/.test(p));

/**
 * Two pages of everything: 22 chats (the list shows 20, then the last 2), the newest, "Long history", with 31
 * messages (the view shows 30, then 1), opened.
 */
async function openTwoPages(page: Page, call: SignedIn['call'], url: string): Promise<void> {
  for (let i = 1; i <= 21; i++) await call('chat.create', { title: `Chat ${String(i).padStart(2, '0')}` });
  const long = await call('chat.create', { title: 'Long history' });
  for (let i = 1; i <= 31; i++)
    await call('message.create', { chatId: long.id, content: `Note ${String(i).padStart(2, '0')}` });
  await page.goto(`${url}/chats/${long.id}`);
  await page.locator('.msg-user', { hasText: 'Note 31' }).waitFor();
}

describe.skipIf(!!skipReason)('keyboard and focus in Chromium against the real server', () => {
  const e2e = liveServerAndChromium({ LIMIT_AI_MESSAGES: '100', AI_DEMO_WORD_DELAY_MS: '60' });

  it('opens the phone menu as a modal drawer: focus moves in and stays in, Escape closes it back to the toggle', async () => {
    const { context, page, problems, call } = await signedIn(e2e.browser, e2e.server, 'drawer', PHONE);
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

  it('moves focus to the renamed chat, the next chat or New chat, and back to the trigger of a closed dialog', async () => {
    const { context, page, problems, call } = await signedIn(
      e2e.browser,
      e2e.server,
      'chat-list-focus',
      DESKTOP,
    );
    for (const title of ['Alpha', 'Beta', 'Gamma']) await call('chat.create', { title });
    await page.reload();
    const chats = page.getByRole('navigation', { name: 'Your chats' });
    await chats.getByRole('link', { name: /Gamma/ }).waitFor();

    // Renamed with Enter: focus is on the chat's Rename button (the row moves to the top, focus with it).
    await chats.getByRole('button', { name: 'Rename “Beta”' }).click();
    await chats.getByLabel('New title for “Beta”').fill('Beta 2');
    await chats.getByLabel('New title for “Beta”').press('Enter');
    await chats.getByRole('link', { name: /Beta 2/ }).waitFor();
    await expect.poll(() => focused(page)).toBe('button "Rename “Beta 2”"');
    await expect.poll(() => chats.getByRole('listitem').first().textContent()).toContain('Beta 2');
    expect(await focused(page)).toBe('button "Rename “Beta 2”"');
    // Left with Escape, or with the title unchanged: the same.
    await chats.getByRole('button', { name: 'Rename “Beta 2”' }).click();
    await chats.getByLabel('New title for “Beta 2”').press('Escape');
    expect(await focused(page)).toBe('button "Rename “Beta 2”"');
    await chats.getByRole('button', { name: 'Rename “Beta 2”' }).click();
    await chats.getByLabel('New title for “Beta 2”').press('Enter');
    expect(await focused(page)).toBe('button "Rename “Beta 2”"');

    // A dialog closed by Cancel or Escape gives focus back to its trigger.
    const dialog = page.getByRole('alertdialog', { name: 'Delete this chat?' });
    await chats.getByRole('button', { name: 'Delete “Gamma”' }).click();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect(await focused(page)).toBe('button "Delete “Gamma”"');
    await chats.getByRole('button', { name: 'Delete “Gamma”' }).click();
    await dialog.waitFor();
    // Tab and Shift+Tab stay inside the dialog (Cancel and Delete), as in the drawer.
    expect(await focused(page)).toBe('button "Cancel"');
    await page.keyboard.press('Tab');
    expect(await focused(page)).toBe('button "Delete chat"');
    await page.keyboard.press('Tab');
    expect(await focused(page)).toBe('button "Cancel"');
    await page.keyboard.press('Shift+Tab');
    expect(await focused(page)).toBe('button "Delete chat"');
    await page.keyboard.press('Escape');
    expect(await focused(page)).toBe('button "Delete “Gamma”"');

    // Deleted (list: Beta 2, Gamma, Alpha): focus goes to the chat after it, then the one before, then New chat.
    const remove = async (title: string) => {
      await chats.getByRole('button', { name: `Delete “${title}”` }).click();
      await dialog.getByRole('button', { name: 'Delete chat' }).click();
      await expect.poll(() => chats.getByRole('link', { name: new RegExp(title) }).count()).toBe(0);
    };
    await remove('Gamma');
    expect(await focused(page)).toMatch(/^a "Alpha/);
    await remove('Alpha');
    expect(await focused(page)).toMatch(/^a "Beta 2/);
    await remove('Beta 2');
    expect(await focused(page)).toBe('button "New chat"');

    expect(problems).toEqual([]);
    await context.close();
  });

  it('keeps focus in the composer after sending, stopping and regenerating', async () => {
    const { context, page, problems, call } = await signedIn(
      e2e.browser,
      e2e.server,
      'composer-focus',
      DESKTOP,
    );
    const chat = await call('chat.create', { title: 'Focus chat' });
    await page.goto(`${e2e.server.url}/chats/${chat.id}`);
    const composer = page.getByLabel('Message', { exact: true });
    await composer.fill('Tell me a long story');
    await page.getByRole('button', { name: 'Send' }).click();
    await page.locator('.msg-ai .live .markdown').waitFor();
    expect(await focused(page)).toBe('textarea "Message"');

    await page.getByRole('button', { name: 'Stop' }).click();
    await page.locator('.msg-ai[data-status="stopped"]').waitFor();
    await expect.poll(() => focused(page)).toBe('textarea "Message"');

    await page.getByRole('button', { name: 'Regenerate' }).click();
    await expect.poll(() => page.locator('.msg-ai').count()).toBe(2);
    await expect.poll(() => focused(page)).toBe('textarea "Message"');
    await expect.poll(() => page.locator('.msg-ai').last().getAttribute('data-status')).toBe('done');
    expect(await focused(page)).toBe('textarea "Message"');

    expect(problems).toEqual([]);
    await context.close();
  });

  it('moves focus to New agent or the agent’s Edit button when its form closes or it is deleted', async () => {
    const { context, page, problems } = await signedIn(e2e.browser, e2e.server, 'agents-focus', DESKTOP);
    await page.getByRole('link', { name: 'Agents', exact: true }).click();
    const newAgent = page.getByRole('button', { name: 'New agent' });
    const create = async (name: string) => {
      await newAgent.click();
      await page.getByLabel('Name', { exact: true }).fill(name);
      await page.getByLabel('Instructions (system prompt)').fill('Be brief.');
      await page.getByRole('button', { name: 'Create agent' }).click();
      await page.getByRole('button', { name: `Edit ${name}` }).waitFor();
    };

    await create('Poet');
    expect(await focused(page)).toBe('button "New agent"');
    await newAgent.click();
    await page.getByRole('button', { name: 'Cancel' }).click();
    expect(await focused(page)).toBe('button "New agent"');

    await page.getByRole('button', { name: 'Edit Poet' }).click();
    await page.getByLabel('Description').fill('Rhymes');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Rhymes').waitFor();
    expect(await focused(page)).toBe('button "Edit Poet"');
    await page.getByRole('button', { name: 'Edit Poet' }).click();
    await page.getByRole('button', { name: 'Cancel' }).click();
    expect(await focused(page)).toBe('button "Edit Poet"');

    await create('Bard');
    const dialog = page.getByRole('alertdialog');
    await page.getByRole('button', { name: 'Delete Poet' }).click();
    await dialog.getByRole('button', { name: 'Delete agent' }).click();
    await expect.poll(() => page.getByRole('button', { name: 'Edit Poet' }).count()).toBe(0);
    expect(await focused(page)).toBe('button "Edit Bard"');
    await page.getByRole('button', { name: 'Delete Bard' }).click();
    await dialog.getByRole('button', { name: 'Delete agent' }).click();
    await expect.poll(() => page.getByRole('button', { name: 'Edit Bard' }).count()).toBe(0);
    expect(await focused(page)).toBe('button "New agent"');

    expect(problems).toEqual([]);
    await context.close();
  });

  it('keeps focus on Profile’s buttons while they work, then moves it to the next field to fill in', async () => {
    const { context, page, problems } = await signedIn(e2e.browser, e2e.server, 'profile-focus', DESKTOP);
    await page.getByRole('link', { name: /Profile/ }).click();
    await page.getByLabel('Display name').fill('Ada');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved.').waitFor();
    expect(await focused(page)).toBe('button "Save"');

    const email = `focus-${Date.now()}@example.com`;
    await page.getByLabel('Email', { exact: true }).fill(email);
    await page.getByRole('button', { name: 'Send code' }).click();
    await page.getByText(`We sent a 6-digit code to ${email}`).waitFor();
    expect(await focused(page)).toBe('input "Code from the mail"');
    await expect.poll(() => e2e.server.lastCodeFor(email)).toMatch(/^\d{6}$/);
    await page.keyboard.type(e2e.server.lastCodeFor(email) ?? '');
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByText(`${email} is verified.`).waitFor();
    expect(await focused(page)).toBe('input "New email"');

    expect(problems).toEqual([]);
    await context.close();
  });

  it('keeps focus on a busy button and acts once: Load earlier messages, Load older chats, Save, Sign out', async () => {
    const { context, page, problems, call } = await signedIn(
      e2e.browser,
      e2e.server,
      'busy-buttons',
      DESKTOP,
    );
    await openTwoPages(page, call, e2e.server.url);

    // Reached by keyboard, the button scrolls into view and starts loading: it says so and keeps focus, and
    // Enter on it while it loads asks nothing more.
    let held = await holdRequests(page, 'message.listByChat');
    await page.getByRole('button', { name: 'Load earlier messages' }).focus();
    const loadingMessages = page.getByRole('button', { name: 'Loading earlier messages…' });
    await loadingMessages.waitFor();
    expect(await loadingMessages.getAttribute('aria-busy')).toBe('true');
    expect(await loadingMessages.getAttribute('aria-disabled')).toBe('true');
    expect(await focused(page)).toBe('button "Loading earlier messages…"');
    await page.keyboard.press('Enter');
    await aMoment(page);
    expect(held.seen).toHaveLength(1);
    await held.release();
    await page.locator('.msg-user', { hasText: 'Note 01' }).waitFor();

    const chats = page.getByRole('navigation', { name: 'Your chats' });
    held = await holdRequests(page, 'chat.list');
    await chats.getByRole('button', { name: 'Load older chats' }).focus();
    const loadingChats = chats.getByRole('button', { name: 'Loading older chats…' });
    await loadingChats.waitFor();
    expect(await loadingChats.getAttribute('aria-busy')).toBe('true');
    expect(await focused(page)).toBe('button "Loading older chats…"');
    await page.keyboard.press('Enter');
    await aMoment(page);
    expect(held.seen).toHaveLength(1);
    await held.release();
    await chats.getByRole('link', { name: /Chat 01/ }).waitFor();

    // Save, pressed by keyboard: Saving… with focus on it; Enter on it or in the title field saves nothing more.
    await chats.getByRole('button', { name: 'Rename “Chat 21”' }).click();
    const title = chats.getByLabel('New title for “Chat 21”');
    await title.fill('Renamed');
    held = await holdRequests(page, 'chat.update');
    await chats.getByRole('button', { name: 'Save' }).focus();
    await page.keyboard.press('Enter');
    const saving = chats.getByRole('button', { name: 'Saving…' });
    await saving.waitFor();
    expect(await saving.getAttribute('aria-busy')).toBe('true');
    expect(await focused(page)).toBe('button "Saving…"');
    await page.keyboard.press('Enter');
    await title.press('Enter');
    await aMoment(page);
    expect(held.seen).toHaveLength(1);
    await held.release();
    await expect.poll(() => focused(page)).toBe('button "Rename “Renamed”"');

    held = await holdRequests(page, 'auth.logout');
    await page.getByRole('button', { name: 'Sign out' }).focus();
    await page.keyboard.press('Enter');
    const signingOut = page.getByRole('button', { name: 'Signing out…' });
    await signingOut.waitFor();
    expect(await signingOut.getAttribute('aria-busy')).toBe('true');
    expect(await focused(page)).toBe('button "Signing out…"');
    await page.keyboard.press('Enter');
    await aMoment(page);
    expect(held.seen).toHaveLength(1);
    await held.release();
    await page.getByRole('heading', { name: 'Sign in with your wallet' }).waitFor();

    expect(problems).toEqual([]);
    await context.close();
  });

  it('moves focus to the first chat or message the last Load older press brought in, not to <body>', async () => {
    const { context, page, problems, call } = await signedIn(
      e2e.browser,
      e2e.server,
      'load-more-gone',
      DESKTOP,
    );
    await openTwoPages(page, call, e2e.server.url);

    // Pressed from the keyboard, the last page comes in and the button goes: focus is on the oldest message,
    // where the button was, and in view.
    await page.getByRole('button', { name: 'Load earlier messages' }).focus();
    await page.keyboard.press('Enter');
    await page.locator('.msg-user', { hasText: 'Note 01' }).waitFor();
    await expect.poll(() => page.getByRole('button', { name: /earlier messages/ }).count()).toBe(0);
    await expect.poll(() => focused(page)).toBe('li "You said:Note 01"');
    expect(await page.locator('.msg-user', { hasText: 'Note 01' }).isVisible()).toBe(true);
    // Tab goes on from there.
    await page.keyboard.press('Tab');
    expect(await focusInside(page, '.chat-view')).toBe(true);

    const chats = page.getByRole('navigation', { name: 'Your chats' });
    await chats.getByRole('button', { name: 'Load older chats' }).focus();
    await page.keyboard.press('Enter');
    await chats.getByRole('link', { name: /Chat 01/ }).waitFor();
    await expect.poll(() => chats.getByRole('button', { name: /older chats/ }).count()).toBe(0);
    // The list is newest first: Chat 02 is the first of the last page.
    await expect.poll(() => focused(page)).toMatch(/^a "Chat 02/);

    // Loaded by scrolling (infinite scroll) with focus elsewhere: focus stays where it is.
    await page.reload();
    const composer = page.getByLabel('Message', { exact: true });
    await expect.poll(() => focused(page)).toBe('textarea "Message"');
    await chats.getByRole('button', { name: 'Load older chats' }).scrollIntoViewIfNeeded();
    await chats.getByRole('link', { name: /Chat 01/ }).waitFor();
    await page.locator('.messages').evaluate((el) => {
      el.scrollTop = 0;
    });
    await page.locator('.msg-user', { hasText: 'Note 01' }).waitFor();
    await expect.poll(() => page.getByRole('button', { name: /Load (older|earlier)/ }).count()).toBe(0);
    await aMoment(page);
    expect(await focused(page)).toBe('textarea "Message"');
    expect(await composer.isVisible()).toBe(true);

    expect(problems).toEqual([]);
    await context.close();
  });

  it('keeps focus on Retry while it retries, and retries once however often it is pressed', async () => {
    const { context, page, problems, call } = await signedIn(e2e.browser, e2e.server, 'retry-busy', DESKTOP);
    await call('chat.create', { title: 'Retry chat' });
    await page.reload();
    const chats = page.getByRole('navigation', { name: 'Your chats' });
    await chats.getByRole('link', { name: /Retry chat/ }).click();
    await expect.poll(() => page.locator('#chat-title').textContent()).toBe('Retry chat');

    // Renamed while the chat cannot be read: asking for it again fails, what was loaded stays, with Retry.
    const unreachable = (url: URL) => url.pathname.startsWith('/trpc/') && url.pathname.includes('chat.byId');
    await page.route(unreachable, (route) => route.abort('failed'));
    await chats.getByRole('button', { name: 'Rename “Retry chat”' }).click();
    await chats.getByLabel('New title for “Retry chat”').fill('Retried chat');
    await chats.getByLabel('New title for “Retry chat”').press('Enter');
    const notice = page.locator('.load-notice');
    await notice.getByRole('button', { name: 'Retry' }).waitFor();
    await page.unroute(unreachable);

    const held = await holdRequests(page, 'chat.byId');
    await notice.getByRole('button', { name: 'Retry' }).focus();
    await page.keyboard.press('Enter');
    const retrying = notice.getByRole('button', { name: 'Retrying…' });
    await retrying.waitFor();
    expect(await retrying.getAttribute('aria-busy')).toBe('true');
    expect(await focused(page)).toBe('button "Retrying…"');
    // The retry's own request may reach the route a moment after the button says so: count from it.
    await expect.poll(() => held.seen.length).toBeGreaterThan(0);
    const asked = held.seen.length;
    await page.keyboard.press('Enter');
    await page.keyboard.press('Space');
    await aMoment(page);
    expect(held.seen).toHaveLength(asked);
    await held.release();
    await expect.poll(() => notice.count()).toBe(0);
    await expect.poll(() => page.locator('#chat-title').textContent()).toBe('Retried chat');
    // Retry went with the notice: focus is in the chat's text box, not on <body>.
    await expect.poll(() => focused(page)).toBe('textarea "Message"');

    expect(realProblems(problems)).toEqual([]);
    await context.close();
  });

  it('keeps “Could not load this chat” up with Retry busy until the retry is answered, then focuses the composer', async () => {
    const { context, page, problems, call } = await signedIn(
      e2e.browser,
      e2e.server,
      'retry-screen',
      DESKTOP,
    );
    const chat = await call('chat.create', { title: 'Flaky chat' });
    const unreachable = (url: URL) => url.pathname.startsWith('/trpc/') && url.pathname.includes('chat.byId');
    const view = page.locator('.chat-view');
    const heading = view.getByRole('heading', { name: 'Could not load this chat' });
    const retryButton = view.getByRole('button', { name: /^Retry/ });
    /** From now on, notes whether anything replaces the error screen (the empty-state box goes). */
    const watchScreen = () =>
      page.evaluate(() => {
        const w = window as unknown as { swapped: boolean };
        w.swapped = false;
        new MutationObserver(() => {
          if (!document.querySelector('.chat-view .empty-state')) w.swapped = true;
        }).observe(document.body, { childList: true, subtree: true });
      });
    const swapped = () => page.evaluate(() => (window as unknown as { swapped: boolean }).swapped);

    await page.route(unreachable, (route) => route.abort('failed'));
    await page.goto(`${e2e.server.url}/chats/${chat.id}`);
    await heading.waitFor();
    await watchScreen();

    // Retry, failing again (the request and its two automatic retries): the screen stays, Retry busy, focus on it.
    await retryButton.focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => retryButton.getAttribute('aria-busy')).toBe('true');
    expect(await focused(page)).toBe('button "Retrying…"');
    await expect.poll(() => retryButton.getAttribute('aria-busy')).toBe(null);
    expect(await focused(page)).toBe('button "Retry"');
    expect(await swapped()).toBe(false);

    // The server answers again, slowly: the screen stays with Retry busy until the chat is in, then focus moves
    // to the text box in the loaded chat.
    await page.unroute(unreachable);
    const held = await holdRequests(page, 'chat.byId');
    await page.keyboard.press('Enter');
    await expect.poll(() => retryButton.getAttribute('aria-busy')).toBe('true');
    await aMoment(page);
    expect(await heading.isVisible()).toBe(true);
    expect(await focused(page)).toBe('button "Retrying…"');
    expect(await swapped()).toBe(false);
    await held.release();
    await expect.poll(() => page.locator('#chat-title').textContent()).toBe('Flaky chat');
    await expect.poll(() => focused(page)).toBe('textarea "Message"');

    // The 10 s poll does the same: failing, the screen and focus on Retry stay; answered while focus is in the
    // sidebar, focus stays there.
    await page.route(unreachable, (route) => route.abort('failed'));
    await page.reload();
    await heading.waitFor();
    await watchScreen();
    await retryButton.focus();
    await expect.poll(() => retryButton.getAttribute('aria-busy')).toBe('true');
    await expect.poll(() => retryButton.getAttribute('aria-busy')).toBe(null);
    expect(await focused(page)).toBe('button "Retry"');
    expect(await swapped()).toBe(false);
    await page.unroute(unreachable);
    // (Not a chat in the list: asked in the same batch as the chat, the list may have failed too.)
    await page.getByRole('button', { name: 'New chat' }).focus();
    await expect.poll(() => page.locator('#chat-title').textContent()).toBe('Flaky chat');
    await aMoment(page);
    expect(await focused(page)).toBe('button "New chat"');

    expect(realProblems(problems)).toEqual([]);
    await context.close();
  });

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

describe.skipIf(!!skipReason)(
  'focus when the AI messages run out, in Chromium against the real server',
  () => {
    const e2e = liveServerAndChromium({ LIMIT_AI_MESSAGES: '1', AI_DEMO_WORD_DELAY_MS: '60' });

    it('moves focus from the composer it locks to the notice that says why, not to <body>', async () => {
      const { context, page, problems, call } = await signedIn(
        e2e.browser,
        e2e.server,
        'quota-focus',
        DESKTOP,
      );
      const chat = await call('chat.create', { title: 'Last message' });
      await page.goto(`${e2e.server.url}/chats/${chat.id}`);
      const composer = page.getByLabel('Message', { exact: true });
      await page.getByText('1 of 1 AI messages left').waitFor();
      await expect.poll(() => focused(page)).toBe('textarea "Message"');

      // The last AI message is sent from the keyboard: the composer locks, focus goes to the notice.
      await page.keyboard.type('My last question');
      await page.keyboard.press('Enter');
      const notice = page.getByRole('status').filter({ hasText: 'You have used all 1 of your AI messages.' });
      await notice.waitFor();
      await expect.poll(() => composer.isDisabled()).toBe(true);
      await expect.poll(() => focused(page)).toBe('div "You have used all 1 of your AI messages."');
      const describedBy = (await notice.getAttribute('aria-describedby')) ?? '';
      expect(await page.locator(`[id="${describedBy}"]`).textContent()).toContain('You can still read');
      // Focusable from script only, not a Tab stop; Tab goes on to its link.
      expect(await notice.getAttribute('tabindex')).toBe('-1');
      await page.keyboard.press('Tab');
      expect(await focused(page)).toBe('a "See your usage"');

      // The reply ends meanwhile; focus is left where the person put it.
      await notice.focus();
      await expect.poll(() => page.locator('.msg-ai').last().getAttribute('data-status')).toBe('done');
      expect(await focused(page)).toBe('div "You have used all 1 of your AI messages."');

      // Opened again (the composer takes focus, then locks once the limits are in): the same.
      await page.reload();
      await notice.waitFor();
      await expect.poll(() => focused(page)).toBe('div "You have used all 1 of your AI messages."');

      expect(problems).toEqual([]);
      await context.close();
    });
  },
);

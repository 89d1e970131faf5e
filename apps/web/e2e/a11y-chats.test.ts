import { describe, expect, it } from 'vitest';
import { browserUnavailable } from './browser';
import {
  aMoment,
  DESKTOP,
  focused,
  focusInside,
  holdRequests,
  liveServerAndChromium,
  openTwoPages,
  realProblems,
  signedIn,
} from './harness';

const skipReason = browserUnavailable();

/** The page's requests that ask for a chat (chat.byId, alone or in a batch): routed to fail, the chat is unreachable. */
const unreachable = (url: URL) => url.pathname.startsWith('/trpc/') && url.pathname.includes('chat.byId');

describe.skipIf(!!skipReason)('focus on the chat list, Load older and Retry, in Chromium', () => {
  const e2e = liveServerAndChromium({ LIMIT_AI_MESSAGES: '100', AI_DEMO_WORD_DELAY_MS: '60' });

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

  it('moves focus to Retry, or Start a new chat, when a chat cannot be shown as it opens, not to <body>', async () => {
    const { context, page, problems, call } = await signedIn(e2e.browser, e2e.server, 'first-load', DESKTOP);
    await call('chat.create', { title: 'Unreachable chat' });
    await page.reload();
    const link = page
      .getByRole('navigation', { name: 'Your chats' })
      .getByRole('link', { name: /Unreachable/ });
    await link.waitFor();
    const heading = page.getByRole('heading', { name: 'Could not load this chat' });
    await page.route(unreachable, (route) => route.abort('failed'));

    // Opened from the chat list by keyboard: the text box takes focus as the chat opens, then gives way to the
    // error screen (after the request and its two automatic retries). Focus goes to its Retry, inside the alert
    // that says why, not to <body>.
    await link.focus();
    await page.keyboard.press('Enter');
    await heading.waitFor();
    await expect.poll(() => focused(page)).toMatch(/^button "Retry/);
    expect(await focusInside(page, '.chat-view [role="alert"]')).toBe(true);

    // Opened from its address: the same.
    await page.reload();
    await heading.waitFor();
    await expect.poll(() => focused(page)).toMatch(/^button "Retry/);

    // Focus the person moved elsewhere while the chat was loading (once the text box has taken it) stays there.
    await page.reload();
    await expect.poll(() => focused(page)).toBe('textarea "Message"');
    await page.getByRole('button', { name: 'New chat' }).focus();
    await heading.waitFor();
    await aMoment(page);
    expect(await focused(page)).toBe('button "New chat"');

    // A chat that does not exist: focus goes to its screen's Start a new chat.
    await page.unroute(unreachable);
    await page.goto(`${e2e.server.url}/chats/00000000-0000-4000-8000-000000000000`);
    await page.getByRole('heading', { name: 'Chat not found' }).waitFor();
    await expect.poll(() => focused(page)).toBe('a "Start a new chat"');

    expect(realProblems(problems)).toEqual([]);
    await context.close();
  });
});

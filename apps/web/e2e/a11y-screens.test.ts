import { describe, expect, it } from 'vitest';
import { browserUnavailable, screenshot } from './browser';
import { DESKTOP, focused, focusedId, focusInside, liveServerAndChromium, PHONE, signedIn } from './harness';

const skipReason = browserUnavailable();

describe.skipIf(!!skipReason)('focus in the phone menu, Agents and Profile, in Chromium', () => {
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
});

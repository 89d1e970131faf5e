import { describe, expect, it } from 'vitest';
import { browserUnavailable } from './browser';
import { DESKTOP, focused, liveServerAndChromium, signedIn } from './harness';

const skipReason = browserUnavailable();

describe.skipIf(!!skipReason)('focus in the composer, in Chromium', () => {
  const e2e = liveServerAndChromium({ LIMIT_AI_MESSAGES: '100', AI_DEMO_WORD_DELAY_MS: '60' });

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
});

describe.skipIf(!!skipReason)('focus when the AI messages run out, in Chromium', () => {
  const e2e = liveServerAndChromium({ LIMIT_AI_MESSAGES: '1', AI_DEMO_WORD_DELAY_MS: '60' });

  it('moves focus from the composer it locks to the notice that says why, not to <body>', async () => {
    const { context, page, problems, call } = await signedIn(e2e.browser, e2e.server, 'quota-focus', DESKTOP);
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
});

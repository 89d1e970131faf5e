import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserUnavailable, launchChromium, screenshot } from './browser';
import { signedIn } from './harness';
import { type E2EServer, startE2EServer } from './server';

const skipReason = browserUnavailable();

describe.skipIf(!!skipReason)('replies rendered from Markdown in Chromium against the real server', () => {
  let server: E2EServer;
  let browser: Browser;

  beforeAll(async () => {
    [server, browser] = await Promise.all([
      startE2EServer({ LIMIT_AI_MESSAGES: '100', AI_DEMO_WORD_DELAY_MS: '20' }),
      launchChromium(),
    ]);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('shows an external image as a link to it, and makes only http(s) and mailto links clickable', async () => {
    const { context, page, problems, call } = await signedIn(browser, server, 'reply-links');
    const chat = await call('chat.create', { title: 'Links' });
    await page.goto(`${server.url}/chats/${chat.id}`);
    // The demo model quotes the message (up to 120 characters) in its reply, Markdown and all.
    const text =
      '![a cat](https://example.com/cat.png) [bad](javascript:alert(1)) [good](https://example.com/x) [mail](mailto:a@b.io)';
    expect(text.length).toBeLessThanOrEqual(120);
    const composer = page.getByLabel('Message', { exact: true });
    await composer.fill(text);
    await composer.press('Enter');
    const reply = page.locator('.msg-ai').last();
    await expect.poll(() => reply.getAttribute('data-status')).toBe('done');
    const body = reply.locator('.markdown');

    // No image is loaded (the CSP would block it and show a broken icon): a link to it, named by its alt text.
    expect(await body.locator('img').count()).toBe(0);
    const image = body.getByRole('link', { name: 'a cat' });
    expect(await image.getAttribute('href')).toBe('https://example.com/cat.png');
    expect(await image.getAttribute('target')).toBe('_blank');
    expect(await image.getAttribute('rel')).toBe('noopener noreferrer');

    // A javascript: link is its text only; web and mail links are links, web ones opening safely in a new tab.
    await body.getByText('bad', { exact: true }).waitFor();
    expect(await body.getByRole('link', { name: 'bad' }).count()).toBe(0);
    expect(await body.locator('a:not([href^="https:"]):not([href^="mailto:"])').count()).toBe(0);
    const good = body.getByRole('link', { name: 'good' });
    expect(await good.getAttribute('href')).toBe('https://example.com/x');
    expect(await good.getAttribute('target')).toBe('_blank');
    expect(await good.getAttribute('rel')).toBe('noopener noreferrer');
    expect(await body.getByRole('link', { name: 'mail' }).getAttribute('href')).toBe('mailto:a@b.io');
    await screenshot(page, '20-reply-links');

    // Nothing was refused by the CSP, nothing was fetched from another origin.
    expect(problems).toEqual([]);
    await context.close();
  });
});

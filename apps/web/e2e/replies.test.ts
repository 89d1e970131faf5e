import { describe, expect, it } from 'vitest';
import { browserUnavailable, screenshot } from './browser';
import { focused, liveServerAndChromium, signedIn, streamCutter } from './harness';

const skipReason = browserUnavailable();

describe.skipIf(!!skipReason)('replies rendered from Markdown in Chromium against the real server', () => {
  // A reply of about 60 words takes some 9 s: time enough to stop it midway on a busy machine.
  const e2e = liveServerAndChromium({ LIMIT_AI_MESSAGES: '100', AI_DEMO_WORD_DELAY_MS: '150' });

  it('shows an external image as a link to it, and makes only http(s) and mailto links clickable', async () => {
    const { context, page, problems, call } = await signedIn(e2e.browser, e2e.server, 'reply-links');
    const chat = await call('chat.create', { title: 'Links' });
    await page.goto(`${e2e.server.url}/chats/${chat.id}`);
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

  it('says under a reply that it was cut off when it reached its agent’s output limit, live and after a reload', async () => {
    const { context, page, problems, call } = await signedIn(e2e.browser, e2e.server, 'cut-off');
    const agent = await call('agent.create', { name: 'Terse', model: 'local/demo', maxOutputTokens: 5 });
    const chat = await call('chat.create', { title: 'Short answers', agentId: agent.id });
    await page.goto(`${e2e.server.url}/chats/${chat.id}`);
    const composer = page.getByLabel('Message', { exact: true });
    await composer.fill('Tell me everything');
    await composer.press('Enter');
    const reply = page.locator('.msg-ai').last();
    await expect.poll(() => reply.getAttribute('data-status')).toBe('done');
    // Five words, a word a token, then the note.
    expect(await reply.locator('.markdown').textContent()).toBe('You said: "Tell me everything".');
    const note = reply.getByText('Cut off: the reply reached this agent’s output limit (max output tokens).');
    await note.waitFor();
    await page.reload();
    await page
      .locator('.msg-ai')
      .last()
      .getByText(/^Cut off:/)
      .waitFor();
    // A reply the model ends itself has none: the same question to the default agent.
    const other = await call('chat.create', { title: 'Long answers' });
    await page.goto(`${e2e.server.url}/chats/${other.id}`);
    await composer.fill('Tell me everything');
    await composer.press('Enter');
    await expect.poll(() => page.locator('.msg-ai').last().getAttribute('data-status')).toBe('done');
    expect(await page.getByText(/^Cut off:/).count()).toBe(0);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('shows Stopping… (busy, not pressable) until the reply ends, and Stop again with the reason when it fails', async () => {
    const { context, page, problems, call } = await signedIn(e2e.browser, e2e.server, 'stop-pending');
    const chat = await call('chat.create', { title: 'Long story' });
    await page.goto(`${e2e.server.url}/chats/${chat.id}`);
    const composer = page.getByLabel('Message', { exact: true });
    const isStop = (url: URL) => url.pathname.startsWith('/trpc/') && url.pathname.includes('message.stop');
    const stops: string[] = [];
    page.on('request', (r) => {
      if (isStop(new URL(r.url()))) stops.push(r.url());
    });

    // The stop fails (the server cannot be reached): the reason is said and Stop can be pressed again.
    await composer.fill('Tell me a long story');
    await composer.press('Enter');
    await page.locator('.msg-ai .live .markdown').waitFor();
    await page.route(isStop, (route) => route.abort('failed'));
    const stop = page.getByRole('button', { name: 'Stop', exact: true });
    await stop.click();
    await expect
      .poll(() => page.locator('.chat-footer').getByRole('alert').textContent())
      .toContain('Cannot reach the server');
    await stop.waitFor();
    expect(await stop.getAttribute('aria-busy')).toBeNull();
    expect(await stop.isDisabled()).toBe(false);
    await page.unroute(isStop);

    // The stop on its way (held here until looked at): Stopping…, busy, disabled, a second press sends nothing.
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    await page.route(isStop, async (route) => {
      await held;
      await route.continue();
    });
    const before = stops.length;
    await stop.click();
    const stopping = page.getByRole('button', { name: 'Stopping…' });
    await stopping.waitFor();
    expect(await stopping.getAttribute('aria-busy')).toBe('true');
    expect(await stopping.isDisabled()).toBe(true);
    await screenshot(page, '21-stopping');
    await stopping.click({ force: true });
    expect(stops.length).toBe(before + 1);
    expect(await page.locator('.chat-footer').getByRole('alert').count()).toBe(0);
    release();

    // Still Stopping… until the stream closes; then the reply is Stopped, Send is back, focus in the composer.
    const reply = page.locator('.msg-ai').last();
    await expect.poll(() => reply.getAttribute('data-status')).toBe('stopped');
    await page.getByRole('button', { name: 'Send' }).waitFor();
    expect(await stop.count()).toBe(0);
    expect(await stopping.count()).toBe(0);
    await expect.poll(() => focused(page)).toBe('textarea "Message"');
    expect(stops.length).toBe(before + 1);

    // The aborted request is the only console noise.
    expect(problems.filter((p) => !/Failed to load resource|net::ERR_FAILED/.test(p))).toEqual([]);
    await context.close();
  });

  it('shows the reply stopped once the stop is accepted, even when its stream was cut and never says so', async () => {
    const { context, page, problems, call } = await signedIn(e2e.browser, e2e.server, 'stop-stream-cut');
    const chat = await call('chat.create', { title: 'Cut stream' });
    await page.goto(`${e2e.server.url}/chats/${chat.id}`);
    const streams = await streamCutter(page);
    const composer = page.getByLabel('Message', { exact: true });
    await composer.fill('Tell me a long story');
    await composer.press('Enter');
    const reply = page.locator('.msg-ai').last();
    await reply.locator('.live .markdown').waitFor();

    // The stream's connection drops and stays down; the stop still reaches the server and is accepted.
    await streams.cut();
    await page.getByRole('button', { name: 'Stop', exact: true }).click();
    await page.getByRole('button', { name: 'Stopping…' }).waitFor();

    // No closing event will come: the page reads the stored reply and shows how it ended, with its text.
    await expect.poll(() => reply.getAttribute('data-status')).toBe('stopped');
    await reply.getByText('Stopped', { exact: true }).waitFor();
    const kept = (await reply.locator('.markdown').textContent()) ?? '';
    expect(kept.length).toBeGreaterThan(0);
    // Said to a screen reader as a reply's end is.
    expect((await page.locator('.chat-view > .sr-only[aria-live="polite"]').textContent())?.trim()).toBe(
      kept.trim(),
    );
    await page.getByRole('button', { name: 'Send' }).waitFor();
    expect(await page.getByRole('button', { name: 'Stopping…' }).count()).toBe(0);
    await expect.poll(() => focused(page)).toBe('textarea "Message"');
    expect(await page.locator('.chat-footer').getByRole('alert').count()).toBe(0);
    await screenshot(page, '22-stopped-stream-cut');

    // What a reload shows from the server: the same.
    const shown = await reply.textContent();
    await page.reload();
    await expect.poll(() => page.locator('.msg-ai').last().textContent()).toBe(shown);

    // The refused reconnections are the only console noise.
    expect(
      problems.filter((p) => !/Failed to load resource|net::ERR_FAILED|Failed to fetch/.test(p)),
    ).toEqual([]);
    await context.close();
  });
});

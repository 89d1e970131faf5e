import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Connector } from 'wagmi';
import { BusyButton } from './BusyButton';
import { Composer } from './Composer';
import { ConfirmDialog } from './ConfirmDialog';
import { Gauge } from './Gauge';
import { Markdown, safeHref } from './Markdown';
import { pickWallets } from './SignIn';

afterEach(cleanup);

describe('Gauge', () => {
  it('announces used, limit and what is left as a meter, and turns to a warning at 80%', () => {
    render(<Gauge label="AI messages" used={4} limit={5} />);
    const meter = screen.getByRole('meter', { name: 'AI messages' });
    expect(meter.getAttribute('aria-valuenow')).toBe('4');
    expect(meter.getAttribute('aria-valuemax')).toBe('5');
    expect(meter.getAttribute('aria-valuetext')).toBe('4 of 5 used, 1 left');
    expect(meter.closest('.gauge')?.className).toContain('gauge-high');
  });

  it('says when everything is used and never overflows the bar', () => {
    render(<Gauge label="API calls" used={12} limit={10} />);
    expect(screen.getByText('All 10 used')).toBeTruthy();
    const meter = screen.getByRole('meter', { name: 'API calls' });
    expect(meter.getAttribute('aria-valuenow')).toBe('10');
    expect((meter.firstElementChild as HTMLElement).style.width).toBe('100.0%');
  });
});

describe('BusyButton', () => {
  it('acts on a press when not busy, and carries no busy state', () => {
    const onClick = vi.fn();
    render(
      <BusyButton busy={false} busyLabel="Saving…" onClick={onClick}>
        Save
      </BusyButton>,
    );
    const button = screen.getByRole('button', { name: 'Save' }) as HTMLButtonElement;
    expect(button.type).toBe('button');
    expect(button.getAttribute('aria-busy')).toBeNull();
    expect(button.getAttribute('aria-disabled')).toBeNull();
    fireEvent.click(button);
    expect(onClick).toHaveBeenCalledOnce();
  });

  it('while busy says so, stays enabled and focused, and ignores presses', () => {
    const onClick = vi.fn();
    const { rerender } = render(
      <BusyButton busy={false} busyLabel="Saving…" onClick={onClick}>
        Save
      </BusyButton>,
    );
    const button = screen.getByRole('button', { name: 'Save' }) as HTMLButtonElement;
    button.focus();
    rerender(
      <BusyButton busy busyLabel="Saving…" onClick={onClick}>
        Save
      </BusyButton>,
    );
    expect(screen.getByRole('button', { name: 'Saving…' })).toBe(button);
    expect(button.disabled).toBe(false);
    expect(button.getAttribute('aria-busy')).toBe('true');
    expect(button.getAttribute('aria-disabled')).toBe('true');
    expect(document.activeElement).toBe(button);
    fireEvent.click(button);
    fireEvent.click(button);
    expect(onClick).not.toHaveBeenCalled();
  });

  it('keeps its own label while busy when given no busy label', () => {
    render(<BusyButton busy>Verify</BusyButton>);
    expect(screen.getByRole('button', { name: 'Verify' }).getAttribute('aria-busy')).toBe('true');
  });

  it('as a submit button, submits its form only when not busy', () => {
    const onSubmit = vi.fn((e: { preventDefault(): void }) => e.preventDefault());
    const form = (busy: boolean) => (
      <form onSubmit={onSubmit}>
        <BusyButton type="submit" busy={busy}>
          Save
        </BusyButton>
      </form>
    );
    const { rerender } = render(form(true));
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(onSubmit).not.toHaveBeenCalled();
    rerender(form(false));
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(onSubmit).toHaveBeenCalledOnce();
  });
});

describe('Composer', () => {
  it('sends the trimmed text on Enter and clears it once accepted', async () => {
    const onSend = vi.fn(async () => true);
    render(<Composer onSend={onSend} streaming={false} />);
    const box = screen.getByLabelText('Message') as HTMLTextAreaElement;
    fireEvent.change(box, { target: { value: '  hello  ' } });
    fireEvent.keyDown(box, { key: 'Enter' });
    await vi.waitFor(() => expect(onSend).toHaveBeenCalledWith('hello'));
    await vi.waitFor(() => expect(box.value).toBe(''));
  });

  it('keeps the text when the send was refused', async () => {
    const onSend = vi.fn(async () => false);
    render(<Composer onSend={onSend} streaming={false} />);
    const box = screen.getByLabelText('Message') as HTMLTextAreaElement;
    fireEvent.change(box, { target: { value: 'keep me' } });
    fireEvent.click(screen.getByRole('button', { name: 'Send' }));
    await vi.waitFor(() => expect(onSend).toHaveBeenCalled());
    expect(box.value).toBe('keep me');
  });

  it('starts a new line on Shift+Enter and never sends empty text', () => {
    const onSend = vi.fn(async () => true);
    render(<Composer onSend={onSend} streaming={false} />);
    const box = screen.getByLabelText('Message');
    fireEvent.change(box, { target: { value: 'line one' } });
    fireEvent.keyDown(box, { key: 'Enter', shiftKey: true });
    fireEvent.change(box, { target: { value: '   ' } });
    fireEvent.keyDown(box, { key: 'Enter' });
    expect(onSend).not.toHaveBeenCalled();
    expect((screen.getByRole('button', { name: 'Send' }) as HTMLButtonElement).disabled).toBe(true);
  });

  it('offers Stop instead of Send while a reply streams', () => {
    const onStop = vi.fn();
    render(<Composer onSend={async () => true} onStop={onStop} streaming />);
    expect(screen.queryByRole('button', { name: 'Send' })).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Stop' }));
    expect(onStop).toHaveBeenCalledOnce();
  });

  it('says Stopping… and refuses a second press while the stop is on its way, and is Stop again if it fails', async () => {
    let settle: (ok: boolean) => void = () => {};
    const onStop = vi.fn(
      () =>
        new Promise<boolean>((resolve) => {
          settle = resolve;
        }),
    );
    render(<Composer onSend={async () => true} onStop={onStop} streaming />);
    fireEvent.click(screen.getByRole('button', { name: 'Stop' }));
    const busy = await screen.findByRole('button', { name: 'Stopping…' });
    expect(busy.getAttribute('aria-busy')).toBe('true');
    expect(busy.getAttribute('aria-disabled')).toBe('true');
    fireEvent.click(busy);
    expect(onStop).toHaveBeenCalledOnce();
    settle(false);
    const again = await screen.findByRole('button', { name: 'Stop' });
    expect(again.getAttribute('aria-busy')).toBeNull();
    expect(again.getAttribute('aria-disabled')).toBeNull();
  });

  it('stays Stopping… after the stop is accepted until the reply ends', async () => {
    const onStop = vi.fn(async () => true);
    const { rerender } = render(<Composer onSend={async () => true} onStop={onStop} streaming />);
    fireEvent.click(screen.getByRole('button', { name: 'Stop' }));
    await vi.waitFor(() => expect(onStop).toHaveBeenCalled());
    await new Promise((r) => setTimeout(r, 10));
    expect(screen.getByRole('button', { name: 'Stopping…' })).toBeTruthy();
    rerender(<Composer onSend={async () => true} onStop={onStop} streaming={false} />);
    expect(screen.getByRole('button', { name: 'Send' })).toBeTruthy();
    rerender(<Composer onSend={async () => true} onStop={onStop} streaming />);
    expect(screen.getByRole('button', { name: 'Stop' }).getAttribute('aria-busy')).toBeNull();
  });

  it('refuses text over the length limit and says so', () => {
    render(<Composer onSend={async () => true} streaming={false} maxLength={5} />);
    fireEvent.change(screen.getByLabelText('Message'), { target: { value: 'too long' } });
    expect(screen.getByText('8 / 5 characters: too long')).toBeTruthy();
    expect((screen.getByRole('button', { name: 'Send' }) as HTMLButtonElement).disabled).toBe(true);
  });
});

describe('ConfirmDialog', () => {
  it('starts on Cancel, cancels on Escape, and confirms only on the confirm button', () => {
    const onConfirm = vi.fn();
    const onCancel = vi.fn();
    render(
      <ConfirmDialog
        title="Delete this chat?"
        confirmLabel="Delete chat"
        danger
        onConfirm={onConfirm}
        onCancel={onCancel}
      >
        <p>Gone for good.</p>
      </ConfirmDialog>,
    );
    const dialog = screen.getByRole('alertdialog', { name: 'Delete this chat?' });
    expect(dialog.getAttribute('aria-modal')).toBe('true');
    expect(document.activeElement?.textContent).toBe('Cancel');
    fireEvent.keyDown(document, { key: 'Escape' });
    expect(onCancel).toHaveBeenCalledOnce();
    expect(onConfirm).not.toHaveBeenCalled();
    fireEvent.click(screen.getByRole('button', { name: 'Delete chat' }));
    expect(onConfirm).toHaveBeenCalledOnce();
  });
});

describe('Markdown', () => {
  it('renders fenced code as a code block with its language and a copy button', () => {
    const { container } = render(
      <Markdown text={'Here:\n\n```ts\nconst a = 1;\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |'} />,
    );
    expect(container.querySelector('.code-block pre code')?.textContent).toBe('const a = 1;\n');
    expect(screen.getByText('ts')).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Copy' })).toBeTruthy();
    expect(container.querySelector('table td')?.textContent).toBe('1');
  });

  it('shows raw HTML as text, never as markup', () => {
    const { container } = render(<Markdown text={'<img src=x onerror="alert(1)"> hi'} />);
    expect(container.querySelector('img')).toBeNull();
  });

  it('shows an external image as a link to it named by its alt text, never as an image', () => {
    const { container } = render(<Markdown text={'See ![a red cat](https://example.com/cat.png "Cat")'} />);
    expect(container.querySelector('img')).toBeNull();
    const link = screen.getByRole('link', { name: 'a red cat' });
    expect(link.getAttribute('href')).toBe('https://example.com/cat.png');
    expect(link.getAttribute('target')).toBe('_blank');
    expect(link.getAttribute('rel')).toBe('noopener noreferrer');
  });

  it('shows an image that is not http(s) as its alt text only', () => {
    const { container } = render(
      <Markdown text={'![inline dot](data:image/png;base64,iVBORw0KGgo=) ![local](/logo.png)'} />,
    );
    expect(container.querySelector('img')).toBeNull();
    expect(container.querySelector('a')).toBeNull();
    expect(container.textContent).toContain('inline dot');
    expect(container.textContent).toContain('local');
  });

  it('makes only http(s) and mailto links clickable: web links open in a new tab without an opener', () => {
    const { container } = render(
      <Markdown
        text={
          '[web](https://example.com/a) [mail](mailto:ada@example.com) [bad](javascript:alert(1)) [page](/profile)'
        }
      />,
    );
    expect([...container.querySelectorAll('a')].map((a) => a.textContent)).toEqual(['web', 'mail']);
    const web = screen.getByRole('link', { name: 'web' });
    expect(web.getAttribute('target')).toBe('_blank');
    expect(web.getAttribute('rel')).toBe('noopener noreferrer');
    const mail = screen.getByRole('link', { name: 'mail' });
    expect(mail.getAttribute('href')).toBe('mailto:ada@example.com');
    expect(mail.getAttribute('target')).toBeNull();
    expect(container.textContent).toContain('bad');
    expect(container.textContent).toContain('page');
  });
});

describe('safeHref', () => {
  it('keeps absolute http, https and mailto addresses, normalised', () => {
    expect(safeHref('https://example.com/a?b=1#c')).toBe('https://example.com/a?b=1#c');
    expect(safeHref('HTTP://Example.com')).toBe('http://example.com/');
    expect(safeHref('mailto:ada@example.com')).toBe('mailto:ada@example.com');
  });

  it('refuses script, data and other schemes however they are spelled', () => {
    for (const url of [
      'javascript:alert(1)',
      'JavaScript:alert(1)',
      ' javascript:alert(1)',
      'java\tscript:alert(1)',
      'data:text/html,<script>alert(1)</script>',
      'vbscript:msgbox(1)',
      'file:///etc/passwd',
      'ftp://example.com/x',
    ]) {
      expect(safeHref(url), url).toBeNull();
    }
  });

  it('refuses relative, protocol-relative, empty and malformed addresses', () => {
    for (const url of [
      '/profile',
      '#top',
      '//evil.example/x',
      'example.com',
      '',
      null,
      undefined,
      'http://',
    ]) {
      expect(safeHref(url), String(url)).toBeNull();
    }
  });
});

describe('pickWallets', () => {
  const c = (id: string, type: string) => ({ id, type, name: id, uid: id }) as unknown as Connector;

  it('offers each announced wallet and hides the generic one then', () => {
    const { wallets, demo } = pickWallets(
      [c('injected', 'injected'), c('io.metamask', 'injected'), c('demo-wallet', 'demo')],
      true,
    );
    expect(wallets.map((w) => w.id)).toEqual(['io.metamask']);
    expect(demo?.id).toBe('demo-wallet');
  });

  it('offers the generic browser wallet only when window.ethereum exists', () => {
    expect(pickWallets([c('injected', 'injected')], true).wallets.map((w) => w.id)).toEqual(['injected']);
    expect(pickWallets([c('injected', 'injected')], false).wallets).toEqual([]);
  });
});

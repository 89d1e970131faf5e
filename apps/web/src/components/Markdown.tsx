import { type ComponentProps, memo, useState } from 'react';
import ReactMarkdown from 'react-markdown';
import remarkGfm from 'remark-gfm';

function CodeBlock(props: ComponentProps<'pre'>) {
  const [copied, setCopied] = useState(false);
  const child = props.children as { props?: { className?: string; children?: unknown } } | undefined;
  const lang = /language-([\w+-]+)/.exec(child?.props?.className ?? '')?.[1];
  const text = String(child?.props?.children ?? '').replace(/\n$/, '');
  return (
    <div className="code-block">
      <div className="code-head">
        <span>{lang ?? 'code'}</span>
        <button
          type="button"
          className="code-copy"
          onClick={() => {
            void navigator.clipboard?.writeText(text).then(() => {
              setCopied(true);
              setTimeout(() => setCopied(false), 1500);
            });
          }}
        >
          {copied ? 'Copied' : 'Copy'}
        </button>
      </div>
      <pre>{props.children}</pre>
    </div>
  );
}

const LINK_PROTOCOLS = new Set(['http:', 'https:', 'mailto:']);

/**
 * The address a link in a reply may open: an absolute http(s) or mailto URL, normalised (so what was checked is
 * what is used); null for anything else: javascript:, data:, other schemes, relative or malformed addresses.
 */
export function safeHref(url: string | null | undefined): string | null {
  if (!url) return null;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  return LINK_PROTOCOLS.has(parsed.protocol) ? parsed.href : null;
}

/** A link in a reply: clickable only to http(s) and mailto; web pages open in a new tab without an opener. */
function ReplyLink({ href, title, children }: ComponentProps<'a'>) {
  const safe = safeHref(href);
  if (!safe) return <span className="md-link-text">{children}</span>;
  const web = !safe.startsWith('mailto:');
  return (
    <a href={safe} title={title} rel="noopener noreferrer" {...(web ? { target: '_blank' } : {})}>
      {children}
    </a>
  );
}

/**
 * An image in a reply is never loaded (the CSP allows no other origin, and a reply should not make the browser
 * fetch what a model wrote): an http(s) one becomes a link to it named by its alt text, any other is its alt text.
 */
function ReplyImage({ src, alt }: ComponentProps<'img'>) {
  const safe = typeof src === 'string' ? safeHref(src) : null;
  const label = alt?.trim() || null;
  if (!safe || safe.startsWith('mailto:'))
    return label ? <span className="md-image-alt">{label}</span> : null;
  return (
    <a
      className="md-image-link"
      href={safe}
      target="_blank"
      rel="noopener noreferrer"
      title={`Image: ${safe}`}
    >
      <svg viewBox="0 0 20 20" aria-hidden="true" className="md-image-icon">
        <rect x="3" y="4" width="14" height="12" rx="2" />
        <path d="m3 14 4-4 3 3 2-2 5 5" />
      </svg>
      {label ?? safe}
    </a>
  );
}

/**
 * Markdown as the agents write it (GitHub flavour: tables, task lists, fenced code). No raw HTML; links only to
 * http(s) and mailto; images shown as links (ReplyImage).
 */
export const Markdown = memo(function Markdown({ text }: { text: string }) {
  return (
    <div className="markdown">
      <ReactMarkdown
        remarkPlugins={[remarkGfm]}
        components={{
          pre: CodeBlock,
          a: ({ node: _node, ...p }) => <ReplyLink {...p} />,
          img: ({ node: _node, ...p }) => <ReplyImage {...p} />,
        }}
      >
        {text}
      </ReactMarkdown>
    </div>
  );
});

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

/** Markdown as the agents write it (GitHub flavour: tables, task lists, fenced code). No raw HTML. */
export const Markdown = memo(function Markdown({ text }: { text: string }) {
  return (
    <div className="markdown">
      <ReactMarkdown
        remarkPlugins={[remarkGfm]}
        components={{
          pre: CodeBlock,
          a: ({ node: _node, ...p }) => <a {...p} target="_blank" rel="noopener noreferrer" />,
        }}
      >
        {text}
      </ReactMarkdown>
    </div>
  );
});

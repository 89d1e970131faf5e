import type { RouterOutputs } from '@chatplatform/api';
import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, type RefObject, useEffect, useRef, useState } from 'react';
import { describeError } from '../errors';
import { nextAfterRemoval, useFocusAfterRender, useFocusWhenGone } from '../focus';
import { pagedQuery } from '../pages';
import { Link, useRouter } from '../router';
import { useTRPC, useTRPCClient } from '../trpc';
import { BusyButton } from './BusyButton';
import { ConfirmDialog } from './ConfirmDialog';

type Chat = RouterOutputs['chat']['list']['items'][number];

/** Calls `onVisible` when the element scrolls into view (infinite scroll); a button does the same by keyboard. */
export function useOnVisible<T extends Element>(onVisible: () => void, enabled: boolean) {
  const ref = useRef<T>(null);
  const cb = useRef(onVisible);
  cb.current = onVisible;
  useEffect(() => {
    const el = ref.current;
    if (!el || !enabled || typeof IntersectionObserver === 'undefined') return;
    const io = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) cb.current();
    });
    io.observe(el);
    return () => io.disconnect();
  }, [enabled]);
  return ref;
}

export function relativeTime(iso: string, now = Date.now()): string {
  const s = Math.round((now - new Date(iso).getTime()) / 1000);
  if (s < 60) return 'just now';
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  if (s < 7 * 86_400) return `${Math.floor(s / 86_400)} d ago`;
  return new Date(iso).toLocaleDateString();
}

function ChatRow({ chat, active, onDelete }: { chat: Chat; active: boolean; onDelete: (c: Chat) => void }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [editing, setEditing] = useState(false);
  const [title, setTitle] = useState(chat.title);
  const [error, setError] = useState<string | null>(null);
  const renameButton = useRef<HTMLButtonElement>(null);
  const focusAfterRender = useFocusAfterRender();
  // Leaving the title field (saved, unchanged or Escape) puts focus back on this chat's Rename button.
  const stopEditing = () => {
    setEditing(false);
    focusAfterRender(() => renameButton.current);
  };
  const rename = useMutation(
    trpc.chat.update.mutationOptions({
      onSuccess: () => {
        stopEditing();
        void qc.invalidateQueries({ queryKey: trpc.chat.list.pathKey() });
        void qc.invalidateQueries({ queryKey: trpc.chat.byId.queryKey({ id: chat.id }) });
      },
      onError: (err) => setError(describeError(err)),
    }),
  );
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (rename.isPending) return;
    const t = title.trim();
    if (!t || t === chat.title) return stopEditing();
    rename.mutate({ id: chat.id, title: t });
  };
  if (editing) {
    return (
      <li className="chat-row editing">
        <form onSubmit={submit} className="rename-form">
          <label className="sr-only" htmlFor={`rename-${chat.id}`}>
            New title for “{chat.title}”
          </label>
          <input
            id={`rename-${chat.id}`}
            className="input input-small"
            value={title}
            maxLength={200}
            // biome-ignore lint/a11y/noAutofocus: the user just asked to rename this chat
            autoFocus
            onChange={(e) => setTitle(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Escape') {
                setTitle(chat.title);
                stopEditing();
              }
            }}
          />
          <BusyButton
            type="submit"
            className="btn btn-small btn-primary"
            busy={rename.isPending}
            busyLabel="Saving…"
          >
            Save
          </BusyButton>
        </form>
        {error && (
          <p className="field-error" role="alert">
            {error}
          </p>
        )}
      </li>
    );
  }
  return (
    <li className={active ? 'chat-row active' : 'chat-row'}>
      <Link to={`/chats/${chat.id}`} className="chat-link" aria-current={active ? 'page' : undefined}>
        <span className="chat-title">{chat.title}</span>
        <span className="chat-meta">
          {chat.messageCount} {chat.messageCount === 1 ? 'message' : 'messages'} ·{' '}
          {relativeTime(chat.updatedAt)}
        </span>
      </Link>
      <span className="row-actions">
        <button
          ref={renameButton}
          type="button"
          className="icon-btn"
          aria-label={`Rename “${chat.title}”`}
          title="Rename"
          onClick={() => {
            setTitle(chat.title);
            setError(null);
            setEditing(true);
          }}
        >
          <svg viewBox="0 0 20 20" aria-hidden="true">
            <path d="M13.6 3.6a2 2 0 0 1 2.8 2.8l-8.7 8.7-3.6.8.8-3.6z" />
          </svg>
        </button>
        <button
          type="button"
          className="icon-btn"
          aria-label={`Delete “${chat.title}”`}
          title="Delete"
          onClick={() => onDelete(chat)}
        >
          <svg viewBox="0 0 20 20" aria-hidden="true">
            <path d="M4 6h12M8 6V4h4v2m-6 0 1 10h6l1-10" />
          </svg>
        </button>
      </span>
    </li>
  );
}

/**
 * The person's chats, newest first. `newChat` is the "New chat" control beside the list: focus goes there when
 * the last chat is deleted (otherwise to the chat after the deleted one).
 */
export function ChatList({
  activeId,
  newChat,
}: {
  activeId?: string;
  newChat?: RefObject<HTMLElement | null>;
}) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const { navigate } = useRouter();
  const [toDelete, setToDelete] = useState<Chat | null>(null);
  const [deleteError, setDeleteError] = useState<string | null>(null);
  const client = useTRPCClient();
  const navRef = useRef<HTMLElement>(null);
  const focusAfterRender = useFocusAfterRender();
  const chats = useInfiniteQuery(
    pagedQuery(trpc.chat.list.pathKey(), (cursor) =>
      client.chat.list.query({ limit: 20, ...(cursor ? { cursor } : {}) }),
    ),
  );
  const items = chats.data?.pages.flatMap((p) => p.items) ?? [];
  const remove = useMutation(
    trpc.chat.delete.mutationOptions({
      onSuccess: ({ id }) => {
        const next = nextAfterRemoval(
          items.map((c) => c.id),
          id,
        );
        setToDelete(null);
        void qc.invalidateQueries({ queryKey: trpc.chat.list.pathKey() });
        if (id === activeId) navigate('/', { replace: true });
        // The dialog's trigger goes with the row: focus the next chat instead (still listed until the refetch).
        focusAfterRender(
          () =>
            (next ? navRef.current?.querySelector<HTMLElement>(`a[href="/chats/${next}"]`) : null) ??
            newChat?.current,
        );
      },
      onError: (err) => setDeleteError(describeError(err)),
    }),
  );
  // Load older chats goes once the last page is in: focus on it goes to the first chat that page brought (where
  // the button was, so Tab and reading go on from there), else to the last chat, as when a chat is deleted.
  const loadMoreButton = useFocusWhenGone<HTMLButtonElement>(() => {
    const first = chats.data?.pages.at(-1)?.items[0];
    const nav = navRef.current;
    return (
      (first ? nav?.querySelector<HTMLElement>(`a[href="/chats/${first.id}"]`) : null) ??
      [...(nav?.querySelectorAll<HTMLElement>('a.chat-link') ?? [])].at(-1) ??
      newChat?.current
    );
  });
  const more = useOnVisible<HTMLLIElement>(() => {
    if (chats.hasNextPage && !chats.isFetchingNextPage) void chats.fetchNextPage();
  }, chats.hasNextPage);

  return (
    <nav ref={navRef} className="chat-list" aria-label="Your chats">
      {chats.isPending && <p className="muted pad">Loading chats…</p>}
      {chats.isError && (
        <p className="alert alert-error" role="alert">
          {describeError(chats.error)}
        </p>
      )}
      {chats.isSuccess && items.length === 0 && <p className="muted pad">No chats yet. Start one above.</p>}
      <ul>
        {items.map((c) => (
          <ChatRow
            key={c.id}
            chat={c}
            active={c.id === activeId}
            onDelete={(chat) => {
              setDeleteError(null);
              setToDelete(chat);
            }}
          />
        ))}
        {chats.hasNextPage && (
          <li ref={more} className="load-more">
            <BusyButton
              ref={loadMoreButton}
              className="btn btn-ghost btn-small"
              busy={chats.isFetchingNextPage}
              busyLabel="Loading older chats…"
              onClick={() => chats.fetchNextPage()}
            >
              Load older chats
            </BusyButton>
          </li>
        )}
      </ul>
      {toDelete && (
        <ConfirmDialog
          title="Delete this chat?"
          confirmLabel={remove.isPending ? 'Deleting…' : 'Delete chat'}
          danger
          busy={remove.isPending}
          onCancel={() => setToDelete(null)}
          onConfirm={() => remove.mutate({ id: toDelete.id })}
        >
          <p>
            “{toDelete.title}” and its {toDelete.messageCount}{' '}
            {toDelete.messageCount === 1 ? 'message' : 'messages'} will be deleted for good. Messages already
            used still count towards your limit.
          </p>
          {deleteError && (
            <p className="alert alert-error" role="alert">
              {deleteError}
            </p>
          )}
        </ConfirmDialog>
      )}
    </nav>
  );
}

import type { RouterOutputs } from '@chatplatform/api';
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { describeError, isNotFound } from '../errors';
import { focusLost, tabbable, useFocusWhenGone } from '../focus';
import { pagedQuery } from '../pages';
import { Link } from '../router';
import { pollWhileUnreachable, useTRPC, useTRPCClient } from '../trpc';
import { useChatActions } from '../useChatActions';
import { BusyButton } from './BusyButton';
import { useOnVisible } from './ChatList';
import { Composer } from './Composer';
import { MessageItem, messageDomId } from './MessageItem';
import { QuotaBanner } from './QuotaBanner';

export type Message = RouterOutputs['message']['listByChat']['items'][number];

export function ChatView({ chatId }: { chatId: string }) {
  const trpc = useTRPC();
  const chat = useQuery({
    ...trpc.chat.byId.queryOptions({ id: chatId }),
    refetchInterval: pollWhileUnreachable,
  });
  const limits = useQuery(trpc.user.limits.queryOptions());
  const client = useTRPCClient();
  const history = useInfiniteQuery({
    ...pagedQuery(
      [...trpc.message.listByChat.pathKey(), chatId],
      (cursor) =>
        client.message.listByChat.query({
          chatId,
          limit: 30,
          direction: 'older',
          ...(cursor ? { cursor } : {}),
        }),
      // An empty `older` page keeps the caller's place, so the end is `hasMore: false`, not a null cursor.
      (last) => (last.hasMore ? last.nextCursor : null),
    ),
    refetchInterval: pollWhileUnreachable,
  });
  const actions = useChatActions(chatId);
  const scroller = useRef<HTMLDivElement>(null);
  const composer = useRef<HTMLTextAreaElement>(null);
  const stickToBottom = useRef(true);
  const heightBeforeOlder = useRef<number | null>(null);
  const [announce, setAnnounce] = useState('');

  // Pages come newest first, each page oldest first.
  const messages: Message[] = [...(history.data?.pages ?? [])].reverse().flatMap((p) => p.items);
  const lastAi = [...messages].reverse().find((m) => m.role === 'AI');
  const streamingMsg = messages.find((m) => m.status === 'streaming');
  const supersededParents = new Map<string, string>();
  for (const m of messages) if (m.role === 'AI' && m.parentId) supersededParents.set(m.parentId, m.id);

  // Asked again (Retry, the 10 s poll), a query with nothing loaded drops its error and is pending until the
  // answer: the error it last failed with is kept here, so "Could not load this chat" stays up, with Retry busy,
  // until the chat loads or fails again, instead of giving way to an empty chat view (taking Retry, and focus,
  // with it) and coming back. `recovered`: the chat loaded after that screen.
  const [chatLoadError, setChatLoadError] = useState<unknown>(null);
  const [recovered, setRecovered] = useState(false);
  if (!chat.data) {
    if (chat.error && chat.error !== chatLoadError) setChatLoadError(chat.error);
  } else if (chatLoadError !== null) {
    setChatLoadError(null);
    setRecovered(true);
  }
  const view = useRef<HTMLElement>(null);

  const quotaOut = actions.quotaExceeded || limits.data?.aiMessages.remaining === 0;
  const quotaNotice = useRef<HTMLDivElement>(null);
  const quotaShown = quotaOut && !!limits.data;

  // The last AI message used (or the limits come in saying so) locks the composer, and a disabled text box
  // drops focus to <body>. Focus goes to the notice that says why instead: focused, it is read out, and Tab
  // goes on to its link. (Not a read-only text box kept focusable: typing into it would do nothing, with
  // nothing said.) Focus the person put elsewhere stays there.
  useEffect(() => {
    if (quotaShown && focusLost(composer.current)) quotaNotice.current?.focus();
  }, [quotaShown]);

  // Load earlier messages goes once the oldest page is in: focus on it goes to the first message that page brought,
  // the oldest, just after where the button was, so reading goes on down through the older messages into the
  // ones already read (else to the message list).
  const messageList = useRef<HTMLOListElement>(null);
  const loadEarlierButton = useFocusWhenGone<HTMLButtonElement>(() => {
    const first = history.data?.pages.at(-1)?.items[0];
    return (first ? document.getElementById(messageDomId(first.id)) : null) ?? messageList.current;
  });
  // A Retry that worked goes with its screen or notice: focus on it goes into the loaded chat, to the text box
  // (where opening a chat puts it; the region it is in is named by the chat's title), else to the notice that
  // says why it is locked, else to the screen's first control (a chat that turned out not to exist). For the
  // error screen, focus that was nowhere moves too, as when a chat opens; focus elsewhere (the sidebar, during
  // the poll) stays.
  const focusInChat = () =>
    (composer.current && !composer.current.disabled ? composer.current : null) ??
    quotaNotice.current ??
    (view.current ? tabbable(view.current)[0] : null);
  const screenRetry = useFocusWhenGone<HTMLButtonElement>(focusInChat, { orFromBody: true });
  const noticeRetry = useFocusWhenGone<HTMLButtonElement>(focusInChat);

  const notFound = isNotFound(chat.error) || isNotFound(history.error);
  // The chat could not be loaded, and is pending again only while it is asked again.
  const chatError = chat.data ? null : (chat.error ?? chatLoadError);
  // A chat that cannot be shown as it opens (it could not be loaded, or does not exist) gives way to a screen that
  // says so, taking the text box, which took focus as the chat opened, with it: focus goes to the screen's first
  // control (Retry, or Start a new chat), as when a Retry finds the chat gone, instead of <body>. Focus the person
  // put elsewhere while the chat was loading stays there.
  const screen = notFound ? 'not-found' : chatError !== null ? 'error' : null;
  useEffect(() => {
    if (screen && view.current && focusLost()) tabbable(view.current)[0]?.focus();
  }, [screen]);

  const older = useOnVisible<HTMLDivElement>(() => {
    if (history.hasNextPage && !history.isFetchingNextPage) {
      heightBeforeOlder.current = scroller.current?.scrollHeight ?? null;
      void history.fetchNextPage();
    }
  }, !!history.hasNextPage);

  // Keep the view where it was when older messages are put above it; follow the bottom otherwise.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    if (heightBeforeOlder.current !== null && !history.isFetchingNextPage) {
      el.scrollTop += el.scrollHeight - heightBeforeOlder.current;
      heightBeforeOlder.current = null;
    } else if (stickToBottom.current) {
      el.scrollTop = el.scrollHeight;
    }
  });

  useEffect(() => {
    stickToBottom.current = true;
  }, [chatId]);

  const onScroll = () => {
    const el = scroller.current;
    if (!el) return;
    stickToBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 80;
  };

  // Only the server's NOT_FOUND means the chat is gone; a network or server error keeps what was loaded.
  if (notFound) {
    return (
      <section ref={view} className="chat-view">
        <div className="empty-state">
          <h1 className="h2">Chat not found</h1>
          <p className="muted">It may have been deleted, or the link is wrong.</p>
          <Link to="/new" className="btn">
            Start a new chat
          </Link>
        </div>
      </section>
    );
  }

  const failed = [chat, history].filter((q) => q.isError);
  const toRetry = chatError !== null && !chat.isError ? [chat, ...failed] : failed;
  const loadError = failed[0]?.error;
  const retrying = toRetry.some((q) => q.isFetching);
  const retry = () => {
    for (const q of toRetry) void q.refetch();
  };
  const retryButton = (ref: typeof screenRetry) => (
    <BusyButton ref={ref} className="btn btn-small" busy={retrying} busyLabel="Retrying…" onClick={retry}>
      Retry
    </BusyButton>
  );

  if (chatError !== null) {
    return (
      <section ref={view} className="chat-view">
        <div className="empty-state" role="alert">
          <h1 className="h2">Could not load this chat</h1>
          <p className="muted">{describeError(chatError)}</p>
          {retryButton(screenRetry)}
        </div>
      </section>
    );
  }

  return (
    <section ref={view} className="chat-view" aria-labelledby="chat-title">
      <header className="chat-header">
        <h1 id="chat-title" className="chat-heading">
          {chat.data?.title ?? ' '}
        </h1>
        {limits.data && (
          <span className="pill" title="AI messages left">
            {limits.data.aiMessages.remaining} of {limits.data.aiMessages.limit} AI messages left
          </span>
        )}
      </header>
      {loadError !== undefined && (
        <div className="alert alert-warn load-notice" role="alert">
          <span>
            {history.data ? 'Showing what was loaded. ' : ''}
            {describeError(loadError)}
          </span>
          {retryButton(noticeRetry)}
        </div>
      )}
      <div className="messages" ref={scroller} onScroll={onScroll}>
        <div className="messages-inner">
          {history.hasNextPage && (
            <div ref={older} className="load-more">
              <BusyButton
                ref={loadEarlierButton}
                className="btn btn-ghost btn-small"
                busy={history.isFetchingNextPage}
                busyLabel="Loading earlier messages…"
                onClick={() => {
                  heightBeforeOlder.current = scroller.current?.scrollHeight ?? null;
                  void history.fetchNextPage();
                }}
              >
                Load earlier messages
              </BusyButton>
            </div>
          )}
          {history.isPending && <p className="muted center">Loading messages…</p>}
          {history.isSuccess && messages.length === 0 && (
            <div className="empty-state small">
              <p className="muted">No messages yet. Say hello below.</p>
            </div>
          )}
          <ol ref={messageList} className="message-list" aria-label="Messages" aria-live="off" tabIndex={-1}>
            {messages.map((m) => (
              <MessageItem
                key={m.id}
                message={m}
                superseded={m.role === 'AI' && !!m.parentId && supersededParents.get(m.parentId) !== m.id}
                canRegenerate={
                  actions.canRegenerate &&
                  !quotaOut &&
                  m.id === lastAi?.id &&
                  m.status !== 'streaming' &&
                  !streamingMsg
                }
                // Its button goes while the new reply streams: focus goes to the text box, as after sending.
                onRegenerate={async () => {
                  if (await actions.regenerate(m.id)) composer.current?.focus();
                }}
                onStreamEnd={(text) => {
                  setAnnounce(text);
                  actions.onStreamEnd();
                }}
              />
            ))}
          </ol>
        </div>
      </div>
      <div className="sr-only" aria-live="polite">
        {announce}
      </div>
      <footer className="chat-footer">
        {quotaOut && limits.data && <QuotaBanner ref={quotaNotice} limits={limits.data} />}
        {actions.error && (
          <p className="alert alert-error" role="alert">
            {actions.error}
          </p>
        )}
        <Composer
          streaming={!!streamingMsg}
          onSend={async (text) => {
            stickToBottom.current = true;
            return actions.send(text);
          }}
          onStop={
            streamingMsg && actions.canStop
              ? () => actions.stop(streamingMsg.id, (m) => setAnnounce(m.content))
              : undefined
          }
          disabled={quotaOut}
          disabledReason="You have no AI messages left"
          // After the error screen, focus moves in only from its Retry or from nowhere (above).
          autoFocus={!recovered}
          inputRef={composer}
        />
      </footer>
    </section>
  );
}

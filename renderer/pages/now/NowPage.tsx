// Now: what is red right now, the page Herald opens on. Every thing with a state (a pipeline
// on a branch, a deployment, an artifact in an environment, compliance, a security gate, an
// integration), grouped by project, worst first; how long it has been so, who and which
// commit broke it, a link to the run, and "mute until green". The board comes a page at a
// time, worst first (a board of thousands is mostly green and needs no fetch until scrolled
// to); the header counts all of it. Live: the hub pushes what changed (board.updated, at most
// every 100 ms) and it is merged into what is loaded; a mute added or lifted anywhere, and a
// storm of changes (board.changed, at most once a second: hub board-feed.ts), reload what is loaded.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { BoardItem, BoardPosition, BoardQuery, BoardState } from '../../../shared/board.js';
import { BOARD_PAGE_DEFAULT, BOARD_PAGE_MAX, BOARD_STATES, boardItemName, boardMuteKey } from '../../../shared/board.js';
import type { ApiUpdate } from '../../../shared/api.js';
import { asError, useApi, useResource, useUpdates } from '../../api/context.js';
import { eventHref, threadHref } from '../../app/route.js';
import { useHub } from '../../app/status.js';
import { FirstRun } from '../../components/FirstRun.js';
import { useToast } from '../../components/Toasts.js';
import { appendBoardPage, boardCountsText, boardPosition, boardTotal, countsText, groupBoard, holdBeyondLoaded, mergeBoardUpdate, stateFor, streakText } from '../../lib/board-view.js';
import { frameBatch } from '../../lib/frame-batch.js';
import { safeHref, shortCommit } from '../../lib/links.js';
import { formatAgo, formatDateTime } from '../../lib/time.js';

/** Durations ("red for 3 h 12 min") move on without an update. */
type BoardUpdate = Extract<ApiUpdate, { type: 'board.updated' }>;

const TICK_MS = 30_000;
/** The next page loads once "Show more" comes this close to the viewport. */
const PRELOAD_MARGIN = '600px';

const KIND_LABEL: Record<BoardItem['kind'], string> = {
  pipeline: 'pipeline',
  deployment: 'deployment',
  artifact: 'artifact',
  compliance: 'compliance',
  security_gate: 'security gate',
  health: 'integration',
};
const OPEN_LABEL: Partial<Record<BoardItem['kind'], string>> = { pipeline: 'Open run', deployment: 'Open deployment' };

function useNow(intervalMs: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}

/** What is loaded: the items of the pages so far, and the cursor after them (none: all loaded). */
interface Loaded {
  items: BoardItem[];
  next?: string;
  /** Where the loaded pages end (the last item's place when `next` was given). */
  through?: BoardPosition;
  /** Things updates moved past `through`, until a page reaches them (board-view.ts holdBeyondLoaded). */
  held?: ReadonlyMap<string, BoardItem>;
}

export function NowPage() {
  const invoke = useApi();
  const { status } = useHub();
  const [states, setStates] = useState<BoardState[]>([]);
  const [source, setSource] = useState('');
  const query = useMemo<BoardQuery>(() => ({ ...(states.length > 0 && { states }), ...(source && { sources: [source] }) }), [states, source]);
  const [loaded, setLoaded] = useState<Loaded>();
  const [error, setError] = useState<Error>();
  const [loadingMore, setLoadingMore] = useState(false);
  const [generation, setGeneration] = useState(0);
  const now = useNow(TICK_MS);
  // The counts of everything the filters match: kept current by the board's updates (bursts coalesce).
  const counts = useResource('board.list', { ...query, limit: 0 }, (u) => u.type === 'board.updated' || u.type === 'board.changed' || u.type === 'mutes.changed').data?.counts;

  // A reload (a mute added or lifted, sources changed, another replica's ingest) fetches as much as was loaded, in one
  // page: a user who had scrolled down is not sent back to the first 200. A new query starts
  // at the first page.
  const loadedCount = useRef(0);
  loadedCount.current = loaded?.items.length ?? 0;
  const fetchedFor = useRef<BoardQuery>(undefined);
  useEffect(() => {
    let live = true;
    const reload = fetchedFor.current === query;
    fetchedFor.current = query;
    const limit = reload ? Math.min(BOARD_PAGE_MAX, Math.max(BOARD_PAGE_DEFAULT, loadedCount.current)) : undefined;
    invoke('board.list', limit === undefined ? query : { ...query, limit }).then(
      (page) => {
        if (!live) return;
        const last = page.items[page.items.length - 1];
        setLoaded({ items: page.items, ...(page.next !== undefined && last && { next: page.next, through: boardPosition(last) }) });
        setError(undefined);
      },
      (e: unknown) => live && setError(asError(e)),
    );
    return () => {
      live = false;
    };
  }, [invoke, query, generation]);

  // Keyboard focus a change of the list would lose (a mute reloads the board and may move
  // the thing; "Show more" goes away after the last page): put back on the same thing's
  // control once it shows the change, or on the first thing a page brought — unless the user
  // has moved on meanwhile.
  const [refocus, setRefocus] = useState<{ key: string; muted?: boolean }>();
  useEffect(() => {
    if (!refocus) return;
    const row = document.querySelector<HTMLElement>(`.board-item[data-key="${CSS.escape(refocus.key)}"]`);
    const active = document.activeElement;
    if (active && active !== document.body && !active.closest('.now__more') && !row?.contains(active)) return setRefocus(undefined);
    if (!row || (refocus.muted !== undefined && row.classList.contains('board-item--muted') !== refocus.muted)) return;
    setRefocus(undefined);
    (row.querySelector<HTMLElement>('.board-item__mute') ?? row.querySelector<HTMLElement>('.board-item__title'))?.focus();
  }, [refocus, loaded]);

  // One page at a time; a page for an older query or load (filters changed meanwhile) is dropped.
  const loading = useRef<string | undefined>(undefined);
  const loadMore = useCallback(() => {
    const after = loaded?.next;
    if (after === undefined || loading.current === after) return;
    loading.current = after;
    setLoadingMore(true);
    invoke('board.list', { ...query, after }).then(
      (page) => {
        if (loading.current !== after) return;
        // Asked from the keyboard ("Show more" focused): focus goes to the first thing it brought.
        if (page.items[0] && document.activeElement?.closest('.now__more')) setRefocus({ key: page.items[0].key });
        const last = page.items[page.items.length - 1];
        setLoaded((current) => {
          if (current?.next !== after) return current;
          const through = page.next !== undefined && last ? boardPosition(last) : undefined;
          const joined = appendBoardPage(current.items, page.items, current.held, through);
          return { items: joined.items, held: joined.held, ...(through && { next: page.next, through }) };
        });
        setError(undefined);
      },
      (e: unknown) => setError(asError(e)),
    ).finally(() => {
      if (loading.current === after) loading.current = undefined;
      setLoadingMore(false);
    });
  }, [invoke, query, loaded?.next]);

  // Board updates merged a frame's worth at a time (lib/frame-batch.ts): one render per frame in a storm.
  const mergeUpdates = useRef<(updates: BoardUpdate[]) => void>(undefined);
  mergeUpdates.current = (updates) =>
    setLoaded(
      (current) =>
        current && {
          ...current,
          items: mergeBoardUpdate(current.items, updates, query, current.through),
          held: holdBeyondLoaded(current.held ?? new Map(), updates, query, current.through),
        },
    );
  const [boardUpdates] = useState(() => frameBatch<BoardUpdate>((updates) => mergeUpdates.current?.(updates)));
  useEffect(() => () => boardUpdates.cancel(), [boardUpdates]);
  useUpdates((update) => {
    if (update.type === 'board.updated') boardUpdates.push(update);
    else if (update.type === 'mutes.changed' || update.type === 'board.changed' || (update.type === 'config.changed' && update.what === 'sources')) setGeneration((g) => g + 1);
  });

  const items = loaded?.items;
  const groups = useMemo(() => groupBoard(items ?? []), [items]);
  const noSourcesYet = status !== undefined && status.sources.length === 0 && status.counts.events === 0;
  const toggleState = (state: BoardState, on: boolean) => setStates((s) => (on ? [...s, state] : s.filter((x) => x !== state)));
  const total = counts ? boardTotal(counts) : undefined;
  const filtered = states.length > 0 || source !== '';
  // Pages still to load: a group's counts are of what is shown, and say so (the header counts all).
  const partial = loaded?.next !== undefined;

  return (
    <div className="page now">
      <header className="page-header">
        <h1>Now</h1>
        <p className="page-header__meta" aria-live="polite" data-state={items ? 'ready' : error ? 'error' : 'loading'}>
          {items === undefined ? (error ? 'Not loaded' : 'Loading…') : items.length === 0 ? (filtered ? 'Nothing matches' : 'Nothing yet') : counts ? boardCountsText(counts) : countsText(items)}
        </p>
      </header>
      <div className="now__filters" role="group" aria-label="Show">
        <div className="chips">
          {BOARD_STATES.map((state) => (
            <label key={state} className={`chip chip--${state}`}>
              <input type="checkbox" checked={states.includes(state)} onChange={(e) => toggleState(state, e.target.checked)} />
              {state}
            </label>
          ))}
        </div>
        <label className="now__source">
          <span className="muted">Source</span>
          <select value={source} onChange={(e) => setSource(e.target.value)}>
            <option value="">All sources</option>
            {(status?.sources ?? []).map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
        </label>
      </div>
      {error && (
        <p className="error-text" role="alert">
          Could not load the board: {error.message}{' '}
          <button type="button" className="btn btn--small" onClick={() => setGeneration((g) => g + 1)}>
            Try again
          </button>
        </p>
      )}
      {noSourcesYet ? (
        <FirstRun />
      ) : items !== undefined && items.length === 0 ? (
        <p className="empty">
          {filtered
            ? 'Nothing matches these filters.'
            : 'Nothing has a state yet: pipelines, deployments, artifacts, compliance and security gates appear here as their events arrive.'}
        </p>
      ) : (
        <>
          {groups.map((group) => (
            <section key={group.project} className="board-group" aria-label={group.project}>
              <h2 className="board-group__title">
                <span>{group.project}</span>
                <span className="board-group__counts muted">
                  {countsText(group.items)}
                  {partial && ' shown so far'}
                </span>
              </h2>
              <ul className="board-list">
                {group.items.map((item) => (
                  <BoardRowView key={item.key} item={item} now={now} onActed={setRefocus} />
                ))}
              </ul>
            </section>
          ))}
          {loaded?.next !== undefined && <ShowMore shown={loaded.items.length} total={total} busy={loadingMore} onMore={loadMore} />}
        </>
      )}
    </div>
  );
}

/** "Showing 200 of 5,000 · Show more": clicked, or loaded by itself as it scrolls into view. */
function ShowMore(props: { shown: number; total: number | undefined; busy: boolean; onMore: () => void }) {
  const { shown, total, busy, onMore } = props;
  const button = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    const target = button.current;
    if (!target || typeof IntersectionObserver === 'undefined') return;
    const observer = new IntersectionObserver((entries) => entries.some((e) => e.isIntersecting) && onMore(), { rootMargin: PRELOAD_MARGIN });
    observer.observe(target);
    return () => observer.disconnect();
  }, [onMore]);
  return (
    <div className="now__more">
      <span className="muted small" data-testid="board-shown">
        Showing {shown.toLocaleString('en-US')}
        {total !== undefined && total > shown && ` of ${total.toLocaleString('en-US')}`}
      </span>
      {/* aria-disabled, not disabled: a disabled button drops the keyboard focus it has. */}
      <button ref={button} type="button" className="btn btn--small" aria-disabled={busy || undefined} onClick={onMore}>
        {busy ? 'Loading…' : 'Show more'}
      </button>
    </div>
  );
}

function BoardRowView(props: { item: BoardItem; now: number; onActed: (focus: { key: string; muted: boolean }) => void }) {
  const { item, now, onActed } = props;
  const invoke = useApi();
  const toast = useToast();
  const [busy, setBusy] = useState(false);
  const name = boardItemName(item);
  const href = safeHref(item.url);
  const streak = streakText(item);
  const muted = item.mutedUntil !== undefined;
  const muteKey = boardMuteKey(item);

  const act = async (done: string, action: () => Promise<unknown>, mutedAfter: boolean) => {
    if (busy) return;
    setBusy(true);
    try {
      await action();
      toast(done);
      onActed({ key: item.key, muted: mutedAfter });
    } catch (e) {
      toast(`${done.replace(/\.$/, '')} failed: ${asError(e).message}`, 'error');
    } finally {
      setBusy(false);
    }
  };
  const pipelineRef = {
    sourceId: item.source.id,
    ...(item.subject.project && { project: item.subject.project }),
    ...(item.subject.pipeline && { pipeline: item.subject.pipeline }),
    ...(item.subject.branch && { branch: item.subject.branch }),
  };

  return (
    <li className={`board-item board-item--${item.state}${muted ? ' board-item--muted' : ''}`} data-key={item.key} data-state={item.state}>
      <span className={`state-mark state-mark--${item.state}${item.running ? ' state-mark--running' : ''}`} aria-hidden="true" />
      <div className="board-item__main">
        <div className="board-item__head">
          <span className="board-item__name">{name}</span>
          <span className="badge badge--muted">{KIND_LABEL[item.kind]}</span>
          <span className="muted small">{item.source.name}</span>
          {item.running && item.state !== 'running' && <span className="badge badge--warn">running</span>}
          {muted && <span className="badge badge--muted">{item.mutedUntil === 'passes' ? 'muted until green' : `muted until ${formatDateTime(item.mutedUntil)}`}</span>}
        </div>
        <p className="board-item__line">
          <strong className={`state-text state-text--${item.state}`} title={`since ${formatDateTime(item.since)}`}>
            {stateFor(item, now)}
          </strong>
          {streak && <span> · {streak}</span>}
          {item.state === 'failing' && item.brokenBy && (item.brokenBy.actor || item.brokenBy.commit) && (
            <span data-testid="broken-by">
              {' '}
              · broken{item.brokenBy.actor && <> by <strong>{item.brokenBy.actor}</strong></>}
              {item.brokenBy.commit && (
                <>
                  {' '}
                  in{' '}
                  <a className="mono" href={threadHref(item.brokenBy.commit)} title="The commit's thread">
                    {shortCommit(item.brokenBy.commit)}
                  </a>
                </>
              )}
            </span>
          )}
        </p>
        <p className="board-item__last small">
          <a href={eventHref(item.lastEventId)} className="board-item__title">
            {item.title}
          </a>{' '}
          <span className="muted" title={formatDateTime(item.lastEventAt)}>
            {formatAgo(item.lastEventAt, now)}
          </span>
          {item.commit && (
            <>
              {' · '}
              <a className="mono" href={threadHref(item.commit)} title="The commit's thread">
                {shortCommit(item.commit)}
              </a>
            </>
          )}
        </p>
      </div>
      <div className="board-item__actions">
        {href && (
          <a className="btn btn--small" href={href} target="_blank" rel="noopener noreferrer">
            {OPEN_LABEL[item.kind] ?? 'Open'}
          </a>
        )}
        {muteKey !== undefined &&
          (muted ? (
            <button
              type="button"
              className="btn btn--small btn--ghost board-item__mute"
              aria-disabled={busy || undefined}
              onClick={() => void act(`${name} unmuted.`, () => invoke('mutes.remove', { key: muteKey }), false)}
            >
              Unmute
            </button>
          ) : item.state === 'failing' ? (
            <button
              type="button"
              className="btn btn--small board-item__mute"
              aria-disabled={busy || undefined}
              onClick={() => void act(`${name} muted until it passes.`, () => invoke('mutes.add', { pipeline: pipelineRef, untilPasses: true }), true)}
            >
              Mute until green
            </button>
          ) : null)}
      </div>
    </li>
  );
}

// History: everything Herald received, newest first, searchable and filterable, live.
import { useCallback, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import type { HeraldEvent } from '../../../shared/event.js';
import { asError, useApi, useUpdates } from '../../api/context.js';
import { useHub } from '../../app/status.js';
import { ConfirmButton } from '../../components/buttons.js';
import { FirstRun } from '../../components/FirstRun.js';
import { useToast } from '../../components/Toasts.js';
import { EMPTY_FILTERS, isFiltered, matchesQuery, toQuery, type HistoryFilters } from '../../lib/event-filters.js';
import { EventDetail } from './EventDetail.js';
import { EventList } from './EventList.js';
import { Filters } from './Filters.js';
import { useEventPages } from './useEventPages.js';

/** Our own edits echo back as `events.changed`; ignore echoes this soon after an edit. */
const OWN_ECHO_MS = 1500;

export function HistoryPage(props: { selectedId: string | undefined }) {
  const invoke = useApi();
  const toast = useToast();
  const { status } = useHub();
  const [filters, setFilters] = useState<HistoryFilters>(EMPTY_FILTERS);
  const query = useMemo(() => toQuery(filters), [filters]);
  const pages = useEventPages(query);
  const [checked, setChecked] = useState<ReadonlySet<string>>(new Set());
  const [missed, setMissed] = useState(0);
  const lastOwnEdit = useRef(0);
  const selectedId = props.selectedId;

  // Stable callbacks keep the memoized rows from re-rendering on every list change.
  const { patch } = pages;
  const open = useCallback(
    (event: HeraldEvent) => {
      window.location.hash = `#/history/${encodeURIComponent(event.id)}`;
      if (!event.read) {
        lastOwnEdit.current = Date.now();
        patch(new Set([event.id]), { read: true });
        invoke('events.markRead', { ids: [event.id] }).catch(() => patch(new Set([event.id]), { read: false }));
      }
    },
    [invoke, patch],
  );
  const close = () => {
    window.location.hash = '#/history';
  };

  useUpdates((update) => {
    if (update.type === 'event.created') {
      const fits = matchesQuery(update.event, query);
      if (fits === true) pages.prepend(update.event);
      else if (fits === undefined) setMissed((n) => n + 1);
    } else if (update.type === 'events.changed') {
      if (Date.now() - lastOwnEdit.current > OWN_ECHO_MS) pages.reload();
    }
  });

  const edit = async (what: string, action: () => Promise<unknown>) => {
    lastOwnEdit.current = Date.now();
    try {
      await action();
    } catch (error) {
      toast(`${what} failed: ${asError(error).message}`, 'error');
      pages.reload();
    }
  };

  const markRead = (ids: ReadonlySet<string>, read: boolean) =>
    edit('Marking', async () => {
      pages.patch(ids, { read });
      await invoke('events.markRead', { ids: [...ids], read });
      setChecked(new Set());
    });
  const markAllRead = () =>
    edit('Marking', async () => {
      pages.patch('all', { read: true });
      const { updated } = await invoke('events.markRead', { all: true });
      toast(`${updated.toLocaleString('en-US')} marked read`);
    });
  const remove = (ids: ReadonlySet<string>) =>
    edit('Deleting', async () => {
      const { deleted } = await invoke('events.delete', { ids: [...ids] });
      pages.remove(ids);
      setChecked(new Set());
      if (selectedId && ids.has(selectedId)) close();
      toast(`${deleted} deleted`);
    });

  const toggle = useCallback((id: string, on: boolean) => {
    setChecked((s) => {
      const next = new Set(s);
      if (on) next.add(id);
      else next.delete(id);
      return next;
    });
  }, []);
  const allLoadedChecked = pages.items.length > 0 && pages.items.every((e) => checked.has(e.id));
  const sources = status?.sources ?? [];
  const noSourcesYet = status !== undefined && status.sources.length === 0 && status.counts.events === 0;

  // Escape closes the detail from the list or the detail (not from a field: a search box clears
  // itself with it) and gives the focus to the event's row, to go on from there.
  const closeOnEscape = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.key !== 'Escape' || !selectedId || e.defaultPrevented || (e.target as HTMLElement).closest('input, select, textarea')) return;
    const row = document.querySelector<HTMLElement>('.event-row__open[aria-current="true"]');
    close();
    row?.focus();
  };

  return (
    <div className={`history${selectedId ? ' history--with-detail' : ''}`} onKeyDown={closeOnEscape}>
      <div className="history__main">
        <header className="page-header">
          <h1>History</h1>
          <p
            className="page-header__meta"
            aria-live="polite"
            data-state={pages.loading ? 'loading' : 'ready'}
            data-query={pages.loadedKey}
          >
            {pages.loading && pages.loadedKey === undefined
              ? 'Loading…'
              : `${pages.totalCapped ? 'More than ' : ''}${pages.total.toLocaleString('en-US')} ${isFiltered(filters) ? 'matching ' : ''}event${pages.total === 1 && !pages.totalCapped ? '' : 's'}`}
          </p>
        </header>
        <Filters filters={filters} onChange={setFilters} sources={sources} />
        <div className="toolbar" role="toolbar" aria-label="Event actions">
          <label className="toolbar__check">
            <input
              type="checkbox"
              checked={allLoadedChecked}
              disabled={pages.items.length === 0}
              onChange={(e) => setChecked(e.target.checked ? new Set(pages.items.map((i) => i.id)) : new Set())}
            />
            Select loaded
          </label>
          {checked.size > 0 ? (
            <>
              <span className="muted">{checked.size} selected</span>
              <button type="button" className="btn btn--small" onClick={() => void markRead(checked, true)}>
                Mark read
              </button>
              <button type="button" className="btn btn--small" onClick={() => void markRead(checked, false)}>
                Mark unread
              </button>
              <ConfirmButton label={`Delete ${checked.size}`} confirmLabel="Yes, delete" className="btn btn--small btn--danger-ghost" onConfirm={() => remove(checked)} />
            </>
          ) : (
            <button type="button" className="btn btn--small" disabled={!status?.counts.unread} onClick={() => void markAllRead()}>
              Mark all read
            </button>
          )}
          {missed > 0 && (
            <button
              type="button"
              className="btn btn--small btn--accent toolbar__new"
              onClick={() => {
                setMissed(0);
                pages.reload();
              }}
            >
              {missed} new event{missed === 1 ? '' : 's'}: refresh
            </button>
          )}
        </div>
        {pages.error && (
          <p className="error-text" role="alert">
            Could not load events: {pages.error.message}
          </p>
        )}
        {noSourcesYet ? (
          <FirstRun />
        ) : !pages.loading && !pages.error && pages.items.length === 0 ? (
          <p className="empty">{isFiltered(filters) ? 'No events match these filters.' : 'No events yet.'}</p>
        ) : (
          <EventList
            items={pages.items}
            hasMore={pages.hasMore}
            loadingMore={pages.loadingMore}
            onLoadMore={pages.loadMore}
            selectedId={selectedId}
            onOpen={open}
            checked={checked}
            onToggle={toggle}
          />
        )}
      </div>
      {selectedId && (
        <EventDetail
          key={selectedId}
          id={selectedId}
          onClose={close}
          onDeleted={(id) => {
            lastOwnEdit.current = Date.now();
            pages.remove(new Set([id]));
            close();
          }}
          onReadChange={(id, read) => {
            lastOwnEdit.current = Date.now();
            pages.patch(new Set([id]), { read });
          }}
        />
      )}
    </div>
  );
}

// The History list's data: pages of `events.list` fetched by cursor as the user scrolls,
// restarted when the query changes, with local edits (read, delete, live arrivals) applied
// in place so 100,000 events never need refetching.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { EventQueryInput } from '../../../shared/api.js';
import type { HeraldEvent } from '../../../shared/event.js';
import { asError, useApi } from '../../api/context.js';

export interface EventPages {
  items: HeraldEvent[];
  /** Matches of the query, from its first page; with totalCapped, "more than total". */
  total: number;
  totalCapped: boolean;
  /** More pages behind the last loaded item. */
  hasMore: boolean;
  /** First page of the current query still loading. */
  loading: boolean;
  loadingMore: boolean;
  error: Error | undefined;
  /** The query (JSON) the items belong to: lets tests and the bench see results arrive. */
  loadedKey: string | undefined;
  loadMore(): void;
  reload(): void;
  prepend(event: HeraldEvent): void;
  patch(ids: ReadonlySet<string> | 'all', change: Partial<HeraldEvent>): void;
  remove(ids: ReadonlySet<string>): void;
}

interface State {
  key: string | undefined;
  items: HeraldEvent[];
  total: number;
  totalCapped: boolean;
  cursor: string | undefined;
  loading: boolean;
  loadingMore: boolean;
  error: Error | undefined;
}

export function useEventPages(query: EventQueryInput): EventPages {
  const invoke = useApi();
  const key = JSON.stringify(query);
  const [state, setState] = useState<State>({
    key: undefined,
    items: [],
    total: 0,
    totalCapped: false,
    cursor: undefined,
    loading: true,
    loadingMore: false,
    error: undefined,
  });
  // Only the newest request may write: older answers (a slower search) are dropped.
  const generation = useRef(0);
  const [reloads, setReloads] = useState(0);
  // Live arrivals while a first page is on its way: the page may have been made before they were stored.
  // (undefined: no first page on its way).
  const arrivedWhileLoading = useRef<HeraldEvent[] | undefined>(undefined);

  useEffect(() => {
    const mine = ++generation.current;
    arrivedWhileLoading.current = [];
    setState((s) => ({ ...s, loading: true, error: undefined }));
    invoke('events.list', JSON.parse(key) as EventQueryInput).then(
      (page) => {
        if (generation.current !== mine) return;
        // What arrived live while the page was on its way and the page does not hold stays on top, newest first.
        const inPage = new Set(page.items.map((e) => e.id));
        const missed = (arrivedWhileLoading.current ?? []).filter((e) => !inPage.has(e.id)).reverse();
        arrivedWhileLoading.current = undefined;
        // Only a first page (no cursor) carries the total; later pages leave it as it is.
        setState({
          key,
          items: [...missed, ...page.items],
          total: (page.total ?? page.items.length) + (page.totalCapped === true ? 0 : missed.length),
          totalCapped: page.totalCapped === true,
          cursor: page.nextCursor,
          loading: false,
          loadingMore: false,
          error: undefined,
        });
      },
      (error: unknown) => {
        if (generation.current !== mine) return;
        arrivedWhileLoading.current = undefined;
        setState((s) => ({ ...s, loading: false, error: asError(error) }));
      },
    );
  }, [invoke, key, reloads]);

  const stateRef = useRef(state);
  stateRef.current = state;

  const loadMore = useCallback(() => {
    const s = stateRef.current;
    if (!s.cursor || s.loading || s.loadingMore || s.key !== key) return;
    const mine = generation.current;
    setState((prev) => ({ ...prev, loadingMore: true }));
    invoke('events.list', { ...(JSON.parse(key) as EventQueryInput), cursor: s.cursor }).then(
      (page) => {
        if (generation.current !== mine) return;
        setState((prev) => {
          // A live arrival may already hold one of these; keep the list free of duplicates.
          const seen = new Set(prev.items.map((e) => e.id));
          return {
            ...prev,
            items: [...prev.items, ...page.items.filter((e) => !seen.has(e.id))],
            cursor: page.nextCursor,
            loadingMore: false,
          };
        });
      },
      (error: unknown) => {
        if (generation.current !== mine) return;
        setState((prev) => ({ ...prev, loadingMore: false, error: asError(error) }));
      },
    );
  }, [invoke, key]);

  const reload = useCallback(() => setReloads((r) => r + 1), []);

  const prepend = useCallback((event: HeraldEvent) => {
    arrivedWhileLoading.current?.push(event);
    // A capped total stays "more than N": adding to it would claim an exact count.
    setState((s) =>
      s.items.some((e) => e.id === event.id) ? s : { ...s, items: [event, ...s.items], total: s.totalCapped ? s.total : s.total + 1 },
    );
  }, []);

  const patch = useCallback((ids: ReadonlySet<string> | 'all', change: Partial<HeraldEvent>) => {
    setState((s) => ({ ...s, items: s.items.map((e) => (ids === 'all' || ids.has(e.id) ? { ...e, ...change } : e)) }));
  }, []);

  const remove = useCallback((ids: ReadonlySet<string>) => {
    setState((s) => {
      const items = s.items.filter((e) => !ids.has(e.id));
      return { ...s, items, total: s.totalCapped ? s.total : Math.max(0, s.total - (s.items.length - items.length)) };
    });
  }, []);

  return {
    items: state.items,
    total: state.total,
    totalCapped: state.totalCapped,
    hasMore: state.cursor !== undefined,
    loading: state.loading,
    loadingMore: state.loadingMore,
    error: state.error,
    loadedKey: state.key,
    loadMore,
    reload,
    prepend,
    patch,
    remove,
  };
}

// The virtualized event list: only the rows on screen exist in the DOM, rows have one fixed
// height (no measuring), and the next page is fetched before the user reaches the end.
import { useVirtualizer } from '@tanstack/react-virtual';
import { memo, useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { flushSync } from 'react-dom';
import type { HeraldEvent } from '../../../shared/event.js';
import { SUBJECT_FIELDS } from '../../../shared/event.js';
import { SeverityBadge } from '../../components/badges.js';
import { formatDateTime, formatListTime } from '../../lib/time.js';

export const ROW_HEIGHT = 34;
/** Fetch the next page when this many rows are left below the viewport. */
const PREFETCH_ROWS = 60;

export function EventList(props: {
  items: HeraldEvent[];
  hasMore: boolean;
  loadingMore: boolean;
  onLoadMore(): void;
  selectedId: string | undefined;
  onOpen(event: HeraldEvent): void;
  checked: ReadonlySet<string>;
  onToggle(id: string, checked: boolean): void;
}) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const { items, hasMore } = props;
  const count = items.length + (hasMore ? 1 : 0);
  const virtualizer = useVirtualizer({
    count,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
    getItemKey: (index) => items[index]?.id ?? `loader-${index}`,
  });
  const virtualRows = virtualizer.getVirtualItems();
  const lastVisible = virtualRows.length ? virtualRows[virtualRows.length - 1]!.index : 0;

  const { onLoadMore, loadingMore } = props;
  useEffect(() => {
    if (hasMore && !loadingMore && lastVisible >= items.length - PREFETCH_ROWS) onLoadMore();
  }, [lastVisible, items.length, hasMore, loadingMore, onLoadMore]);

  // Roving focus: one row is in the tab order; arrows move it.
  const [active, setActive] = useState(0);
  const activeIndex = Math.min(active, Math.max(0, items.length - 1));
  const rowButton = (index: number) => scrollRef.current?.querySelector<HTMLElement>(`[data-index="${index}"] .event-row__open`);
  const focusRow = (index: number) => {
    const target = Math.max(0, Math.min(items.length - 1, index));
    // Render the new tab stop now, so the next key press starts from it.
    flushSync(() => setActive(target));
    const button = rowButton(target);
    if (button) {
      button.focus();
      return;
    }
    // Not rendered yet (far away): scroll there first, focus once it is.
    virtualizer.scrollToIndex(target, { align: 'auto' });
    requestAnimationFrame(() => rowButton(target)?.focus());
  };
  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const page = Math.max(1, Math.floor((scrollRef.current?.clientHeight ?? 340) / ROW_HEIGHT) - 1);
    const moves: Record<string, number> = {
      ArrowDown: activeIndex + 1,
      ArrowUp: activeIndex - 1,
      PageDown: activeIndex + page,
      PageUp: activeIndex - page,
      Home: 0,
      End: items.length - 1,
    };
    const to = moves[e.key];
    if (to === undefined || items.length === 0) return;
    e.preventDefault();
    focusRow(to);
  };

  return (
    <div
      ref={scrollRef}
      className="event-list"
      role="region"
      aria-label="Events"
      onKeyDown={onKeyDown}
      tabIndex={items.length === 0 ? 0 : -1}
    >
      <div className="event-list__inner" role="list" style={{ height: virtualizer.getTotalSize() }}>
        {virtualRows.map((row) => {
          const event = items[row.index];
          if (!event) {
            return (
              <div key={row.key} className="event-row event-row--loader" role="listitem" data-index={row.index} style={{ transform: `translateY(${row.start}px)` }}>
                Loading more…
              </div>
            );
          }
          return (
            <EventRow
              key={row.key}
              event={event}
              index={row.index}
              start={row.start}
              selected={props.selectedId === event.id}
              checked={props.checked.has(event.id)}
              tabbable={row.index === activeIndex}
              onToggle={props.onToggle}
              onOpen={props.onOpen}
              onFocusRow={setActive}
            />
          );
        })}
      </div>
    </div>
  );
}

/** One row; memoized so scrolling renders only the rows that come into view. */
const EventRow = memo(function EventRow(props: {
  event: HeraldEvent;
  index: number;
  start: number;
  selected: boolean;
  checked: boolean;
  tabbable: boolean;
  onToggle(id: string, checked: boolean): void;
  onOpen(event: HeraldEvent): void;
  onFocusRow(index: number): void;
}) {
  const { event, index } = props;
  // A commit reads as its short SHA in a list line, as git shows it.
  const subject = SUBJECT_FIELDS.map((f) => (f === 'commit' ? event.subject.commit?.slice(0, 7) : event.subject[f])).filter((part): part is string => Boolean(part));
  const tabIndex = props.tabbable ? 0 : -1;
  return (
    <div
      role="listitem"
      data-index={index}
      data-event-id={event.id}
      className={`event-row${event.read ? '' : ' event-row--unread'}${props.selected ? ' event-row--selected' : ''}`}
      style={{ transform: `translateY(${props.start}px)` }}
    >
      <input
        type="checkbox"
        aria-label={`Select ${event.title}`}
        tabIndex={tabIndex}
        checked={props.checked}
        onChange={(e) => props.onToggle(event.id, e.target.checked)}
      />
      <span className="event-row__dot" aria-hidden="true" />
      <button
        type="button"
        className="event-row__open"
        tabIndex={tabIndex}
        aria-current={props.selected ? 'true' : undefined}
        onFocus={() => props.onFocusRow(index)}
        onClick={() => props.onOpen(event)}
      >
        {/* Rows are in the order Herald received them, so the column shows that time; when it
            happened (a resend, a late poll) is in the tooltip and the detail. */}
        <time className="event-row__time mono" dateTime={event.receivedAt} title={`Received ${formatDateTime(event.receivedAt)} · happened ${formatDateTime(event.occurredAt)}`}>
          {formatListTime(event.receivedAt)}
        </time>
        <SeverityBadge severity={event.severity} />
        <span className="event-row__type mono">{event.type}</span>
        <span className="event-row__title" title={event.title}>
          {!event.read && <span className="visually-hidden">Unread: </span>}
          {event.title}
        </span>
        <span className="event-row__subject mono">{subject.join(' · ')}</span>
        <span className="event-row__source">{event.source.name}</span>
      </button>
    </div>
  );
});

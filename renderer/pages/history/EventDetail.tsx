// One event in full: its fields, the payload as the source sent it, which rules matched and
// why, and each delivery with its status, last error and "Retry now". Event text is untrusted
// and rendered as text only.
import { useEffect, useRef, useState, type ReactNode } from 'react';
import type { ApiOutput, Delivery } from '../../../shared/api.js';
import { SUBJECT_FIELDS } from '../../../shared/event.js';
import { asError, useApi, useUpdates } from '../../api/context.js';
import { SeverityBadge, StatusBadge } from '../../components/badges.js';
import { ConfirmButton } from '../../components/buttons.js';
import { useToast } from '../../components/Toasts.js';
import { useHub } from '../../app/status.js';
import { safeHref, shortCommit } from '../../lib/links.js';
import { formatAgo, formatDateTime, formatUntil } from '../../lib/time.js';
import { eventHref, threadHref } from '../../app/route.js';
import { isRetryable, upsertDelivery, withEarlyUpdates, withRetryAnswer } from './delivery-updates.js';
import { PipelineMute } from './PipelineMute.js';

type Detail = ApiOutput<'events.get'>;


export function EventDetail(props: {
  id: string;
  onClose(): void;
  onDeleted(id: string): void;
  onReadChange(id: string, read: boolean): void;
}) {
  const invoke = useApi();
  const toast = useToast();
  const { status } = useHub();
  const [detail, setDetail] = useState<Detail>();
  const [error, setError] = useState<Error>();
  const [retrying, setRetrying] = useState<ReadonlySet<string>>(new Set());

  // A delivery update pushed while the detail loads is kept and replayed over it (delivery-updates.ts).
  const wantedId = useRef(props.id);
  const loadedId = useRef<string | undefined>(undefined);
  const earlyUpdates = useRef<Delivery[]>([]);

  const load = (id: string) =>
    invoke('events.get', { id }).then(
      (d) => {
        if (id !== wantedId.current) return; // the user moved on to another event
        const early = earlyUpdates.current;
        earlyUpdates.current = [];
        loadedId.current = id;
        setDetail({ ...d, deliveries: withEarlyUpdates(d.deliveries, early) });
        setError(undefined);
      },
      (e: unknown) => {
        if (id === wantedId.current) setError(asError(e));
      },
    );

  useEffect(() => {
    wantedId.current = props.id;
    loadedId.current = undefined;
    earlyUpdates.current = [];
    setDetail(undefined);
    void load(props.id);
  }, [props.id]); // eslint-disable-line react-hooks/exhaustive-deps

  useUpdates((update) => {
    if (update.type !== 'delivery.updated' || update.delivery.eventId !== props.id) return;
    if (loadedId.current !== props.id) earlyUpdates.current.push(update.delivery);
    else setDetail((d) => (d ? { ...d, deliveries: upsertDelivery(d.deliveries, update.delivery) } : d));
  });

  const channelName = (id: string) => status?.channels.find((c) => c.id === id)?.name ?? id;

  const retry = async (delivery: Delivery) => {
    setRetrying((s) => new Set(s).add(delivery.id));
    try {
      const updated = await invoke('deliveries.retry', { id: delivery.id });
      setDetail((d) => (d ? { ...d, deliveries: withRetryAnswer(d.deliveries, updated) } : d));
      toast(`Retrying delivery to ${channelName(delivery.channelId)}`);
    } catch (e) {
      toast(`Retry failed: ${asError(e).message}`, 'error');
    } finally {
      setRetrying((s) => {
        const next = new Set(s);
        next.delete(delivery.id);
        return next;
      });
    }
  };

  if (error) {
    return (
      <aside className="detail" aria-label="Event detail">
        <DetailHeader onClose={props.onClose} />
        <p className="error-text" role="alert">
          Could not load the event: {error.message}
        </p>
      </aside>
    );
  }
  if (!detail) {
    return (
      <aside className="detail" aria-label="Event detail" aria-busy="true">
        <DetailHeader onClose={props.onClose} />
        <p className="muted">Loading…</p>
      </aside>
    );
  }
  const { event } = detail;
  const href = safeHref(event.url);
  return (
    <aside className="detail" aria-label="Event detail">
      <DetailHeader onClose={props.onClose}>
        <button
          type="button"
          className="btn btn--small"
          onClick={async () => {
            const read = !event.read;
            await invoke('events.markRead', { ids: [event.id], read });
            setDetail({ ...detail, event: { ...event, read } });
            props.onReadChange(event.id, read);
          }}
        >
          Mark {event.read ? 'unread' : 'read'}
        </button>
        <ConfirmButton
          label="Delete"
          className="btn btn--small btn--danger-ghost"
          onConfirm={async () => {
            try {
              await invoke('events.delete', { ids: [event.id] });
              props.onDeleted(event.id);
            } catch (e) {
              toast(`Delete failed: ${asError(e).message}`, 'error');
            }
          }}
        />
      </DetailHeader>
      <h2 className="detail__title">{event.title}</h2>
      <p className="detail__meta">
        <SeverityBadge severity={event.severity} /> <span className="mono">{event.type}</span> from {event.source.name}{' '}
        <span className="muted mono">({event.source.kind})</span>
      </p>
      {event.summary && <p className="detail__summary">{event.summary}</p>}
      {detail.carries && (
        <section aria-labelledby="detail-carries" data-testid="carries">
          <h3 id="detail-carries">{detail.carries.total === 1 ? 'The event it carries' : `The ${detail.carries.total} events it carries`}</h3>
          <ul className="event-refs">
            {detail.carries.events.map((e) => (
              <li key={e.id}>
                <a href={eventHref(e.id)}>{e.title}</a> <span className="muted small">{formatDateTime(e.occurredAt)}</span>
              </li>
            ))}
          </ul>
          {detail.carries.total > detail.carries.events.length && (
            <p className="muted small">and {detail.carries.total - detail.carries.events.length} more (the first {detail.carries.events.length} are listed)</p>
          )}
        </section>
      )}
      {detail.matches.some((m) => m.outcome === 'muted') && (
        <p className="warn-text" data-testid="muted-note">
          Not sent: its pipeline was muted when it arrived (kept in history only).
        </p>
      )}
      {event.url &&
        (href ? (
          <p>
            <a href={href} target="_blank" rel="noopener noreferrer" className="mono detail__link">
              {event.url}
            </a>
          </p>
        ) : (
          <p className="mono">{event.url}</p>
        ))}

      {event.subject.commit && (
        <p data-testid="thread-link">
          <a href={threadHref(event.subject.commit)}>
            Thread of commit <span className="mono">{shortCommit(event.subject.commit)}</span>
          </a>{' '}
          <span className="muted">: its CI runs, deployments, artifacts and checks across tools, in order</span>
        </p>
      )}

      <PipelineMute event={event} />

      <section aria-labelledby="detail-fields">
        <h3 id="detail-fields">Fields</h3>
        <dl className="fields">
          {SUBJECT_FIELDS.filter((f) => event.subject[f]).map((f) => (
            <Row key={f} name={f} value={event.subject[f]!} mono />
          ))}
          {event.actor && <Row name="actor" value={event.actor} />}
          <Row name="occurred" value={formatDateTime(event.occurredAt)} mono />
          <Row name="received" value={formatDateTime(event.receivedAt)} mono />
          <Row name="dedup key" value={event.dedupKey} mono />
          <Row name="id" value={event.id} mono />
        </dl>
        {event.data && Object.keys(event.data).length > 0 && (
          <details>
            <summary>Data</summary>
            <pre className="code">{JSON.stringify(event.data, null, 2)}</pre>
          </details>
        )}
      </section>

      <section aria-labelledby="detail-rules">
        <h3 id="detail-rules">Rules</h3>
        {detail.matches.length === 0 ? (
          <p className="muted">No rule matched this event; it is kept in history only.</p>
        ) : (
          <table className="table table--compact">
            <thead>
              <tr>
                <th scope="col">Rule</th>
                <th scope="col">Outcome</th>
                <th scope="col">Why</th>
              </tr>
            </thead>
            <tbody>
              {detail.matches.map((m) => (
                <tr key={m.ruleId}>
                  <td>{m.ruleName}</td>
                  <td>
                    <span className={`badge ${m.outcome === 'routed' ? 'badge--ok' : 'badge--muted'}`}>{outcomeLabel(m, detail.event.type)}</span>
                  </td>
                  <td>
                    {m.reason}
                    {m.channels.length > 0 && <div className="muted">to {m.channels.map(channelName).join(', ')}</div>}
                    {m.heldBack.length > 0 && <div className="muted">held back: {m.heldBack.map(channelName).join(', ')}</div>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      <section aria-labelledby="detail-deliveries">
        <h3 id="detail-deliveries">Deliveries</h3>
        {detail.groupWaits && detail.groupWaits.length > 0 && (
          <ul className="deliveries" data-testid="group-waits">
            {detail.groupWaits.map((w) => (
              <li key={`${w.ruleId} ${w.channelId}`} className="delivery" data-status="waiting">
                <div className="delivery__head">
                  <strong>{channelName(w.channelId)}</strong>
                  <span className="badge badge--muted">waiting in its group</span>
                </div>
                <div className="muted small">
                  goes out with the group's message at {formatDateTime(w.dueAt)} ({formatUntil(Date.parse(w.dueAt), Date.now()).replace(/^now$/, 'due now')}) · rule {detail.matches.find((m) => m.ruleId === w.ruleId)?.ruleName ?? w.ruleId}
                </div>
              </li>
            ))}
          </ul>
        )}
        {detail.summarizedIn && detail.summarizedIn.length > 0 && (
          <ul className="deliveries" data-testid="summarized-in">
            {detail.summarizedIn.map((s) => (
              <li key={s.id} className="delivery" data-status="summarized">
                <div className="delivery__head">
                  <a href={eventHref(s.id)}>{s.title}</a>
                  <span className="badge badge--muted">{s.type === 'herald.digest' ? 'digest' : 'group message'}</span>
                </div>
                <div className="muted small">
                  sent {formatDateTime(s.occurredAt)} in this {s.type === 'herald.digest' ? 'digest' : "group's message"}, with the events it lists: its deliveries are on it
                </div>
              </li>
            ))}
          </ul>
        )}
        {detail.deliveries.length === 0 ? (
          !detail.groupWaits?.length && !detail.summarizedIn?.length && <p className="muted">{noDeliveriesText(detail.matches)}</p>
        ) : (
          <ul className="deliveries">
            {detail.deliveries.map((d) => (
              <li key={d.id} className="delivery" data-delivery-id={d.id} data-status={d.status}>
                <div className="delivery__head">
                  <strong>{channelName(d.channelId)}</strong>
                  <StatusBadge status={d.status} />
                  <span className="muted">
                    {d.attempts} attempt{d.attempts === 1 ? '' : 's'}
                    {d.status === 'delivered' && d.deliveredAt && ` · delivered ${formatAgo(d.deliveredAt)}`}
                    {d.nextAttemptAt && d.status === 'pending' && ` · next ${formatDateTime(d.nextAttemptAt)}`}
                  </span>
                  {isRetryable(d) && (
                    <button
                      type="button"
                      className="btn btn--small"
                      disabled={retrying.has(d.id)}
                      aria-label={`Retry now: delivery to ${channelName(d.channelId)}`}
                      onClick={() => void retry(d)}
                    >
                      {retrying.has(d.id) ? 'Retrying…' : 'Retry now'}
                    </button>
                  )}
                </div>
                {d.lastError && (
                  <p className="delivery__error mono">
                    <span className="visually-hidden">Last error: </span>
                    {d.lastError}
                  </p>
                )}
              </li>
            ))}
          </ul>
        )}
      </section>

      <section aria-labelledby="detail-raw">
        <h3 id="detail-raw">Raw payload</h3>
        {detail.raw === undefined ? (
          <p className="muted">The source sent no payload worth keeping.</p>
        ) : (
          <pre className="code code--raw">{JSON.stringify(detail.raw, null, 2)}</pre>
        )}
      </section>
    </aside>
  );
}

function DetailHeader(props: { onClose(): void; children?: ReactNode }) {
  return (
    <div className="detail__bar">
      {props.children}
      <button type="button" className="btn btn--small btn--ghost detail__close" onClick={props.onClose} aria-label="Close detail">
        Close
      </button>
    </div>
  );
}

function Row(props: { name: string; value: string; mono?: boolean }) {
  return (
    <>
      <dt>{props.name}</dt>
      <dd className={props.mono ? 'mono' : undefined}>{props.value}</dd>
    </>
  );
}

/**
 * Why an event has no delivery of its own: a grouped one that no longer waits went out in its
 * group's message, a digested one goes (or went) in its rule's digest.
 */
function noDeliveriesText(matches: ApiOutput<'events.get'>['matches']): string {
  const routed = matches.filter((m) => m.outcome === 'routed');
  if (routed.some((m) => m.group)) return "Sent with its group's message (a “group message” in History), not on its own.";
  if (routed.some((m) => m.digest)) return "Goes in its rule's digest (a “digest” in History), not on its own.";
  return 'No deliveries.';
}

/** The outcome badge: a routed event of a digest or grouping rule waited for that message; the message itself says so. */
function outcomeLabel(m: ApiOutput<'events.get'>['matches'][number], eventType: string): string {
  if (m.outcome !== 'routed') return m.outcome.replace('_', ' ');
  if (eventType === 'herald.group') return 'group message';
  if (eventType === 'herald.digest') return 'digest';
  if (m.digest) return 'in digest';
  if (m.group) return 'in group';
  return 'routed';
}

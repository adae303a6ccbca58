// A commit's thread: everything Herald heard about one commit across tools, as a timeline in
// the order it happened — the CI run, the deployment, the artifact starting in an
// environment, compliance, the security gate — with the stages summed up on top. Live: an
// event with this commit joins in place as it arrives.
import { useEffect, useMemo, useRef, useState } from 'react';
import type { HeraldEvent } from '../../../shared/event.js';
import { asError, useApi, useUpdates } from '../../api/context.js';
import { eventHref, pageHref } from '../../app/route.js';
import { SeverityBadge } from '../../components/badges.js';
import { safeHref, shortCommit } from '../../lib/links.js';
import { insertIntoThread, STAGE_LABEL, stageOf, stageSummary, type StageOutcome } from '../../lib/thread-view.js';
import { formatDateTime } from '../../lib/time.js';

const OUTCOME_TEXT: Record<StageOutcome, string> = { ok: 'passed', bad: 'failed', started: 'running', cancelled: 'cancelled', none: 'nothing yet' };
/** An artifact that started in an environment is running there, not "passed". */
const outcomeText = (stage: string, outcome: StageOutcome) => (stage === 'artifact' && outcome === 'ok' ? 'running' : OUTCOME_TEXT[outcome]);

export function ThreadPage(props: { commit: string | undefined }) {
  const invoke = useApi();
  const wanted = (props.commit ?? '').toLowerCase();
  const [thread, setThread] = useState<{ commit: string; events: HeraldEvent[]; truncated?: boolean }>();
  const [error, setError] = useState<Error>();
  // Events of this commit that arrived while the thread was loading: its answer may have been
  // made before they were stored, so they join it when it comes.
  const arrivedWhileLoading = useRef<HeraldEvent[]>([]);
  const loaded = useRef(false);

  useEffect(() => {
    let live = true;
    setThread(undefined);
    setError(undefined);
    arrivedWhileLoading.current = [];
    loaded.current = false;
    if (!wanted) return;
    invoke('threads.get', { commit: wanted }).then(
      (t) => {
        if (!live) return;
        loaded.current = true;
        setThread({ ...t, events: arrivedWhileLoading.current.reduce(insertIntoThread, t.events) });
      },
      (e: unknown) => live && setError(asError(e)),
    );
    return () => {
      live = false;
    };
  }, [invoke, wanted]);

  useUpdates((update) => {
    if (update.type !== 'event.created') return;
    const commit = update.event.subject.commit;
    if (commit === undefined || !commit.startsWith(wanted)) return;
    if (!loaded.current) {
      arrivedWhileLoading.current.push(update.event);
      return;
    }
    // From the thread as it is by now, not as last rendered: several events can arrive
    // between two renders (one request carrying three), and each must join.
    setThread((current) => (current && commit === current.commit ? { ...current, events: insertIntoThread(current.events, update.event) } : current));
  });

  const events = thread?.events ?? [];
  const stages = useMemo(() => stageSummary(events), [events]);
  const where = useMemo(() => {
    const projects = [...new Set(events.map((e) => e.subject.project).filter(Boolean))];
    const branches = [...new Set(events.map((e) => e.subject.branch).filter(Boolean))];
    return [projects.join(', '), branches.length ? `on ${branches.join(', ')}` : ''].filter(Boolean).join(' ');
  }, [events]);
  const commit = thread?.commit ?? wanted;

  return (
    <div className="page thread">
      <header className="page-header">
        <h1>
          Commit <span className="mono">{shortCommit(commit)}</span>
        </h1>
        <p className="page-header__meta" aria-live="polite" data-state={thread ? 'ready' : 'loading'}>
          {error ? '' : thread ? `${events.length} event${events.length === 1 ? '' : 's'}${where ? ` · ${where}` : ''}` : wanted ? 'Loading…' : ''}
        </p>
      </header>
      <p className="mono muted small thread__sha" data-testid="thread-sha">
        {commit}
      </p>
      {!wanted && <p className="empty">No commit given: open a thread from an event or from Now.</p>}
      {error && (
        <p className="error-text" role="alert">
          Could not load the thread: {error.message}
        </p>
      )}
      {thread && (
        <>
          <ol className="stages" aria-label="Stages">
            {stages.map((s) => (
              <li key={s.stage} className={`stage stage--${s.outcome}`} data-stage={s.stage}>
                <span className="stage__name">{STAGE_LABEL[s.stage]}</span>
                <span className="stage__outcome">{outcomeText(s.stage, s.outcome)}</span>
              </li>
            ))}
          </ol>
          {events.length === 0 ? (
            <p className="empty">
              No event carries this commit yet. Sources that know a commit (GitHub, GitLab, Jenkins, Kosli, DefectDojo, the generic source) add it; new ones join
              here as they arrive.
            </p>
          ) : (
            <ol className="timeline" aria-label="Timeline">
              {events.map((event) => (
                <TimelineEntry key={event.id} event={event} />
              ))}
            </ol>
          )}
          {thread.truncated && <p className="muted small">Only the first {events.length} events are shown.</p>}
          <p className="small">
            <a href={`${pageHref('history')}`}>All events in History</a>
          </p>
        </>
      )}
    </div>
  );
}

function TimelineEntry(props: { event: HeraldEvent }) {
  const { event } = props;
  const stage = stageOf(event);
  const href = safeHref(event.url);
  const place = [event.subject.environment && `in ${event.subject.environment}`, event.subject.branch && `on ${event.subject.branch}`, event.subject.artifact]
    .filter(Boolean)
    .join(' · ');
  return (
    <li className={`timeline__entry timeline__entry--${event.severity}`} data-event-id={event.id} data-stage={stage}>
      <span className="timeline__dot" aria-hidden="true" />
      <div className="timeline__body">
        <p className="timeline__meta small">
          <span className="timeline__stage">{STAGE_LABEL[stage]}</span>
          <time className="mono muted" dateTime={event.occurredAt}>
            {formatDateTime(event.occurredAt)}
          </time>
          <span className="muted">
            {event.source.name} <span className="mono">({event.source.kind})</span>
          </span>
        </p>
        <p className="timeline__title">
          <a href={eventHref(event.id)}>{event.title}</a> <SeverityBadge severity={event.severity} />
        </p>
        {(place || event.actor) && (
          <p className="muted small">
            {place}
            {place && event.actor ? ' · ' : ''}
            {event.actor && `by ${event.actor}`}
          </p>
        )}
        {href && (
          <p className="small">
            <a href={href} target="_blank" rel="noopener noreferrer" className="mono timeline__link">
              {href}
            </a>
          </p>
        )}
      </div>
    </li>
  );
}

// The live half of a source's row: what to paste into the sending tool (and how), the relay
// client's state, the poll schedule, the last request Herald ignored. Text from the hub
// (errors, reasons, URLs) is rendered as text, never as markup.
import { type ReactNode, useEffect, useState } from 'react';
import type { SourceView } from '../../../shared/api.js';
import { DEVTRON_PAYLOAD_TEMPLATE, DEVTRON_SECRET_HEADER } from '../../../shared/devtron-payload.js';
import { formatDuration } from '../../../shared/duration.js';
import { HealthBadge } from '../../components/badges.js';
import { CopyButton } from '../../components/buttons.js';
import { formatAgo } from '../../lib/time.js';
import { DEFAULT_POLL_SECONDS, describeIgnored, describePoll, describeRejected, describeRelay, describeSubscription, SUBSCRIBED_KINDS, type Tone } from './runtime-text.js';

/** The relay a webhook source's requests come through, when it has one. */
export function relayUrlOf(view: SourceView): string | undefined {
  return 'relayUrl' in view.config && view.config.relayUrl ? view.config.relayUrl : undefined;
}

/** The hub writes this where the secret goes in a URL (Jenkins, Kosli, Chainloop); the hint says to replace it. */
export const TOKEN_PLACEHOLDER = '<token>';

/** The current time, refreshed every `ms`: countdowns and "12 s ago" stay true without a refetch. */
function useNow(ms = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return now;
}

/**
 * @param receivedAt when this view came from the hub (a relay's retry wait counts from then).
 */
export function ConnectionCell(props: { view: SourceView; polled: boolean; receivedAt: number }) {
  const { view, polled, receivedAt } = props;
  const now = useNow();
  const { name, kind, enabled } = view.config;
  const relayUrl = relayUrlOf(view);

  if (polled) {
    const interval = ('pollIntervalSeconds' in view.config ? view.config.pollIntervalSeconds : undefined) ?? DEFAULT_POLL_SECONDS[kind];
    if (!enabled) return <span className="muted small">paused: not polling</span>;
    if (!view.poll) return <span className="muted small">{interval ? `polls every ${formatDuration(interval * 1000, 'exact')}` : 'polls on a schedule'}</span>;
    const line = describePoll(view.poll, interval, now);
    return (
      <div className="runtime" data-testid="poll-status">
        <StatusLine tone={line.tone}>{line.schedule}</StatusLine>
        {line.backoff && <div className="runtime__note warn-text">{line.backoff}</div>}
        {line.error && <div className="runtime__note error-text">{line.error}</div>}
        {line.notice && <div className="runtime__note warn-text">{line.notice}</div>}
        {line.budget && <div className="runtime__note muted" data-testid="poll-budget">{line.budget}</div>}
      </div>
    );
  }

  if (SUBSCRIBED_KINDS.has(kind)) {
    if (!enabled) return <span className="muted small">paused: not connected</span>;
    if (!view.subscription) return <span className="muted small">not running</span>;
    const line = describeSubscription(view.subscription, now, receivedAt);
    return (
      <div className="runtime" data-testid="subscription-status">
        <StatusLine tone={line.tone}>
          {line.state}
          {line.detail && <span className="muted"> · {line.detail}</span>}
        </StatusLine>
        {line.error && (
          <div className={`runtime__note ${view.subscription.state === 'connected' ? 'muted' : 'error-text'}`}>
            {view.subscription.state === 'connected' ? `last problem: ${line.error}` : line.error}
          </div>
        )}
      </div>
    );
  }

  return (
    <div className="runtime">
      {relayUrl ? (
        <div className="url-cell">
          <span className="runtime__label">relay</span>
          <code className="mono">{relayUrl}</code>
          <CopyButton value={relayUrl} what={`relay URL of ${name}`} />
        </div>
      ) : (
        <div className="url-cell">
          <UrlWithPlaceholder url={view.ingressUrl} />
          <CopyButton value={view.ingressUrl} what={`ingress URL of ${name}`} />
        </div>
      )}
      {relayUrl && <RelayStatus view={view} enabled={enabled} now={now} receivedAt={receivedAt} />}
      {view.ingressHint && (
        <details className="setup">
          <summary>
            How to set up<span className="visually-hidden"> {name}</span>
          </summary>
          <p>{view.ingressHint}</p>
          {kind === 'devtron' && <DevtronPayload />}
        </details>
      )}
    </div>
  );
}

/** What to paste into Devtron's webhook configuration: the header that carries the secret and the body. */
export function DevtronPayload() {
  return (
    <div className="devtron-payload" data-testid="devtron-payload">
      <p className="field__hint">
        Header: <code className="mono">{DEVTRON_SECRET_HEADER}</code> with this source&apos;s secret as its value.
      </p>
      <p className="field__hint">
        Data to be shared through webhook <CopyButton value={DEVTRON_PAYLOAD_TEMPLATE} what="Devtron payload" />
      </p>
      <pre className="code">{DEVTRON_PAYLOAD_TEMPLATE}</pre>
    </div>
  );
}

function RelayStatus(props: { view: SourceView; enabled: boolean; now: number; receivedAt: number }) {
  const { relay } = props.view;
  if (!props.enabled) return <StatusLine tone="muted">relay off while paused</StatusLine>;
  if (!relay) return <StatusLine tone="muted">relay not running</StatusLine>;
  const line = describeRelay(relay, props.now, props.receivedAt);
  return (
    <div data-testid="relay-status">
      <StatusLine tone={line.tone}>
        {line.state}
        {line.detail && <span className="muted"> · {line.detail}</span>}
      </StatusLine>
      {line.error && (
        <div className={`runtime__note ${relay.state === 'connected' ? 'muted' : 'error-text'}`}>
          {relay.state === 'connected' ? `last problem: ${line.error}` : line.error}
        </div>
      )}
    </div>
  );
}

/** A coloured dot as an aid; the words carry the state. */
function StatusLine(props: { tone: Tone; children: ReactNode }) {
  return (
    <div className="runtime__line">
      <span className={`dot dot--${props.tone}`} aria-hidden="true" />
      <span>{props.children}</span>
    </div>
  );
}

/** The URL as text, with the secret's placeholder marked so it is not pasted as is. */
function UrlWithPlaceholder(props: { url: string }) {
  const parts = props.url.split(TOKEN_PLACEHOLDER);
  return (
    <code className="mono">
      {parts.map((part, i) => (
        <span key={i}>
          {part}
          {i < parts.length - 1 && (
            <span className="placeholder" title="replace with this source's secret">
              {TOKEN_PLACEHOLDER}
            </span>
          )}
        </span>
      ))}
    </code>
  );
}

/** When the last event was stored, and the last request answered but not stored (a ping…). */
export function LastEvent(props: { view: SourceView }) {
  const { lastEventAt, lastIgnored } = props.view;
  const now = useNow();
  return (
    <>
      {lastEventAt ? formatAgo(lastEventAt, now) : 'never'}
      {lastIgnored && (
        <div className="runtime__note muted" data-testid="last-ignored">
          {describeIgnored(lastIgnored, now)}
        </div>
      )}
    </>
  );
}

/**
 * Health as the user needs it: a source that cannot resolve its secret, or whose last
 * request was refused, is not "healthy" whatever its poll or relay says; the last refused
 * request stays visible (quieter) after the sender got it right.
 */
export function SourceHealth(props: { view: SourceView }) {
  const { view } = props;
  const now = useNow();
  const { enabled } = view.config;
  const { attention, needsSecret, lastRejected } = view;
  return (
    <div className="runtime" data-testid="source-health">
      {attention ? (
        <span className="badge badge--bad" title={attention}>
          {needsSecret ? 'needs its secret' : 'refusing requests'}
        </span>
      ) : (
        <HealthBadge health={view.health} enabled={enabled} />
      )}
      {enabled && needsSecret && <div className="error-text small">{needsSecret}</div>}
      {!needsSecret && !view.health.healthy && view.health.lastError && <div className="error-text small">{view.health.lastError}</div>}
      {lastRejected && (
        <div className={`small ${attention && !needsSecret ? 'error-text' : 'muted'}`} data-testid="last-rejected">
          {describeRejected(lastRejected, view.rejectedLastHour, now)}
        </div>
      )}
    </div>
  );
}

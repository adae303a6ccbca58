// Small status marks: severity, health, delivery status. Text always, colour only as an aid.
import type { HealthState } from '../../shared/api.js';
import type { Severity } from '../../shared/event.js';
import { formatAgo } from '../lib/time.js';

export function SeverityBadge(props: { severity: Severity }) {
  return <span className={`badge badge--sev-${props.severity}`}>{props.severity}</span>;
}

export function HealthBadge(props: { health: HealthState; enabled?: boolean }) {
  if (props.enabled === false) return <span className="badge badge--muted">paused</span>;
  const { health } = props;
  const failures = `${health.consecutiveFailures} ${health.consecutiveFailures === 1 ? 'failure' : 'failures'}`;
  if (!health.healthy) {
    return (
      <span className="badge badge--bad" title={`${failures} in a row${health.lastError ? `: ${health.lastError}` : ''}`}>
        unhealthy
      </span>
    );
  }
  // Failing, not yet unhealthy (a failure or two of the hub's "unhealthy after"): "healthy" beside
  // the red reason read as a contradiction.
  if (health.consecutiveFailures > 0) {
    return (
      <span className="badge badge--warn" title={`${failures} in a row, not yet unhealthy${health.lastError ? `: ${health.lastError}` : ''}`}>
        {failures}
      </span>
    );
  }
  return (
    <span className="badge badge--ok" title={health.lastSuccessAt ? `last success ${formatAgo(health.lastSuccessAt)}` : 'no activity yet'}>
      healthy
    </span>
  );
}

export function StatusBadge(props: { status: string }) {
  const tone =
    props.status === 'delivered' ? 'ok' : props.status === 'failed' ? 'bad' : props.status === 'cancelled' ? 'muted' : 'warn';
  return <span className={`badge badge--${tone}`}>{props.status}</span>;
}

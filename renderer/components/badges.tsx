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
  const title = health.healthy
    ? health.lastSuccessAt
      ? `last success ${formatAgo(health.lastSuccessAt)}`
      : 'no activity yet'
    : `${health.consecutiveFailures} failures in a row${health.lastError ? `: ${health.lastError}` : ''}`;
  return (
    <span className={`badge ${health.healthy ? 'badge--ok' : 'badge--bad'}`} title={title}>
      {health.healthy ? 'healthy' : 'unhealthy'}
    </span>
  );
}

export function StatusBadge(props: { status: string }) {
  const tone =
    props.status === 'delivered' ? 'ok' : props.status === 'failed' ? 'bad' : props.status === 'cancelled' ? 'muted' : 'warn';
  return <span className={`badge badge--${tone}`}>{props.status}</span>;
}

// Chainloop's audit events in Herald's words. The control plane publishes each audit entry
// to JetStream (app/controlplane/pkg/auditor/nats.go) on `audit.<target>.<action>` (both
// lower-cased) as `EventPayload{EventType:"AUDIT_EVENT", Timestamp, Data}` with
// Data = `AuditEventPayload{ActionType, TargetType, TargetID, ActorType, ActorID, ActorEmail,
// ActorName, OrgID, Description, Info, Digest}` (logentry.go; Info per event in events/*.go).
//
//   CASBackendStatusChanged, Info.new_status "Invalid"          → health.storage_unhealthy
//   CASBackendStatusChanged, Info.new_status "OK", is_recovery   → health.storage_recovered
//   ProjectVersionCreated                                        → release.created
//   ProjectVersionUpdated, Info.marked_as_latest                 → release.created ("is the latest")
//   anything else → chainloop.<target>.<action> (snake case, info), titled by its Description
import type { EventInput, Subject } from '../../../shared/event.js';
import { isObject, optionalText } from './poll-http.js';

type Obj = Record<string, unknown>;

/** `CASBackendStatusChanged` → `cas_backend_status_changed`. */
export function snakeCase(name: string): string {
  return name
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .toLowerCase();
}

export type AuditMapping = { kind: 'events'; events: EventInput[] } | { kind: 'unreadable'; reason: string };

/** One JetStream message (its subject and bytes) → the event it stands for. */
export function mapAuditMessage(subject: string, bytes: Uint8Array): AuditMapping {
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch (error) {
    return { kind: 'unreadable', reason: `message on ${subject} is not JSON: ${(error as Error).message}` };
  }
  if (!isObject(payload) || !isObject(payload.Data)) return { kind: 'unreadable', reason: `message on ${subject} is not a Chainloop audit event (no Data object)` };
  const d = payload.Data;
  const action = optionalText(d.ActionType, 100);
  const target = optionalText(d.TargetType, 100);
  if (!action || !target) return { kind: 'unreadable', reason: `message on ${subject} is not a Chainloop audit event (no ActionType or TargetType)` };
  const info = isObject(d.Info) ? d.Info : {};
  const text = (o: Obj, key: string, max = 300) => optionalText(o[key], max);
  const description = text(d, 'Description', 2000);
  const actor = text(d, 'ActorEmail', 200) ?? text(d, 'ActorName', 200) ?? (d.ActorType === 'SYSTEM' ? 'Chainloop' : undefined);
  const timestamp = Date.parse(String(payload.Timestamp ?? ''));
  const occurredAt = Number.isNaN(timestamp) ? undefined : new Date(timestamp).toISOString();
  const targetId = text(d, 'TargetID', 100);
  const data: Obj = {
    actionType: action,
    targetType: target,
    ...(targetId && { targetId }),
    ...(text(d, 'OrgID', 100) && { orgId: text(d, 'OrgID', 100) }),
    ...(text(d, 'ActorType', 50) && { actorType: text(d, 'ActorType', 50) }),
    ...(text(d, 'Digest', 100) && { digest: text(d, 'Digest', 100) }),
  };
  const common = { ...(actor && { actor }), ...(occurredAt && { occurredAt }) };

  if (action === 'CASBackendStatusChanged') {
    const name = text(info, 'cas_backend_name') ?? targetId ?? 'CAS backend';
    const provider = text(info, 'provider', 100);
    const status = text(info, 'new_status', 50);
    const subject: Subject = { project: name };
    const statusData = { ...data, backend: name, ...(provider && { provider }), previousStatus: text(info, 'previous_status', 50) ?? null, newStatus: status ?? null };
    const error = text(info, 'status_error', 2000);
    if (status?.toLowerCase() === 'invalid') {
      return {
        kind: 'events',
        events: [
          {
            type: 'health.storage_unhealthy',
            title: `Chainloop storage backend "${name}" is unhealthy`,
            summary: [description, error && `Error: ${error}`, 'Attestations and artifacts cannot be stored in it until it is valid again.'].filter(Boolean).join('\n'),
            subject,
            ...common,
            dedupKey: `chainloop:cas-backend:${targetId ?? name}:unhealthy`,
            data: { ...statusData, ...(error && { statusError: error }) },
          },
        ],
      };
    }
    if (status?.toLowerCase() === 'ok' && info.is_recovery === true) {
      return {
        kind: 'events',
        events: [
          {
            type: 'health.storage_recovered',
            title: `Chainloop storage backend "${name}" works again`,
            ...(description && { summary: description }),
            subject,
            ...common,
            dedupKey: `chainloop:cas-backend:${targetId ?? name}:recovered`,
            data: statusData,
          },
        ],
      };
    }
  }

  const project = text(info, 'project_name');
  const version = text(info, 'version', 100);
  const releaseData = { ...data, ...(project && { project }), ...(version && { version }), ...(text(info, 'version_id', 100) && { versionId: text(info, 'version_id', 100) }) };
  if (action === 'ProjectVersionCreated' && project && version) {
    const prerelease = info.prerelease === true;
    return {
      kind: 'events',
      events: [
        {
          type: 'release.created',
          title: `${project} ${version} ${prerelease ? 'pre-release created' : 'released'}`,
          ...(description && { summary: description }),
          subject: { project },
          ...common,
          data: { ...releaseData, prerelease },
        },
      ],
    };
  }
  if (action === 'ProjectVersionUpdated' && project && version && info.marked_as_latest === true) {
    return {
      kind: 'events',
      events: [
        {
          type: 'release.created',
          title: `${project} ${version} is the latest release`,
          ...(description && { summary: description }),
          subject: { project },
          ...common,
          data: { ...releaseData, markedAsLatest: true },
        },
      ],
    };
  }

  const type = `chainloop.${snakeCase(target).slice(0, 40) || 'target'}.${snakeCase(action).slice(0, 50) || 'action'}`;
  return {
    kind: 'events',
    events: [
      {
        type,
        title: (description ?? `${action} on ${target}${targetId ? ` ${targetId}` : ''}`).replace(/\s+/g, ' ').slice(0, 500),
        ...(project && { subject: { project } }),
        ...common,
        data: { ...data, ...(Object.keys(info).length > 0 && JSON.stringify(info).length <= 4000 && { info }) },
      },
    ],
  };
}

// Sources: where events come from. Each has an ingress URL (or relay URL) and a shared
// secret to give to the sending tool; a new source's generated secret is shown once, to
// copy. Each row also shows what the running hub knows: relay state, poll schedule, the
// last request it ignored.
import { useEffect, useMemo, useState } from 'react';
import type { ApiOutput } from '../../../shared/api.js';
import { SECRET_FIELDS, SourceSchema } from '../../../shared/config.js';
import { asError, onConfig, useApi, useResource } from '../../api/context.js';
import { useHub } from '../../app/status.js';
import { HealthBadge } from '../../components/badges.js';
import { ConfirmButton, CopyButton } from '../../components/buttons.js';
import { KindForm } from '../../components/KindForm.js';
import { useToast } from '../../components/Toasts.js';
import { generateSecret } from '../../lib/ids.js';
import { kindsOf } from '../../lib/schema-fields.js';
import { nextRefreshDelay } from './runtime-text.js';
import { ConnectionCell, DevtronPayload, LastEvent } from './SourceRuntime.js';
import './sources.css';

type SourceView = ApiOutput<'sources.list'>[number];

const KIND_LABELS: Record<string, string> = {
  generic: 'Generic webhook (Herald event JSON)',
  github: 'GitHub webhook',
  gitlab: 'GitLab webhook',
  jenkins: 'Jenkins (Notification plugin)',
  cctray: 'cctray feed (polls)',
  kosli: 'Kosli (polls environments)',
  'kosli-webhook': 'Kosli webhook',
  secobserve: 'SecObserve (polls)',
  defectdojo: 'DefectDojo (polls)',
  'defectdojo-webhook': 'DefectDojo webhook',
  'chainloop-webhook': 'Chainloop webhook (attestations)',
  'chainloop-audit': 'Chainloop audit events (NATS JetStream)',
  devtron: 'Devtron webhook',
  'devtron-poll': 'Devtron (polls workflow status)',
  'github-actions': 'GitHub Actions (polls with your token)',
  'gitlab-ci': 'GitLab CI (polls with your token)',
};
const KIND_HINTS: Record<string, string> = {
  generic: 'Any tool that can POST JSON: send Herald events with the secret as a Bearer token or an HMAC signature.',
  github: 'Add a webhook in the repository or organisation settings: the ingress URL, content type JSON, this secret.',
  gitlab: 'Project or group webhook: the ingress URL and this secret as the secret token.',
  jenkins: 'Notification plugin endpoint (JSON, HTTP): the ingress URL, with <token> replaced by this secret.',
  'kosli-webhook': 'A Kosli custom webhook notification pointing at the ingress URL.',
  'defectdojo-webhook': "DefectDojo's notification webhook pointing at the ingress URL.",
  'github-actions': 'No webhook needed: your personal access token (repo scope, or fine-grained Actions and Deployments: read) and the repositories to watch.',
  'gitlab-ci': 'No webhook needed: a personal access token with read_api and the projects to watch.',
  'chainloop-webhook':
    "Chainloop's webhook integration: each stored attestation becomes its workflow run and, when it evaluated policies, the project's compliance. The secret goes in the URL.",
  'chainloop-audit':
    "Reads the control plane's audit stream from its NATS server: storage backend health, project releases, and every other audit event. Nothing to set up in Chainloop.",
  devtron: "A Devtron webhook notification: paste the payload Herald shows and send this secret in the X-Herald-Token header.",
  'devtron-poll': "Polls Devtron's workflow status for your apps with an API token; raises CI and CD transitions. Apps: ids, optionally with names (12:payments).",
};

/** Kinds that reach out on a schedule rather than wait for webhooks: no ingress URL to give anyone. */
const POLLING_KINDS = new Set(
  [...kindsOf(SourceSchema)].filter(([, schema]) => 'pollIntervalSeconds' in (schema as unknown as { shape: object }).shape).map(([kind]) => kind),
);

type Mode = { kind: 'list' } | { kind: 'add' } | { kind: 'edit'; id: string };

export function SourcesPage() {
  const invoke = useApi();
  const toast = useToast();
  const { status } = useHub();
  const sources = useResource('sources.list', {}, (u) => onConfig('sources')(u) || u.type === 'health.changed' || u.type === 'event.created');
  const [mode, setMode] = useState<Mode>({ kind: 'list' });
  const [created, setCreated] = useState<{ view: SourceView; secret?: string }>();
  const [testing, setTesting] = useState<string>();
  const keychainAvailable = status?.keychain.available ?? true;
  // Relay retry waits count from when the view arrived.
  const receivedAt = useMemo(() => Date.now(), [sources.data]);

  // The hub announces relay changes and health transitions; a routine poll or an ignored
  // request it does not, so ask again when a poll is due, and now and then.
  const { reload } = sources;
  useEffect(() => {
    if (!sources.data) return;
    const timer = setTimeout(reload, nextRefreshDelay(sources.data.map((s) => s.poll), Date.now()));
    return () => clearTimeout(timer);
  }, [sources.data, reload]);

  const editing = mode.kind === 'edit' ? sources.data?.find((s) => s.config.id === mode.id) : undefined;

  const setEnabled = async (view: SourceView, enabled: boolean) => {
    try {
      await invoke('sources.update', { config: { ...view.config, enabled }, secrets: {} });
      toast(`${String(view.config.name)} ${enabled ? 'resumed' : 'paused'}`);
      sources.reload();
    } catch (e) {
      toast(asError(e).message, 'error');
    }
  };

  const test = async (id: string) => {
    setTesting(id);
    try {
      const result = await invoke('sources.test', { id });
      toast(result.ok ? `Connection OK: ${result.detail}` : `Connection failed: ${result.detail}`, result.ok ? 'ok' : 'error');
    } catch (e) {
      toast(`Test failed: ${asError(e).message}`, 'error');
    } finally {
      setTesting(undefined);
    }
  };

  return (
    <div className="page sources-page">
      <header className="page-header">
        <h1>Sources</h1>
        {mode.kind === 'list' && (
          <button
            type="button"
            className="btn btn--primary"
            onClick={() => {
              setCreated(undefined);
              setMode({ kind: 'add' });
            }}
          >
            Add source
          </button>
        )}
      </header>

      {created && <CreatedSource view={created.view} secret={created.secret} onDone={() => setCreated(undefined)} />}

      {(mode.kind === 'add' || editing) && (
        <KindForm
          key={mode.kind === 'edit' ? mode.id : 'new'}
          noun="source"
          union={SourceSchema}
          secretFields={SECRET_FIELDS}
          kindLabels={KIND_LABELS}
          kindHints={KIND_HINTS}
          keychainAvailable={keychainAvailable}
          generateSecret={generateSecret}
          {...(editing && { existing: { config: editing.config, secrets: editing.secrets } })}
          onCancel={() => setMode({ kind: 'list' })}
          onSubmit={async ({ config, secrets, clearSecrets }) => {
            if (mode.kind === 'add') {
              const view = await invoke('sources.create', { config, secrets });
              setCreated({ view, ...(secrets.secret !== undefined && { secret: secrets.secret }) });
              toast(`Source ${String(view.config.name)} added`);
            } else {
              const view = await invoke('sources.update', { config, secrets, clearSecrets });
              if (secrets.secret !== undefined) setCreated({ view, secret: secrets.secret });
              toast(`Source ${String(view.config.name)} saved`);
            }
            setMode({ kind: 'list' });
            sources.reload();
          }}
        />
      )}

      {sources.error && (
        <p className="error-text" role="alert">
          Could not load sources: {sources.error.message}
        </p>
      )}
      {sources.data && sources.data.length === 0 && mode.kind === 'list' && !created && (
        <p className="empty">No sources yet. Add one to start receiving events.</p>
      )}
      {sources.data && sources.data.length > 0 && (
        <table className="table sources-table">
          <thead>
            <tr>
              <th scope="col">Source</th>
              <th scope="col">Connection</th>
              <th scope="col">Last event</th>
              <th scope="col" className="num">
                Events
              </th>
              <th scope="col">Health</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {sources.data.map((s) => {
              const id = String(s.config.id);
              const name = String(s.config.name);
              const kind = String(s.config.kind);
              const enabled = s.config.enabled !== false;
              return (
                <tr key={id} data-source-id={id}>
                  <td className="source-cell">
                    <div className="cell-title">{name}</div>
                    <div className="muted mono source-cell__id">
                      {id} · {kind}
                    </div>
                  </td>
                  <td className="connection-cell">
                    <ConnectionCell view={s} polled={POLLING_KINDS.has(kind)} receivedAt={receivedAt} />
                  </td>
                  <td className="last-event-cell">
                    <LastEvent view={s} />
                  </td>
                  <td className="num mono">{s.eventCount.toLocaleString('en-US')}</td>
                  <td>
                    <HealthBadge health={s.health} enabled={enabled} />
                    {!s.health.healthy && s.health.lastError && <div className="error-text small">{s.health.lastError}</div>}
                  </td>
                  <td className="actions">
                    <button
                      type="button"
                      className="btn btn--small"
                      disabled={testing === id}
                      aria-label={`Test connection of ${name}`}
                      onClick={() => void test(id)}
                    >
                      {testing === id ? 'Testing…' : 'Test'}
                    </button>
                    <button type="button" className="btn btn--small" aria-label={`${enabled ? 'Pause' : 'Resume'} ${name}`} onClick={() => void setEnabled(s, !enabled)}>
                      {enabled ? 'Pause' : 'Resume'}
                    </button>
                    <button
                      type="button"
                      className="btn btn--small"
                      aria-label={`Edit ${name}`}
                      onClick={() => {
                        setCreated(undefined);
                        setMode({ kind: 'edit', id });
                      }}
                    >
                      Edit
                    </button>
                    <ConfirmButton
                      label="Delete"
                      ariaLabel={`Delete ${name}`}
                      className="btn btn--small btn--danger-ghost"
                      onConfirm={async () => {
                        try {
                          await invoke('sources.delete', { id });
                          toast(`Source ${name} deleted`);
                          if (mode.kind === 'edit' && mode.id === id) setMode({ kind: 'list' });
                          sources.reload();
                        } catch (e) {
                          toast(asError(e).message, 'error');
                        }
                      }}
                    />
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </div>
  );
}

/** Shown right after create (or a new secret): the only time the secret is on screen. */
function CreatedSource(props: { view: SourceView; secret?: string | undefined; onDone(): void }) {
  const { view, secret } = props;
  const relayUrl = typeof view.config.relayUrl === 'string' && view.config.relayUrl !== '' ? view.config.relayUrl : undefined;
  // Herald's own event JSON: only a generic source takes it.
  const example =
    secret && view.config.kind === 'generic'
      ? `curl -X POST '${view.ingressUrl}' \\\n  -H 'Authorization: Bearer ${secret}' \\\n  -H 'Content-Type: application/json' \\\n  -d '{"type":"pipeline.failed","title":"Build failed","subject":{"project":"api","branch":"main"}}'`
      : undefined;
  return (
    <section className="card reveal" aria-labelledby="reveal-title" role="status">
      <h2 id="reveal-title">{String(view.config.name)} is ready</h2>
      <dl className="fields">
        {!POLLING_KINDS.has(String(view.config.kind)) && (
          <>
            <dt>Ingress URL</dt>
            <dd>
              <code className="mono" data-testid="ingress-url">
                {view.ingressUrl}
              </code>{' '}
              <CopyButton value={view.ingressUrl} what="ingress URL" />
            </dd>
          </>
        )}
        {relayUrl && (
          <>
            <dt>Relay URL</dt>
            <dd>
              <code className="mono">{relayUrl}</code> <CopyButton value={relayUrl} what="relay URL" />
            </dd>
          </>
        )}
        {secret && (
          <>
            <dt>Secret</dt>
            <dd>
              <code className="mono secret-value" data-testid="source-secret">
                {secret}
              </code>{' '}
              <CopyButton value={secret} what="secret" />
              <p className="field__hint">Copy it now: Herald keeps it in the keychain and will not show it again.</p>
            </dd>
          </>
        )}
      </dl>
      {view.ingressHint && <p className="setup-hint">{view.ingressHint}</p>}
      {view.config.kind === 'devtron' && <DevtronPayload />}
      {example && (
        <details>
          <summary>Try it with curl</summary>
          <pre className="code">{example}</pre>
        </details>
      )}
      <button type="button" className="btn" onClick={props.onDone}>
        Done
      </button>
    </section>
  );
}

// Sources: where events come from. Each has an ingress URL (or relay URL) and a shared
// secret to give to the sending tool; a new source's generated secret is shown once, to
// copy — without a keychain, with the step that makes it available to the hub (a variable
// to export or a file to write), and the source waits for it. Each row also shows what the
// running hub knows: relay state, poll schedule, the last request it ignored or refused.
import { useEffect, useMemo, useState } from 'react';
import type { SourceView } from '../../../shared/api.js';
import { SECRET_FIELDS, SourceSchema } from '../../../shared/config.js';
import { asError, onConfig, useApi, useResource } from '../../api/context.js';
import { useHub } from '../../app/status.js';
import { CopyButton } from '../../components/buttons.js';
import { ItemActions, ItemList, ItemTitle } from '../../components/ItemList.js';
import { KindForm } from '../../components/KindForm.js';
import { useToast } from '../../components/Toasts.js';
import { generateSecret } from '../../lib/ids.js';
import { kindsOf } from '../../lib/schema-fields.js';
import { ConnectCi, type CiProvider } from './ConnectCi.js';
import { nextRefreshDelay, SUBSCRIBED_KINDS } from './runtime-text.js';
import { ConnectionCell, DevtronPayload, LastEvent, relayUrlOf, SourceHealth, TOKEN_PLACEHOLDER } from './SourceRuntime.js';
import './sources.css';

/** A generated secret the hub never saw (no keychain), and the ref where it must go. */
type PendingSecret = { value: string; ref: string };

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
  'kosli-webhook': 'A Kosli custom webhook notification: the ingress URL, with <token> replaced by this secret (Kosli takes only a URL).',
  'defectdojo-webhook': "DefectDojo's notification webhook: the ingress URL, and this secret as a Bearer token in its custom header.",
  cctray: 'Polls a cctray XML feed (Jenkins, GoCD, TeamCity, Buildkite…) and raises what changed: a build that starts, fails, recovers.',
  kosli: "Polls Kosli's environment snapshots with an API token and raises what changed: artifacts started, stopped or scaled, compliance.",
  secobserve: 'Polls SecObserve with an API token: product security gates failing or passing, and exception notifications.',
  defectdojo: 'Polls DefectDojo API v2 with your API key: new findings at or above a severity, imported scans, new products, upcoming engagements.',
  'github-actions': 'No webhook needed: your personal access token (repo scope, or fine-grained Actions and Deployments: read) and the repositories to watch.',
  'gitlab-ci': 'No webhook needed: a personal access token with read_api and the projects to watch.',
  'chainloop-webhook':
    "Chainloop's webhook integration: each stored attestation becomes its workflow run and, when it evaluated policies, the project's compliance. The secret goes in the URL.",
  'chainloop-audit':
    "Reads the control plane's audit stream from its NATS server: storage backend health, project releases, and every other audit event. Nothing to set up in Chainloop.",
  devtron: "A Devtron webhook notification: paste the payload Herald shows and send this secret in the X-Herald-Token header.",
  'devtron-poll': "Polls Devtron's workflow status for your apps with an API token; raises CI and CD transitions. Apps: ids, optionally with names (12:payments).",
};

/** Polled kinds that raise transitions only: their first poll is a baseline and raises nothing. */
const BASELINE_KINDS = new Set(['github-actions', 'gitlab-ci', 'cctray', 'devtron-poll']);

/** Kinds that reach out on a schedule rather than wait for webhooks: no ingress URL to give anyone. */
const POLLING_KINDS = new Set(
  [...kindsOf(SourceSchema)].filter(([, schema]) => 'pollIntervalSeconds' in (schema as unknown as { shape: object }).shape).map(([kind]) => kind),
);

type Mode = { kind: 'list' } | { kind: 'add' } | { kind: 'edit'; id: string } | { kind: 'connect'; provider: CiProvider };

export function SourcesPage() {
  const invoke = useApi();
  const toast = useToast();
  const { status } = useHub();
  const sources = useResource('sources.list', {}, (u) => onConfig('sources')(u) || u.type === 'health.changed' || u.type === 'event.created');
  const [mode, setMode] = useState<Mode>({ kind: 'list' });
  // Where the keyboard focus goes once a panel closes or opens (its opener, the new secret,
  // the edited row): the element that had it is gone, and the focus would fall to the page.
  const [focusNext, setFocusNext] = useState<string>();
  const close = (focus: string) => {
    setMode({ kind: 'list' });
    setFocusNext(focus);
  };
  const [created, setCreated] = useState<{ view: SourceView; secret?: string; pending?: PendingSecret }>();
  const [testing, setTesting] = useState<string>();
  const keychainAvailable = status?.keychain.available ?? true;
  const secretFileDir = status?.dataDir ? `${status.dataDir}${status.dataDir.includes('\\') && !status.dataDir.includes('/') ? '\\' : '/'}secrets` : undefined;
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
  const editButton = (id: string) => `tr[data-source-id="${CSS.escape(id)}"] [aria-label^="Edit "]`;

  useEffect(() => {
    if (focusNext === undefined) return;
    const target = document.querySelector<HTMLElement>(focusNext);
    if (!target) return; // not rendered yet: the next render tries again
    target.focus();
    setFocusNext(undefined);
  });

  const setEnabled = async (view: SourceView, enabled: boolean) => {
    try {
      await invoke('sources.update', { config: { ...view.config, enabled }, secrets: {} });
      toast(`${view.config.name} ${enabled ? 'resumed' : 'paused'}`);
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
          <div className="header-actions">
            <button type="button" className="btn" data-opener="connect-github-actions" onClick={() => setMode({ kind: 'connect', provider: 'github-actions' })}>
              Connect GitHub
            </button>
            <button type="button" className="btn" data-opener="connect-gitlab-ci" onClick={() => setMode({ kind: 'connect', provider: 'gitlab-ci' })}>
              Connect GitLab
            </button>
            <button
              type="button"
              className="btn btn--primary"
              data-opener="add"
              onClick={() => {
                setCreated(undefined);
                setMode({ kind: 'add' });
              }}
            >
              Add source
            </button>
          </div>
        )}
      </header>

      {mode.kind === 'connect' && (
        <ConnectCi
          key={mode.provider}
          provider={mode.provider}
          keychainAvailable={keychainAvailable}
          takenIds={(sources.data ?? []).map((s) => s.config.id)}
          onCancel={() => close(`[data-opener="connect-${mode.provider}"]`)}
          onAdded={(name) => {
            toast(`Source ${name} added`);
            close(`[data-opener="connect-${mode.provider}"]`);
            sources.reload();
          }}
        />
      )}

      {created && (
        <CreatedSource
          // The list's copy is the live one: it says when the secret has arrived.
          view={sources.data?.find((s) => s.config.id === created.view.config.id) ?? created.view}
          secret={created.secret}
          pending={created.pending}
          waitedAtFirst={created.view.needsSecret !== undefined}
          onRecheck={sources.reload}
          onDone={() => {
            setCreated(undefined);
            setFocusNext('[data-opener="add"]');
          }}
        />
      )}

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
          secretFileDir={secretFileDir}
          {...(editing && { existing: { config: editing.config, secrets: editing.secrets } })}
          onCancel={() => close(mode.kind === 'edit' ? editButton(mode.id) : '[data-opener="add"]')}
          onSubmit={async ({ config, secrets, clearSecrets, pendingSecrets }) => {
            const pending = pendingSecrets.secret;
            const shown = { ...(secrets.secret !== undefined && { secret: secrets.secret }), ...(pending && { pending }) };
            if (mode.kind === 'add') {
              const view = await invoke('sources.create', { config, secrets });
              setCreated({ view, ...shown });
              toast(`Source ${view.config.name} added`);
              close('.reveal');
            } else {
              const view = await invoke('sources.update', { config, secrets, clearSecrets });
              const revealed = secrets.secret !== undefined || pending !== undefined;
              if (revealed) setCreated({ view, ...shown });
              toast(`Source ${view.config.name} saved`);
              close(revealed ? '.reveal' : editButton(view.config.id));
            }
            sources.reload();
          }}
        />
      )}

      <ItemList
        what="sources"
        items={sources.data}
        error={sources.error}
        empty={mode.kind === 'list' && !created ? <p className="empty">No sources yet. Add one to start receiving events.</p> : undefined}
        className="table sources-table"
        itemKey={(s) => s.config.id}
        rowProps={(s) => ({ 'data-source-id': s.config.id })}
        columns={[
          { header: 'Source', cellClassName: 'source-cell', cell: (s) => <ItemTitle name={s.config.name} detail={`${s.config.id} · ${s.config.kind}`} detailClassName="source-cell__id" /> },
          {
            header: 'Connection',
            cellClassName: 'connection-cell',
            cell: (s) => <ConnectionCell view={s} polled={POLLING_KINDS.has(s.config.kind)} receivedAt={receivedAt} />,
          },
          { header: 'Last event', cellClassName: 'last-event-cell', cell: (s) => <LastEvent view={s} /> },
          { header: 'Events', className: 'num', cellClassName: 'num mono', cell: (s) => s.eventCount.toLocaleString('en-US') },
          { header: 'Health', cellClassName: 'health-cell', cell: (s) => <SourceHealth view={s} /> },
        ]}
        actions={(s) => {
          const { id, name, enabled } = s.config;
          return (
            <ItemActions
              name={name}
              actions={[
                { label: 'Test', busyLabel: 'Testing…', busy: testing === id, ariaLabel: `Test connection of ${name}`, onClick: () => void test(id) },
                { label: enabled ? 'Pause' : 'Resume', ariaLabel: `${enabled ? 'Pause' : 'Resume'} ${name}`, onClick: () => void setEnabled(s, !enabled) },
              ]}
              onEdit={() => {
                setCreated(undefined);
                setMode({ kind: 'edit', id });
              }}
              onDelete={async () => {
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
          );
        }}
      />
    </div>
  );
}

/** Shown right after create (or a new secret): the only time the secret is on screen. */
function CreatedSource(props: {
  view: SourceView;
  secret?: string | undefined;
  pending?: PendingSecret | undefined;
  /** The source waited for its secret when it was added: the user is putting this one in place. */
  waitedAtFirst?: boolean;
  onRecheck(): void;
  onDone(): void;
}) {
  const { view, secret, pending } = props;
  const { name, kind } = view.config;
  const relayUrl = relayUrlOf(view);
  const waiting = view.needsSecret !== undefined;
  // Without a keychain the generated secret is the source's only if the source waited for it
  // when added (a variable or file the user had already filled holds their own secret); then it
  // stays on the card once the user has put it in place, for the sender and the curl line.
  const shownSecret = secret ?? (pending && (waiting || props.waitedAtFirst) ? pending.value : undefined);
  // Herald's own event JSON: only a generic source takes it.
  const example =
    shownSecret && view.config.kind === 'generic'
      ? `curl -X POST '${view.ingressUrl}' \\\n  -H 'Authorization: Bearer ${shownSecret}' \\\n  -H 'Content-Type: application/json' \\\n  -d '{"type":"pipeline.failed","title":"Build failed","subject":{"project":"api","branch":"main"}}'`
      : undefined;
  // Jenkins, Kosli and Chainloop take only a URL: while the secret is on screen, the URL to paste can carry it.
  const urlWithSecret = shownSecret && view.ingressUrl.includes(TOKEN_PLACEHOLDER) ? view.ingressUrl.replace(TOKEN_PLACEHOLDER, encodeURIComponent(shownSecret)) : undefined;
  return (
    <section className={`card reveal${waiting ? ' reveal--waiting' : ''}`} aria-labelledby="reveal-title" role="status" tabIndex={-1}>
      <h2 id="reveal-title">{waiting ? `${name} is waiting for its secret` : `${name} is ready`}</h2>
      <dl className="fields">
        {!POLLING_KINDS.has(kind) && !SUBSCRIBED_KINDS.has(kind) && (
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
        {urlWithSecret && (
          <>
            <dt>URL to paste</dt>
            <dd>
              <code className="mono" data-testid="url-with-secret">
                {urlWithSecret}
              </code>{' '}
              <CopyButton value={urlWithSecret} what="URL with the secret" />
              <p className="field__hint">The ingress URL with this source&apos;s secret in place of {TOKEN_PLACEHOLDER}.</p>
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
        {shownSecret && (
          <>
            <dt>Secret</dt>
            <dd>
              <code className="mono secret-value" data-testid="source-secret">
                {shownSecret}
              </code>{' '}
              <CopyButton value={shownSecret} what="secret" />
              <p className="field__hint">
                {secret
                  ? 'Copy it now: Herald keeps it in the keychain and will not show it again.'
                  : 'Copy it now: there is no keychain here, so Herald does not keep it and will not show it again.'}
              </p>
            </dd>
          </>
        )}
      </dl>
      {waiting && pending && <SecretStep pending={pending} />}
      {waiting && (
        <p className="error-text" data-testid="needs-secret">
          Until then it refuses webhooks (503): {view.needsSecret}{' '}
          <button type="button" className="btn btn--small" onClick={props.onRecheck}>
            Check again
          </button>
        </p>
      )}
      {view.ingressHint && <p className="setup-hint">{view.ingressHint}</p>}
      {POLLING_KINDS.has(kind) && (
        <p className="setup-hint" data-testid="poll-first">
          Nothing to set up on the other side: Herald polls it
          {BASELINE_KINDS.has(kind) ? ', and its first poll only records what is there — events come from what changes after it' : ''}. How the
          polls go shows on its row below.
        </p>
      )}
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

/** The exact step that makes a generated secret available to a hub without a keychain. */
function SecretStep(props: { pending: PendingSecret }) {
  const { ref, value } = props.pending;
  const command = secretCommand(ref, value);
  return (
    <div className="secret-step" data-testid="secret-step">
      <p>
        {ref.startsWith('env:')
          ? "Set it in the hub's environment, then restart the hub (it reads environment variables when it starts):"
          : 'Write it to the file, readable by you only (Herald refuses a file others can read); the hub reads it when it needs it, no restart:'}
      </p>
      <pre className="code">{command}</pre>
      <CopyButton value={command} what="command" />
    </div>
  );
}

const shellQuote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

/** `export HERALD_CI_SECRET='…'`, or the shell line that writes the file owner-only. */
export function secretCommand(ref: string, value: string): string {
  if (ref.startsWith('env:')) return `export ${ref.slice(4)}=${shellQuote(value)}`;
  const path = ref.slice(5);
  const dir = path.slice(0, Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')));
  const file = shellQuote(path);
  return `${dir ? `mkdir -p ${shellQuote(dir)} && ` : ''}(umask 077 && printf '%s\\n' ${shellQuote(value)} > ${file}) && chmod 600 ${file}`;
}

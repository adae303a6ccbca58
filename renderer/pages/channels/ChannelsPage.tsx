// Channels: where Herald sends what the rules pick. Secret fields are write-only: the page
// shows "set", never a value.
import { useState } from 'react';
import type { ChannelView } from '../../../shared/api.js';
import { ChannelSchema, SECRET_FIELDS } from '../../../shared/config.js';
import { asError, onConfig, useApi, useResource } from '../../api/context.js';
import { useHub } from '../../app/status.js';
import { HealthBadge } from '../../components/badges.js';
import { ItemActions, ItemList, ItemTitle } from '../../components/ItemList.js';
import { KindForm, type KindFormProps } from '../../components/KindForm.js';
import { useToast } from '../../components/Toasts.js';
import { formatListTime } from '../../lib/time.js';
import { WebhookPresetPicker } from './WebhookPresetPicker.js';

const KIND_LABELS: Record<string, string> = {
  desktop: 'Desktop popup',
  slack: 'Slack',
  teams: 'Microsoft Teams',
  discord: 'Discord',
  email: 'Email (SMTP or Amazon SES)',
  webhook: 'Webhook (any HTTP endpoint)',
  ntfy: 'ntfy (push to your phone)',
};
const KIND_HINTS: Record<string, string> = {
  webhook: 'POSTs each event to a URL, as JSON or through your template.',
  desktop: 'A native notification on this machine (paused by snooze and quiet hours).',
  slack: 'An incoming webhook URL, or a bot token with chat:write and a channel.',
  teams: 'A Workflows webhook URL (Adaptive Card); legacy connectors use the MessageCard format.',
  discord: 'A channel webhook URL (Server settings → Integrations → Webhooks).',
  ntfy: 'A topic on ntfy.sh or your own ntfy server; subscribe to it in the ntfy app. Priority follows severity. On ntfy.sh anyone who knows the topic can read it: pick a hard-to-guess name, or use an access token.',
};

type Mode = { kind: 'list' } | { kind: 'add' } | { kind: 'edit'; id: string };

/** An email channel shows the fields of its transport: SMTP's server and pool, or SES's region and keys. */
const SMTP_ONLY = ['host', 'port', 'security', 'username', 'password', 'tlsCa', 'pool', 'maxConnections', 'ratePerSecond'];
const SES_ONLY = ['region', 'accessKeyId', 'secretAccessKey', 'endpoint'];
const FIELD_APPLIES: KindFormProps['fieldApplies'] = {
  email: (name, fields) => !(fields.transport === 'ses' ? SMTP_ONLY : SES_ONLY).includes(name),
};

/** The webhook's body template offers Devtron's and Kosli's payloads (shared/webhook-presets.ts). */
const FIELD_ADDONS: KindFormProps['fieldAddons'] = {
  webhook: { template: ({ value, onChange }) => <WebhookPresetPicker value={value as string} onChange={onChange} /> },
};

/** What to show under the name: where it goes, without secrets (URLs of webhooks can be secrets too, so only the host). */
function target(view: ChannelView): string {
  // An ntfy topic is not a secret of its own (auth is): show where it goes.
  if (view.config.kind === 'ntfy') {
    try {
      // A self-hosted server may live under a path (https://acme.example/ntfy): keep it.
      const server = new URL(view.config.server);
      return `${server.host}${server.pathname.replace(/\/+$/, '')}/${view.config.topic}`;
    } catch {
      return '';
    }
  }
  // Where mail goes out: the SMTP server, or SES's region.
  if (view.config.kind === 'email') {
    return view.config.transport === 'ses' ? `SES ${view.config.region ?? ''}`.trim() : view.config.host ? `${view.config.host}:${view.config.port}` : '';
  }
  const url = 'url' in view.config ? view.config.url : undefined;
  if (url) {
    try {
      return new URL(url).host;
    } catch {
      return '';
    }
  }
  return '';
}

export function ChannelsPage() {
  const invoke = useApi();
  const toast = useToast();
  const { status } = useHub();
  const channels = useResource(
    'channels.list',
    {},
    (u) => onConfig('channels')(u) || u.type === 'health.changed' || u.type === 'delivery.updated',
  );
  const [mode, setMode] = useState<Mode>({ kind: 'list' });
  const [testing, setTesting] = useState<string>();
  const [results, setResults] = useState<Record<string, { ok: boolean; detail: string }>>({});
  const editing = mode.kind === 'edit' ? channels.data?.find((c) => c.config.id === mode.id) : undefined;

  const test = async (id: string, name: string) => {
    setTesting(id);
    try {
      const result = await invoke('channels.test', { id });
      setResults((r) => ({ ...r, [id]: result }));
      toast(result.ok ? `Test message sent to ${name}` : `Test to ${name} failed: ${result.detail}`, result.ok ? 'ok' : 'error');
    } catch (e) {
      toast(`Test failed: ${asError(e).message}`, 'error');
    } finally {
      setTesting(undefined);
    }
  };

  const [retrying, setRetrying] = useState<string>();
  /** After fixing a URL or token: every delivery that failed meanwhile (a 4xx is not retried by itself) goes again. */
  const retryFailed = async (view: ChannelView) => {
    setRetrying(view.config.id);
    try {
      const { retried } = await invoke('channels.retryFailed', { id: view.config.id });
      toast(`${retried} failed ${retried === 1 ? 'delivery' : 'deliveries'} to ${view.config.name} queued again`);
      channels.reload();
    } catch (e) {
      toast(asError(e).message, 'error');
    } finally {
      setRetrying(undefined);
    }
  };

  /** Pause: its rules skip it (nothing new is queued for it) and its pending deliveries wait; Resume sends them. */
  const setEnabled = async (view: ChannelView, enabled: boolean) => {
    try {
      await invoke('channels.update', { config: { ...view.config, enabled }, secrets: {} });
      toast(`${view.config.name} ${enabled ? 'resumed' : 'paused'}`);
      channels.reload();
    } catch (e) {
      toast(asError(e).message, 'error');
    }
  };

  return (
    <div className="page">
      <header className="page-header">
        <h1>Channels</h1>
        {mode.kind === 'list' && (
          <button type="button" className="btn btn--primary" onClick={() => setMode({ kind: 'add' })}>
            Add channel
          </button>
        )}
      </header>

      {(mode.kind === 'add' || editing) && (
        <KindForm
          key={mode.kind === 'edit' ? mode.id : 'new'}
          noun="channel"
          union={ChannelSchema}
          secretFields={SECRET_FIELDS}
          kindLabels={KIND_LABELS}
          kindHints={KIND_HINTS}
          fieldAddons={FIELD_ADDONS}
          fieldApplies={FIELD_APPLIES}
          keychainAvailable={status?.keychain.available ?? true}
          {...(editing && { existing: { config: editing.config, secrets: editing.secrets } })}
          onCancel={() => setMode({ kind: 'list' })}
          onSubmit={async ({ config, secrets, clearSecrets }) => {
            const view =
              mode.kind === 'add'
                ? await invoke('channels.create', { config, secrets })
                : await invoke('channels.update', { config, secrets, clearSecrets });
            // Saved, but it cannot work here (a desktop channel on a hub without a desktop session, an
            // email channel without a sender, a secret that does not resolve): say so now.
            const problem = view.warning ?? view.needsSecret;
            if (problem) toast(`Channel ${view.config.name} saved, but ${problem}`, 'error');
            else toast(`Channel ${view.config.name} ${mode.kind === 'add' ? 'added' : 'saved'}`);
            setMode({ kind: 'list' });
            channels.reload();
          }}
        />
      )}

      <ItemList
        what="channels"
        items={channels.data}
        error={channels.error}
        empty={mode.kind === 'list' ? <p className="empty">No channels yet. Add a desktop popup or a webhook to be told about events.</p> : undefined}
        itemKey={(c) => c.config.id}
        rowProps={(c) => ({ 'data-channel-id': c.config.id })}
        columns={[
          {
            header: 'Channel',
            cellClassName: 'item-cell',
            cell: (c) => (
              <>
                <ItemTitle
                  name={c.config.name}
                  detail={
                    <>
                      {c.config.id} · {c.config.kind}
                      {target(c) && ` · ${target(c)}`}
                    </>
                  }
                />
                {/* Here, in the widest cell, rather than under Pending: there it wrapped a word a line and widened the table. */}
                {c.delivery && (
                  <div className="muted small" data-testid="channel-concurrency" title="Sends at once now, adapted to what the endpoint sustains, within the channel's limit">
                    {c.delivery.inFlight} sending · at most {c.delivery.concurrency} of {c.delivery.maxConcurrency} at once
                    {c.delivery.lastDecrease && ` · slowed by ${c.delivery.lastDecrease.reason === 'overload' ? '429/5xx' : 'latency'}`}
                  </div>
                )}
                {c.delivery?.nextAttemptAt && (
                  <div className="muted small" data-testid="channel-next-attempt" title="The backlog waits out the backoff after failed attempts">
                    next attempt {formatListTime(c.delivery.nextAttemptAt)}
                  </div>
                )}
              </>
            ),
          },
          { header: 'Secrets', cell: (c) => <SecretsCell secrets={c.secrets} /> },
          {
            header: 'Pending',
            className: 'num',
            cellClassName: 'num mono',
            cell: (c) => c.pending,
          },
          { header: 'Failed', className: 'num', cellClassName: (c) => `num mono${c.failed ? ' error-text' : ''}`, cell: (c) => c.failed },
          {
            header: 'Health',
            cell: (c) => {
              const result = results[c.config.id];
              // The last attempt failed: say why, though a failure or two is not yet unhealthy (a
              // permanent one such as "no sender" may never become three in a row).
              const lastFailed = c.health.consecutiveFailures > 0 && c.health.lastError;
              return (
                <>
                  {c.config.enabled && c.needsSecret ? (
                    <span className="badge badge--bad">needs its secret</span>
                  ) : c.config.enabled && c.health.lastSuccessAt === null && c.health.lastFailureAt === null ? (
                    // Not "healthy" before it has sent anything: beside a failed test that read as a contradiction.
                    <span className="badge badge--muted" title="Nothing delivered through it yet (a test message does not count)">
                      not used yet
                    </span>
                  ) : (
                    <HealthBadge health={c.health} enabled={c.config.enabled} />
                  )}
                  {c.needsSecret && (
                    <div className="error-text small" data-testid="channel-needs-secret">
                      {c.needsSecret}: sends fail until it is set{c.needsSecret.includes('environment variable') ? ' (in the hub’s environment, then restart the hub)' : ''}
                    </div>
                  )}
                  {!c.needsSecret && lastFailed && (
                    <div className="error-text small" data-testid="channel-last-error">
                      {c.health.healthy ? 'last attempt failed: ' : ''}
                      {c.health.lastError}
                    </div>
                  )}
                  {c.delivery?.pausedUntil && (
                    <div className="warn-text small" data-testid="channel-paused" title="Nothing is sent to this channel before then. Changing its settings (a new URL or token) sends at once.">
                      paused until {formatListTime(c.delivery.pausedUntil)}: the service asked to wait{c.delivery.pausedBy && ` (${c.delivery.pausedBy})`}
                    </div>
                  )}
                  {c.warning && c.warning !== c.health.lastError && (
                    <div className="warn-text small" data-testid="channel-warning">
                      {c.warning}
                    </div>
                  )}
                  {result && (
                    <div className={`small ${result.ok ? 'ok-text' : 'error-text'}`}>
                      test: {result.ok ? 'sent' : 'failed'} · {result.detail}
                    </div>
                  )}
                </>
              );
            },
          },
        ]}
        actions={(c) => {
          const { id, name } = c.config;
          return (
            <ItemActions
              name={name}
              actions={[
                { label: 'Send test', busyLabel: 'Sending…', busy: testing === id, ariaLabel: `Send test message to ${name}`, onClick: () => void test(id, name) },
                ...(c.failed > 0
                  ? [{ label: 'Retry failed', busyLabel: 'Retrying…', busy: retrying === id, ariaLabel: `Retry the ${c.failed} failed deliveries to ${name}`, onClick: () => void retryFailed(c) }]
                  : []),
                { label: c.config.enabled ? 'Pause' : 'Resume', ariaLabel: `${c.config.enabled ? 'Pause' : 'Resume'} ${name}`, onClick: () => void setEnabled(c, !c.config.enabled) },
              ]}
              onEdit={() => setMode({ kind: 'edit', id })}
              onDelete={async () => {
                try {
                  await invoke('channels.delete', { id });
                  toast(`Channel ${name} deleted`);
                  channels.reload();
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

/** Which secret fields are set here ("set", "not set"): never a value. */
function SecretsCell(props: { secrets: ChannelView['secrets'] }) {
  const fields = Object.entries(props.secrets);
  if (fields.length === 0) return <span className="muted">none</span>;
  return fields.map(([field, s]) => (
    <div key={field} className="small">
      <span className="mono">{field}</span> <span className={`badge ${s.set ? 'badge--ok' : 'badge--bad'}`}>{s.set ? 'set' : 'not set'}</span>
    </div>
  ));
}

// Rules: the user's notification preferences, evaluated top to bottom.
import { useEffect, useState } from 'react';
import type { RuleConfig } from '../../../shared/config.js';
import { formatDuration } from '../../../shared/duration.js';
import { asError, onConfig, useApi, useResource } from '../../api/context.js';
import { ConfirmButton } from '../../components/buttons.js';
import { useToast } from '../../components/Toasts.js';
import { describeMatch } from '../../lib/rule-draft.js';
import { formatDateTime } from '../../lib/time.js';
import { MutedSection } from './MutedSection.js';
import { RuleForm } from './RuleForm.js';

type Mode = { kind: 'list' } | { kind: 'add' } | { kind: 'edit'; id: string };

export function RulesPage() {
  const invoke = useApi();
  const toast = useToast();
  const rules = useResource('rules.list', {}, onConfig('rules'));
  const channels = useResource('channels.list', {}, onConfig('channels'));
  const sources = useResource('sources.list', {}, onConfig('sources'));
  const [mode, setMode] = useState<Mode>({ kind: 'list' });
  const [busy, setBusy] = useState(false);
  /** Switch positions shown before the hub confirms them. */
  const [switching, setSwitching] = useState<Record<string, boolean>>({});
  // Fresh rules from the hub (after a save or a failure) replace what the switches showed.
  useEffect(() => setSwitching({}), [rules.data]);

  const channelList = (channels.data ?? []).map(({ config }) => ({ id: config.id, name: config.name, kind: config.kind, config }));
  const sourceList = (sources.data ?? []).map(({ config: s }) => ({ id: s.id, name: s.name }));
  const channelName = (id: string) => channelList.find((c) => c.id === id)?.name ?? `${id} (unknown)`;
  const editing = mode.kind === 'edit' ? rules.data?.find((r) => r.id === mode.id) : undefined;

  const run = async (what: string, action: () => Promise<unknown>) => {
    setBusy(true);
    try {
      await action();
      rules.reload();
    } catch (e) {
      toast(`${what} failed: ${asError(e).message}`, 'error');
    } finally {
      setBusy(false);
    }
  };

  const move = (list: RuleConfig[], index: number, by: -1 | 1) => {
    const ids = list.map((r) => r.id);
    const [id] = ids.splice(index, 1);
    ids.splice(index + by, 0, id!);
    return run('Reordering', () => invoke('rules.reorder', { ids }));
  };

  return (
    <div className="page">
      <header className="page-header">
        <h1>Rules</h1>
        {mode.kind === 'list' && (
          <button type="button" className="btn btn--primary" onClick={() => setMode({ kind: 'add' })}>
            Add rule
          </button>
        )}
      </header>
      <p className="page-intro muted">
        Every event is kept in history. Rules decide which ones also go to your channels; each matching rule sends on its own, in this order.
      </p>

      {(mode.kind === 'add' || editing) && (
        <RuleForm
          key={mode.kind === 'edit' ? mode.id : 'new'}
          {...(editing && { existing: editing })}
          channels={channelList}
          sources={sourceList}
          onCancel={() => setMode({ kind: 'list' })}
          onSubmit={async (config) => {
            const saved = mode.kind === 'add' ? await invoke('rules.create', { config }) : await invoke('rules.update', { config });
            toast(`Rule ${saved.name} ${mode.kind === 'add' ? 'added' : 'saved'}`);
            setMode({ kind: 'list' });
            rules.reload();
          }}
        />
      )}

      {rules.error && (
        <p className="error-text" role="alert">
          Could not load rules: {rules.error.message}
        </p>
      )}
      {rules.data && rules.data.length === 0 && mode.kind === 'list' && (
        <p className="empty">No rules yet: events are kept in history but sent nowhere.</p>
      )}
      {rules.data && rules.data.length > 0 && (
        <table className="table">
          <thead>
            <tr>
              <th scope="col" className="num">
                #
              </th>
              <th scope="col">Rule</th>
              <th scope="col">Sends to</th>
              <th scope="col">When</th>
              <th scope="col">Enabled</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rules.data.map((rule, index, list) => (
              <tr key={rule.id} data-rule-id={rule.id} className={rule.enabled ? undefined : 'row--disabled'}>
                <td className="num mono">{index + 1}</td>
                <td>
                  <div className="cell-title">{rule.name}</div>
                  <div className="muted mono small">{describeMatch(rule)}</div>
                </td>
                <td>{rule.channels.length ? rule.channels.map(channelName).join(', ') : <span className="muted">history only</span>}</td>
                <td className="small">
                  {rule.throttle && <div>once per {formatDuration(rule.throttle.windowSeconds * 1000, 'exact')}</div>}
                  {rule.digest && <div>digest every {formatDuration(rule.digest.windowSeconds * 1000, 'exact')}</div>}
                  {rule.group && (
                    <div>
                      grouped {rule.group.by.length ? `by ${rule.group.by.join(' + ')}` : 'all together'}: first after {formatDuration(rule.group.waitSeconds * 1000, 'exact')}, then
                      every {formatDuration(rule.group.intervalSeconds * 1000, 'exact')}
                    </div>
                  )}
                  {rule.quietHours && (
                    <div>
                      quiet {rule.quietHours.start}–{rule.quietHours.end}
                      {rule.quietHours.timeZone && ` ${rule.quietHours.timeZone}`}
                    </div>
                  )}
                  {rule.snoozedUntil && Date.parse(rule.snoozedUntil) > Date.now() && <div>snoozed until {formatDateTime(rule.snoozedUntil)}</div>}
                  {!rule.throttle && !rule.quietHours && !rule.digest && !rule.group && <span className="muted">always</span>}
                </td>
                <td>
                  <input
                    type="checkbox"
                    className="switch"
                    role="switch"
                    aria-label={`Enable ${rule.name}`}
                    checked={switching[rule.id] ?? rule.enabled}
                    disabled={busy}
                    onChange={(e) => {
                      const enabled = e.target.checked;
                      setSwitching((s) => ({ ...s, [rule.id]: enabled }));
                      void run('Saving', () => invoke('rules.update', { config: { ...rule, enabled } }));
                    }}
                  />
                </td>
                <td className="actions">
                  <button
                    type="button"
                    className="btn btn--small btn--icon"
                    aria-label={`Move ${rule.name} up`}
                    disabled={busy || index === 0}
                    onClick={() => void move(list, index, -1)}
                  >
                    ↑
                  </button>
                  <button
                    type="button"
                    className="btn btn--small btn--icon"
                    aria-label={`Move ${rule.name} down`}
                    disabled={busy || index === list.length - 1}
                    onClick={() => void move(list, index, 1)}
                  >
                    ↓
                  </button>
                  <button type="button" className="btn btn--small" aria-label={`Edit ${rule.name}`} onClick={() => setMode({ kind: 'edit', id: rule.id })}>
                    Edit
                  </button>
                  <ConfirmButton
                    label="Delete"
                    ariaLabel={`Delete ${rule.name}`}
                    className="btn btn--small btn--danger-ghost"
                    onConfirm={() => run('Deleting', () => invoke('rules.delete', { id: rule.id }))}
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {mode.kind === 'list' && <MutedSection />}
    </div>
  );
}

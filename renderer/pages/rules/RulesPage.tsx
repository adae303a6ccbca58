// Rules: the user's notification preferences, evaluated top to bottom.
import { useEffect, useState } from 'react';
import type { RuleHeld } from '../../../shared/api.js';
import type { RuleConfig } from '../../../shared/config.js';
import { formatDuration } from '../../../shared/duration.js';
import { asError, onConfig, useApi, useResource } from '../../api/context.js';
import { ItemActions, ItemList, ItemTitle } from '../../components/ItemList.js';
import { useToast } from '../../components/Toasts.js';
import { describeMatch } from '../../lib/rule-draft.js';
import { formatDateTime, formatListTime } from '../../lib/time.js';
import { MutedSection } from './MutedSection.js';
import { RuleForm } from './RuleForm.js';

type Mode = { kind: 'list' } | { kind: 'add' } | { kind: 'edit'; id: string };

export function RulesPage() {
  const invoke = useApi();
  const toast = useToast();
  const rules = useResource('rules.list', {}, onConfig('rules'));
  const channels = useResource('channels.list', {}, onConfig('channels'));
  const sources = useResource('sources.list', {}, onConfig('sources'));
  // What digests and groups hold back: changes as events join them and their messages go (both are events).
  const held = useResource('rules.held', {}, (u) => u.type === 'event.created' || u.type === 'events.changed');
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

  // Busy until the list shows the change: an arrow pressed again while the old order is still
  // shown would save that order again (the second of two quick moves was lost).
  const run = async (what: string, action: () => Promise<unknown>, onFailure?: () => void) => {
    setBusy(true);
    try {
      await action();
      await rules.reload();
    } catch (e) {
      onFailure?.();
      toast(`${what} failed: ${asError(e).message}`, 'error');
    } finally {
      setBusy(false);
    }
  };

  // A rule moved from the keyboard keeps the focus on its arrow in its new place (the other
  // arrow once it reaches the top or bottom), so it can be moved again at once.
  const [refocus, setRefocus] = useState<{ id: string; by: -1 | 1; index: number }>();
  useEffect(() => {
    if (!refocus) return;
    const index = rules.data?.findIndex((r) => r.id === refocus.id);
    if (index !== refocus.index) return; // not shown in its new place yet
    setRefocus(undefined);
    const row = document.querySelector(`tr[data-rule-id="${CSS.escape(refocus.id)}"]`);
    const arrows = [...(row?.querySelectorAll<HTMLButtonElement>('button[aria-label^="Move "]') ?? [])];
    const [up, down] = [' up', ' down'].map((end) => arrows.find((b) => b.getAttribute('aria-label')?.endsWith(end)));
    const wanted = refocus.by < 0 ? up : down;
    (wanted && !wanted.disabled ? wanted : refocus.by < 0 ? down : up)?.focus();
  }, [refocus, rules.data]);

  const move = (list: RuleConfig[], index: number, by: -1 | 1) => {
    const ids = list.map((r) => r.id);
    const [id] = ids.splice(index, 1);
    ids.splice(index + by, 0, id!);
    if (rowHasFocus(id!)) setRefocus({ id: id!, by, index: index + by });
    return run('Reordering', () => invoke('rules.reorder', { ids }), () => setRefocus(undefined));
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

      <ItemList
        what="rules"
        items={rules.data}
        error={rules.error}
        empty={mode.kind === 'list' ? <p className="empty">No rules yet: events are kept in history but sent nowhere.</p> : undefined}
        itemKey={(rule) => rule.id}
        rowProps={(rule) => ({ 'data-rule-id': rule.id, className: rule.enabled ? undefined : 'row--disabled' })}
        columns={[
          { header: '#', className: 'num', cellClassName: 'num mono', cell: (_, index) => index + 1 },
          { header: 'Rule', cellClassName: 'item-cell', cell: (rule) => <ItemTitle name={rule.name} detail={describeMatch(rule)} detailClassName="small" /> },
          { header: 'Sends to', cell: (rule) => (rule.channels.length ? rule.channels.map(channelName).join(', ') : <span className="muted">history only</span>) },
          { header: 'When', cellClassName: 'small', cell: (rule) => <RuleTiming rule={rule} held={held.data?.items.filter((h) => h.ruleId === rule.id) ?? []} /> },
          {
            header: 'Enabled',
            cell: (rule) => (
              <input
                type="checkbox"
                className="switch"
                role="switch"
                aria-label={`Enable ${rule.name}`}
                checked={switching[rule.id] ?? rule.enabled}
                // aria-disabled, not disabled: a disabled switch drops the keyboard focus it has.
                aria-disabled={busy || undefined}
                onChange={(e) => {
                  if (busy) return;
                  const enabled = e.target.checked;
                  setSwitching((s) => ({ ...s, [rule.id]: enabled }));
                  void run('Saving', () => invoke('rules.update', { config: { ...rule, enabled } }));
                }}
              />
            ),
          },
        ]}
        actions={(rule, index) => {
          const list = rules.data ?? [];
          return (
            <ItemActions
              name={rule.name}
              actions={[
                { label: '↑', icon: true, ariaLabel: `Move ${rule.name} up`, busy, disabled: index === 0, onClick: () => void move(list, index, -1) },
                { label: '↓', icon: true, ariaLabel: `Move ${rule.name} down`, busy, disabled: index === list.length - 1, onClick: () => void move(list, index, 1) },
              ]}
              onEdit={() => setMode({ kind: 'edit', id: rule.id })}
              onDelete={() => run('Deleting', () => invoke('rules.delete', { id: rule.id }))}
            />
          );
        }}
      />
      {mode.kind === 'list' && <MutedSection />}
    </div>
  );
}

function rowHasFocus(id: string): boolean {
  return document.activeElement?.closest(`tr[data-rule-id="${CSS.escape(id)}"]`) != null;
}

/** When a rule sends: throttled, as a digest, grouped, quiet hours, snoozed; or always. And what its digest or groups hold now. */
function RuleTiming(props: { rule: RuleConfig; held: RuleHeld[] }) {
  const { rule, held } = props;
  return (
    <>
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
      {rule.snoozedUntil && Date.parse(rule.snoozedUntil) > Date.now() && <div>popups paused until {formatDateTime(rule.snoozedUntil)}</div>}
      {!rule.throttle && !rule.quietHours && !rule.digest && !rule.group && <span className="muted">always</span>}
      {held.map((h) => (
        <div key={h.kind} className="rule-held" data-testid={`rule-held-${h.kind}`}>
          {heldText(h)}
        </div>
      ))}
    </>
  );
}

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;

/** "3 events waiting in 2 groups · next message 14:05:10"; "12 events waiting · digest 2025-03-05 09:00". */
function heldText(h: RuleHeld): string {
  const waiting = `${plural(h.waiting, 'event')} waiting`;
  return h.kind === 'group'
    ? `${waiting} in ${plural(h.groups ?? 1, 'group')} · next message ${formatListTime(h.nextAt)}`
    : `${waiting} · digest ${formatListTime(h.nextAt)}`;
}

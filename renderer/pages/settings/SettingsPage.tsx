// Settings: snooze, quiet hours, retention, delivery, network, start at login, theme,
// update feed, and the config as a file.
import { useEffect, useRef, useState } from 'react';
import { ApiError, type ApiOutput } from '../../../shared/api.js';
import { SettingsSchema, type HeraldConfig, type Settings } from '../../../shared/config.js';
import { SEVERITIES, type Severity } from '../../../shared/event.js';
import { asError, onConfig, useApi, useResource } from '../../api/context.js';
import { useHub } from '../../app/status.js';
import { CopyButton } from '../../components/buttons.js';
import { CheckboxField, ErrorSummary, Field } from '../../components/Field.js';
import { useToast } from '../../components/Toasts.js';
import { downloadText, exportFileName, parseConfigFile } from '../../lib/config-file.js';
import { apiFieldErrors, errorAt, hasErrors, unclaimedErrors, zodFieldErrors, type FieldErrors } from '../../lib/form-errors.js';
import { asSettingsReplacement, buildSettings, settingsDraftFrom, withSnooze, type SettingsDraft } from '../../lib/settings-draft.js';
import { formatDateTime, SNOOZE_LABELS, snoozeUntil, type SnoozePreset } from '../../lib/time.js';
import { UpdatesSection } from './UpdatesSection.js';

export function SettingsPage() {
  const { settings, status } = useHub();
  if (!settings) return <div className="page"><h1>Settings</h1><p className="muted">Loading…</p></div>;
  return (
    <div className="page page--narrow">
      <header className="page-header">
        <h1>Settings</h1>
      </header>
      <SnoozeSection settings={settings} />
      <AppearanceSection settings={settings} />
      <StartAtLoginSection />
      {/* Remount (fresh draft) only when what this form edits changed on the hub. */}
      <SettingsForm
        key={JSON.stringify([settings.quietHours, settings.retention, settings.delivery, settings.publicUrl, settings.email, settings.shortcut, settings.sound])}
        settings={settings}
      />
      <section className="card" aria-labelledby="network-title">
        <h2 id="network-title">Addresses</h2>
        <p className="field__hint">Set by the hub's start options (ports, host); shown here to copy.</p>
        <dl className="fields">
          <dt>Webhook ingress</dt>
          <dd>
            <code className="mono">{status?.ingressUrl ?? '…'}</code> {status && <CopyButton value={status.ingressUrl} what="ingress URL" />}
          </dd>
          <dt>UI and api</dt>
          <dd>
            <code className="mono">{status?.apiUrl ?? '…'}</code>
          </dd>
          <dt>Configured ports</dt>
          <dd>
            <span className="mono">
              ingress {settings.ingress.host}:{settings.ingress.port} · api {settings.api.host}:{settings.api.port}
            </span>
            {status && (!listensOn(status.ingressUrl, settings.ingress) || !listensOn(status.apiUrl, settings.api)) && (
              <p className="field__hint" data-testid="ports-overridden">
                The config file&apos;s; this hub was started with other ones (--ingress-port, --api-port, --host), and listens on the addresses above.
              </p>
            )}
          </dd>
          <dt>Hub</dt>
          <dd className="mono">
            {status ? `v${status.version}, up since ${formatDateTime(status.startedAt)}` : '…'}
          </dd>
        </dl>
      </section>
      {status?.replica && <ReplicaSection replica={status.replica} />}
      <UpdatesSection key={JSON.stringify(settings.updates)} settings={settings} />
      <ConfigFileSection />
    </div>
  );
}

/** Whether the hub listens where the config says (its start options may say otherwise). */
function listensOn(url: string, configured: { host: string; port: number }): boolean {
  try {
    const { hostname, port, protocol } = new URL(url);
    return hostname.replace(/^\[|\]$/g, '') === configured.host.replace(/^\[|\]$/g, '') && Number(port || (protocol === 'https:' ? 443 : 80)) === configured.port;
  } catch {
    return true;
  }
}

type ReplicaStatus = NonNullable<ApiOutput<'hub.status'>['replica']>;

/** Which replica runs each one-at-a-time job (pollers, digests, grouping, mute expiry, retention). */
function ReplicaSection(props: { replica: ReplicaStatus }) {
  const { replica } = props;
  const team = replica.engine === 'lease-table';
  return (
    <section className="card" aria-labelledby="replica-title">
      <h2 id="replica-title">Replica</h2>
      <p className="field__hint">
        {team
          ? 'Replicas share one PostgreSQL database; each job below runs on the one replica that holds its lease, and moves to another within 30 s if that one stops.'
          : 'One hub on its own database: it runs every job itself.'}
      </p>
      <dl className="fields">
        <dt>This replica</dt>
        <dd className="mono">{replica.id}</dd>
      </dl>
      {replica.problem && <p className="warn-text">{replica.problem}</p>}
      {replica.leases.length > 0 && (
        <table className="table" aria-label="Who runs what">
          <thead>
            <tr>
              <th scope="col">Job</th>
              <th scope="col">Runs on</th>
            </tr>
          </thead>
          <tbody>
            {replica.leases.map((lease) => (
              <tr key={lease.name}>
                <td className="mono">{lease.name}</td>
                <td className="mono">
                  {lease.holder === null ? <span className="muted">nobody (being taken over)</span> : lease.holder}
                  {lease.mine && team && <span className="muted"> (this replica)</span>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function useSaveSettings() {
  const invoke = useApi();
  const { reload } = useHub();
  return async (next: Record<string, unknown>) => {
    const saved = await invoke('settings.update', { settings: asSettingsReplacement(next) });
    reload();
    return saved;
  };
}

function SnoozeSection(props: { settings: Settings }) {
  const save = useSaveSettings();
  const toast = useToast();
  const until = props.settings.snoozeUntil && Date.parse(props.settings.snoozeUntil) > Date.now() ? props.settings.snoozeUntil : undefined;
  const set = async (value: string | undefined) => {
    try {
      await save(withSnooze(props.settings, value));
      toast(value ? `Popups paused until ${formatDateTime(value)}` : 'Popups resumed');
    } catch (e) {
      toast(asError(e).message, 'error');
    }
  };
  return (
    <section className="card" aria-labelledby="snooze-title">
      <h2 id="snooze-title">Pause popups</h2>
      <p data-testid="snooze-state" className={until ? 'warn-text' : ''}>
        {until ? `Desktop popups are paused until ${formatDateTime(until)}.` : 'Desktop popups are on.'} Other channels and history are not affected.
      </p>
      <div className="button-row">
        {(Object.keys(SNOOZE_LABELS) as SnoozePreset[]).map((preset) => (
          <button key={preset} type="button" className="btn" onClick={() => void set(snoozeUntil(preset))}>
            {SNOOZE_LABELS[preset]}
          </button>
        ))}
        <button type="button" className="btn btn--primary" disabled={!until} onClick={() => void set(undefined)}>
          Resume
        </button>
      </div>
    </section>
  );
}

function AppearanceSection(props: { settings: Settings }) {
  const save = useSaveSettings();
  const toast = useToast();
  // Shown at once; the hub's answer (and config.changed) confirms it.
  const [theme, setTheme] = useState(props.settings.theme);
  useEffect(() => setTheme(props.settings.theme), [props.settings.theme]);
  return (
    <section className="card" aria-labelledby="theme-title">
      <h2 id="theme-title">Theme</h2>
      <fieldset className="radio-group" aria-labelledby="theme-title">
        {(['system', 'light', 'dark'] as const).map((option) => (
          <label key={option} className="radio">
            <input
              type="radio"
              name="theme"
              value={option}
              checked={theme === option}
              onChange={() => {
                setTheme(option);
                save({ ...props.settings, theme: option }).catch((e: unknown) => {
                  setTheme(props.settings.theme);
                  toast(asError(e).message, 'error');
                });
              }}
            />
            {option === 'system' ? 'Follow the system' : option === 'light' ? 'Light' : 'Dark'}
          </label>
        ))}
      </fieldset>
    </section>
  );
}

type Autostart = ApiOutput<'autostart.get'>;

function StartAtLoginSection() {
  const invoke = useApi();
  const toast = useToast();
  const [state, setState] = useState<Autostart>();
  useEffect(() => {
    invoke('autostart.get', {}).then(setState, () => setState({ supported: false, enabled: false }));
  }, [invoke]);
  // Only the desktop app can start itself at login; in a browser there is nothing to set.
  if (!state?.supported) return null;
  return (
    <section className="card" aria-labelledby="login-title">
      <h2 id="login-title">Start at login</h2>
      <CheckboxField
        label="Start Herald when I log in"
        checked={state.enabled}
        onChange={(enabled) =>
          invoke('autostart.set', { enabled }).then(setState, (e: unknown) => toast(asError(e).message, 'error'))
        }
      />
    </section>
  );
}

const SETTINGS_FIELD_PATHS = ['quietHours', 'retention', 'delivery', 'publicUrl', 'email', 'shortcut', 'sound'];

const SOUND_LABELS: Record<Severity, string> = { critical: 'Critical', warning: 'Warning', success: 'Success', info: 'Info' };

/** Whether the desktop app holds the shortcut now; the headless hub has none to hold. */
function ShortcutStatus() {
  const status = useResource('shortcut.status', {}, (u) => u.type === 'shortcut.changed' || onConfig('settings')(u));
  const s = status.data;
  if (!s) return null;
  if (!s.supported) return <p className="field__hint">Works in the desktop app; this hub runs headless in a browser, so nothing is registered here.</p>;
  if (s.problem) {
    return (
      <p className="warn-text" role="alert" data-testid="shortcut-problem">
        Not registered: {s.problem}.
      </p>
    );
  }
  return <p className="field__hint">{s.registered ? `${s.accelerator} opens Herald from any app.` : 'No shortcut is set.'}</p>;
}

/** The draft's fields typed as text (the number inputs). */
type TextKey = { [K in keyof SettingsDraft]: SettingsDraft[K] extends string ? K : never }[keyof SettingsDraft];

function SettingsForm(props: { settings: Settings }) {
  const save = useSaveSettings();
  const toast = useToast();
  const [draft, setDraft] = useState<SettingsDraft>(() => settingsDraftFrom(props.settings));
  const [errors, setErrors] = useState<FieldErrors>({});
  const [attempted, setAttempted] = useState(false);
  const [saving, setSaving] = useState(false);

  const validate = (d: SettingsDraft) => {
    const result = SettingsSchema.safeParse(buildSettings(props.settings, d));
    return result.success ? {} : zodFieldErrors(result.error);
  };
  const change = (patch: Partial<SettingsDraft>) => {
    const next = { ...draft, ...patch };
    setDraft(next);
    if (attempted) setErrors(validate(next));
  };
  const submit = async () => {
    setAttempted(true);
    const found = validate(draft);
    setErrors(found);
    if (hasErrors(found)) return;
    setSaving(true);
    try {
      await save(buildSettings(props.settings, draft));
      toast('Settings saved');
    } catch (e) {
      if (e instanceof ApiError && e.code === 'invalid_input') setErrors(apiFieldErrors(e.message, 'settings.'));
      else setErrors({ '': asError(e).message });
    } finally {
      setSaving(false);
    }
  };

  const numberField = (key: TextKey, label: string, path: string, hint?: string) => (
    <Field label={label} error={errorAt(errors, path)} hint={hint}>
      {(control) => (
        <input {...control} type="number" inputMode="numeric" step={1} value={draft[key]} onChange={(e) => change({ [key]: e.target.value })} />
      )}
    </Field>
  );

  return (
    <form
      className="card form"
      aria-label="Settings"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <ErrorSummary count={Object.keys(errors).length} unclaimed={unclaimedErrors(errors, SETTINGS_FIELD_PATHS)} />
      <fieldset className="form__section">
        <legend>Quiet hours</legend>
        <div className="option">
          <CheckboxField
            label="Hold back desktop popups during quiet hours"
            hint="Every rule; other channels still deliver."
            checked={draft.quiet}
            onChange={(quiet) => change({ quiet })}
          />
          {draft.quiet && (
            <div className="form__grid option__fields">
              <Field label="Quiet from" error={errorAt(errors, 'quietHours.start')}>
                {(control) => <input {...control} type="time" value={draft.quietStart} onChange={(e) => change({ quietStart: e.target.value })} />}
              </Field>
              <Field label="Quiet until" error={errorAt(errors, 'quietHours.end')}>
                {(control) => <input {...control} type="time" value={draft.quietEnd} onChange={(e) => change({ quietEnd: e.target.value })} />}
              </Field>
              <Field label="Time zone" error={errorAt(errors, 'quietHours.timeZone')} hint="Empty: the hub's local time.">
                {(control) => <input {...control} placeholder="Europe/Berlin" value={draft.quietTimeZone} onChange={(e) => change({ quietTimeZone: e.target.value })} />}
              </Field>
            </div>
          )}
        </div>
      </fieldset>
      <fieldset className="form__section">
        <legend>Desktop popups and shortcut</legend>
        <fieldset className="field field--wide sound-choices">
          <legend>Play a sound for</legend>
          <div className="sound-choices__options">
            {SEVERITIES.map((sev) => (
              <CheckboxField key={sev} label={SOUND_LABELS[sev]} checked={draft.sound[sev]} onChange={(on) => change({ sound: { ...draft.sound, [sev]: on } })} />
            ))}
          </div>
          <p className="field__hint">Never during quiet hours or while popups are paused. A desktop channel with its own “sound” on plays one for every severity.</p>
        </fieldset>
        <Field
          label="Shortcut to open Herald"
          error={errorAt(errors, 'shortcut')}
          hint="Modifiers and a key joined by +, e.g. CommandOrControl+Shift+H or Alt+F9; empty for none."
          className="field--wide"
        >
          {(control) => (
            <input
              {...control}
              type="text"
              className="mono"
              autoComplete="off"
              spellCheck={false}
              placeholder="CommandOrControl+Shift+H"
              value={draft.shortcut}
              onChange={(e) => change({ shortcut: e.target.value })}
            />
          )}
        </Field>
        <ShortcutStatus />
      </fieldset>
      <fieldset className="form__section">
        <legend>History retention</legend>
        <div className="form__grid">
          {numberField('maxAgeDays', 'Keep events for (days)', 'retention.maxAgeDays')}
          {numberField('maxEvents', 'Keep at most (events)', 'retention.maxEvents')}
        </div>
      </fieldset>
      <fieldset className="form__section">
        <legend>Delivery</legend>
        <div className="form__grid">
          {numberField('maxAttempts', 'Attempts before giving up', 'delivery.maxAttempts')}
          {numberField('baseDelayMs', 'First retry after (ms)', 'delivery.baseDelayMs')}
          {numberField('maxDelayMs', 'Longest retry delay (ms)', 'delivery.maxDelayMs')}
          {numberField('unhealthyAfter', 'Unhealthy after (failures in a row)', 'delivery.unhealthyAfter')}
        </div>
      </fieldset>
      <fieldset className="form__section">
        <legend>Email</legend>
        <Field
          label="Default sender"
          error={errorAt(errors, 'email.defaultFrom') ?? errorAt(errors, 'email')}
          hint="The From of email channels that name none, e.g. Herald <herald@example.com>."
          className="field--wide"
        >
          {(control) => (
            <input
              {...control}
              type="text"
              inputMode="email"
              autoComplete="off"
              className="mono"
              spellCheck={false}
              placeholder="Herald <herald@example.com>"
              value={draft.defaultFrom}
              onChange={(e) => change({ defaultFrom: e.target.value })}
            />
          )}
        </Field>
      </fieldset>
      <fieldset className="form__section">
        <legend>Relay</legend>
        <Field
          label="Public ingress URL"
          error={errorAt(errors, 'publicUrl')}
          hint="The address senders outside this machine use (a tunnel or reverse proxy in front of the ingress port). Shown on Sources."
          className="field--wide"
        >
          {(control) => (
            <input {...control} type="url" className="mono" placeholder="https://herald.example.com" value={draft.publicUrl} onChange={(e) => change({ publicUrl: e.target.value })} />
          )}
        </Field>
      </fieldset>
      <div className="form__actions">
        <button type="submit" className="btn btn--primary" disabled={saving}>
          {saving ? 'Saving…' : 'Save settings'}
        </button>
      </div>
    </form>
  );
}

function ConfigFileSection() {
  const invoke = useApi();
  const toast = useToast();
  const fileRef = useRef<HTMLInputElement>(null);
  const [pending, setPending] = useState<{ name: string; config: HeraldConfig }>();
  const [problems, setProblems] = useState<string[]>([]);
  const [result, setResult] = useState<ApiOutput<'config.import'>>();

  const exportConfig = async () => {
    try {
      const { config } = await invoke('config.export', {});
      downloadText(exportFileName(), `${JSON.stringify(config, null, 2)}\n`);
    } catch (e) {
      toast(`Export failed: ${asError(e).message}`, 'error');
    }
  };

  const pick = async (file: File) => {
    setResult(undefined);
    const parsed = await parseConfigFile(file.name, await file.text());
    if (parsed.ok) {
      setProblems([]);
      setPending({ name: file.name, config: parsed.config });
    } else {
      setPending(undefined);
      setProblems(parsed.problems);
    }
  };

  const importConfig = async () => {
    if (!pending) return;
    try {
      const outcome = await invoke('config.import', { config: pending.config });
      setResult(outcome);
      setPending(undefined);
      toast('Config imported');
    } catch (e) {
      setProblems(e instanceof ApiError && e.code === 'invalid_input' ? e.message.split('; ') : [asError(e).message]);
    }
  };

  return (
    <section className="card" aria-labelledby="file-title">
      <h2 id="file-title">Config file</h2>
      <p className="field__hint">
        Sources, channels, rules and settings as one file: the same shape as a headless hub's <code>--config</code>. Secrets stay in the keychain;
        the file holds references only.
      </p>
      <div className="button-row">
        <button type="button" className="btn" onClick={() => void exportConfig()}>
          Export config…
        </button>
        <button type="button" className="btn" onClick={() => fileRef.current?.click()}>
          Import config…
        </button>
        <input
          ref={fileRef}
          hidden
          aria-label="Config file to import"
          data-testid="config-import-file"
          type="file"
          accept=".json,.yaml,.yml,application/json"
          onChange={(e) => {
            const file = e.target.files?.[0];
            if (file) void pick(file);
            e.target.value = '';
          }}
        />
      </div>
      {problems.length > 0 && (
        <div className="error-summary" role="alert">
          <p>The file cannot be imported:</p>
          <ul>
            {problems.map((p) => (
              <li key={p} className="mono">
                {p}
              </li>
            ))}
          </ul>
        </div>
      )}
      {pending && (
        <div className="confirm-box" role="alertdialog" aria-labelledby="import-confirm">
          <p id="import-confirm">
            Replace the current config with <strong>{pending.name}</strong>: {pending.config.sources.length} sources, {pending.config.channels.length}{' '}
            channels, {pending.config.rules.length} rules?
          </p>
          <div className="button-row">
            <button type="button" className="btn btn--danger" onClick={() => void importConfig()}>
              Replace config
            </button>
            <button type="button" className="btn btn--ghost" onClick={() => setPending(undefined)}>
              Cancel
            </button>
          </div>
        </div>
      )}
      {result && (
        <div role="status">
          <p>
            Imported {result.sources} sources, {result.channels} channels, {result.rules} rules.
          </p>
          {result.unresolvedSecrets.length > 0 && (
            <>
              <p className="warn-text">These secrets are not available on this machine yet:</p>
              <ul>
                {result.unresolvedSecrets.map((s) => (
                  <li key={s} className="mono">
                    {s}
                  </li>
                ))}
              </ul>
            </>
          )}
        </div>
      )}
    </section>
  );
}

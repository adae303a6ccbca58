// Settings → Updates: where the desktop app looks for new versions (electron-updater's
// generic server or GitHub releases), or nowhere. The desktop app checks at start and
// daily and offers "Restart to update" in the tray; the headless hub never updates itself.
import { useState } from 'react';
import { ApiError } from '../../../shared/api.js';
import { type Settings, UpdateFeedSchema } from '../../../shared/config.js';
import { asError, useApi } from '../../api/context.js';
import { useHub } from '../../app/status.js';
import { Field } from '../../components/Field.js';
import { useToast } from '../../components/Toasts.js';
import { asSettingsReplacement } from '../../lib/settings-draft.js';

type Kind = 'off' | 'generic' | 'github';

export function UpdatesSection(props: { settings: Settings }) {
  const invoke = useApi();
  const { reload } = useHub();
  const toast = useToast();
  const feed = props.settings.updates.feed;
  const [kind, setKind] = useState<Kind>(feed?.provider ?? 'off');
  const [url, setUrl] = useState(feed?.provider === 'generic' ? feed.url : '');
  const [owner, setOwner] = useState(feed?.provider === 'github' ? feed.owner : '');
  const [repo, setRepo] = useState(feed?.provider === 'github' ? feed.repo : '');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [saving, setSaving] = useState(false);

  const save = async () => {
    let next: Settings['updates'] = {};
    if (kind !== 'off') {
      const parsed = UpdateFeedSchema.safeParse(kind === 'generic' ? { provider: 'generic', url: url.trim() } : { provider: 'github', owner: owner.trim(), repo: repo.trim() });
      if (!parsed.success) {
        setErrors(Object.fromEntries(parsed.error.issues.map((issue) => [String(issue.path[0] ?? ''), issue.message])));
        return;
      }
      next = { feed: parsed.data };
    }
    setErrors({});
    setSaving(true);
    try {
      await invoke('settings.update', { settings: asSettingsReplacement({ ...props.settings, updates: next }) });
      reload();
      toast(kind === 'off' ? 'Update checks off' : 'Update feed saved; the desktop app checks it now and daily');
    } catch (e) {
      setErrors({ '': e instanceof ApiError ? e.message : asError(e).message });
    } finally {
      setSaving(false);
    }
  };

  return (
    <form
      className="card form"
      aria-labelledby="updates-title"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <h2 id="updates-title">Updates</h2>
      <p className="field__hint">
        The desktop app (an installed package) looks for a newer version at start and daily, downloads and verifies it, and offers
        “Restart to update” in the tray. The headless hub and a checkout run with <code>npm start</code> never update themselves.
      </p>
      <fieldset className="radio-group" aria-label="Update feed">
        {(
          [
            ['off', 'Do not look for updates'],
            ['generic', 'A server (latest.yml / latest-linux.yml / latest-mac.yml and the installers)'],
            ['github', 'GitHub releases'],
          ] as const
        ).map(([value, label]) => (
          <label key={value} className="radio">
            <input type="radio" name="update-feed" value={value} checked={kind === value} onChange={() => setKind(value)} />
            {label}
          </label>
        ))}
      </fieldset>
      {kind === 'generic' && (
        <Field label="Feed URL" error={errors.url} hint="https (plain http only to localhost)">
          {(control) => <input {...control} type="url" className="mono" placeholder="https://downloads.example.com/herald/" value={url} onChange={(e) => setUrl(e.target.value)} />}
        </Field>
      )}
      {kind === 'github' && (
        <div className="form__grid">
          <Field label="Owner" error={errors.owner}>
            {(control) => <input {...control} placeholder="acme" value={owner} onChange={(e) => setOwner(e.target.value)} />}
          </Field>
          <Field label="Repository" error={errors.repo}>
            {(control) => <input {...control} placeholder="herald" value={repo} onChange={(e) => setRepo(e.target.value)} />}
          </Field>
        </div>
      )}
      {errors[''] && <p className="error-text" role="alert">{errors['']}</p>}
      <div className="button-row">
        <button type="submit" className="btn btn--primary" disabled={saving}>
          Save
        </button>
      </div>
    </form>
  );
}

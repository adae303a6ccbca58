// "Connect GitHub" / "Connect GitLab": paste a personal token (or name where it is), see
// whose it is, pick repositories or projects from a searchable list (or everything of an
// owner/group), and add a polled source. The token goes to the keychain when the source
// is saved (or stays an env: reference); the discovery step stores nothing.
import { useEffect, useMemo, useRef, useState } from 'react';
import type { CiDiscovery } from '../../../shared/api.js';
import { asError, useApi } from '../../api/context.js';
import { CheckboxField, Field } from '../../components/Field.js';
import { SecretInput } from '../../components/secrets.js';
import { slugify } from '../../lib/ids.js';
import { resolveSecret, type SecretDraft } from '../../lib/secret-draft.js';
import { filterRepos, ownersOf, sourceConfigFor, typedEntry } from './connect-ci.js';

export type CiProvider = 'github-actions' | 'gitlab-ci';

const TEXT: Record<CiProvider, { title: string; tool: string; url: string; urlHint: string; what: string; one: string; tokenHint: string }> = {
  'github-actions': {
    title: 'Connect GitHub',
    tool: 'GitHub',
    url: 'API URL',
    urlHint: 'Empty for github.com; GitHub Enterprise Server: https://<host>/api/v3',
    what: 'repositories',
    one: 'repository',
    tokenHint: 'A personal access token: classic with the repo scope, or fine-grained with Actions and Deployments: read.',
  },
  'gitlab-ci': {
    title: 'Connect GitLab',
    tool: 'GitLab',
    url: 'GitLab URL',
    urlHint: 'Empty for gitlab.com; a self-managed server: https://gitlab.example.com',
    what: 'projects',
    one: 'project',
    tokenHint: 'A personal access token with the read_api scope.',
  },
};
const SHOWN = 200;

export function ConnectCi(props: { provider: CiProvider; keychainAvailable: boolean; takenIds: string[]; onCancel(): void; onAdded(name: string): void }) {
  const invoke = useApi();
  const text = TEXT[props.provider];
  const [draft, setDraft] = useState<SecretDraft>(props.keychainAvailable ? { mode: 'keychain', value: '' } : { mode: 'env', variable: '' });
  const [url, setUrl] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [found, setFound] = useState<CiDiscovery>();
  const [search, setSearch] = useState('');
  const [picked, setPicked] = useState<string[]>([]);
  const [onlyMine, setOnlyMine] = useState(false);
  const [name, setName] = useState('');

  // Opened from its button, which is gone now: the keyboard starts at the token.
  const panel = useRef<HTMLElement>(null);
  useEffect(() => panel.current?.querySelector<HTMLInputElement>('input')?.focus(), []);

  const token = resolveSecret(draft);
  const shown = useMemo(() => (found ? filterRepos(found.repos, search) : []), [found, search]);
  const owners = useMemo(() => (found ? ownersOf(found.repos).filter((o) => o.toLowerCase().includes(search.trim().toLowerCase())) : []), [found, search]);
  const typed = found ? typedEntry(props.provider, found.repos, search) : undefined;
  // Entries typed in and picked stay on the list (to be unticked) whatever the search says.
  const extras = useMemo(() => {
    const listed = new Set(found ? [...found.repos.map((r) => r.name), ...ownersOf(found.repos).map((o) => `${o}/*`)] : []);
    const own = picked.filter((p) => !listed.has(p));
    return typed !== undefined && !own.includes(typed) ? [typed, ...own] : own;
  }, [found, picked, typed]);

  const connect = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const answer = await invoke('sources.discover', {
        kind: props.provider,
        ...(token.value !== undefined ? { token: token.value } : { tokenRef: token.ref ?? '' }),
        ...(url.trim() && { url: url.trim() }),
      });
      setFound(answer);
      setPicked([]);
      setName(`${text.tool}: ${answer.account}`);
    } catch (e) {
      setFound(undefined);
      setError(asError(e).message);
    } finally {
      setBusy(false);
    }
  };

  const toggle = (entry: string, on: boolean) => setPicked((list) => (on ? [...list, entry] : list.filter((x) => x !== entry)));

  const add = async () => {
    setBusy(true);
    setError(undefined);
    try {
      let id = slugify(name) || (props.provider === 'github-actions' ? 'github' : 'gitlab');
      for (let n = 2; props.takenIds.includes(id); n++) id = `${slugify(name).slice(0, 58)}-${n}`;
      const config = sourceConfigFor(props.provider, { id, name: name.trim(), picked, url: url.trim(), onlyMine, ...(token.ref && { tokenRef: token.ref }) });
      await invoke('sources.create', { config, secrets: token.value !== undefined ? { token: token.value } : {} });
      props.onAdded(name.trim());
    } catch (e) {
      setError(asError(e).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section ref={panel} className="card connect-ci" aria-label={text.title} data-testid={`connect-${props.provider}`}>
      <h2>{text.title}</h2>
      <Field label="Token" required hint={text.tokenHint}>
        {(control) => <SecretInput control={control} draft={draft} onChange={setDraft} keychainAvailable={props.keychainAvailable} />}
      </Field>
      <Field label={text.url} hint={text.urlHint}>
        {(control) => <input {...control} type="url" value={url} placeholder="(default)" onChange={(e) => setUrl(e.target.value)} />}
      </Field>
      <div className="form-actions">
        <button type="button" className="btn btn--primary" disabled={busy || (token.value === undefined && !token.ref)} onClick={() => void connect()}>
          {busy && !found ? 'Connecting…' : found ? 'Connect again' : 'Connect'}
        </button>
        <button type="button" className="btn" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
      {error && (
        <p className="error-text" role="alert">
          {error}
        </p>
      )}

      {found && (
        <div className="connect-ci__picker">
          <p data-testid="connect-account">
            Connected as <strong>{found.account}</strong> <span className="muted">({found.detail})</span> — {found.repos.length.toLocaleString('en-US')} {found.repos.length === 1 ? text.one : text.what}
            {found.truncated ? ' (the most recently active; more exist: use owner/* or type one in the search)' : ''}
          </p>
          <Field label={`Search ${text.what}`}>
            {(control) => <input {...control} type="search" value={search} placeholder="name or owner" onChange={(e) => setSearch(e.target.value)} />}
          </Field>
          <ul className="connect-ci__list" aria-label={text.what}>
            {extras.map((entry) => (
              <li key={`typed:${entry}`}>
                <CheckboxField
                  label={entry}
                  hint={`Not in the token's list: ${entry.endsWith('/*') ? 'everything of it the token can read' : 'checked when the source first polls'}.`}
                  checked={picked.includes(entry)}
                  onChange={(on) => toggle(entry, on)}
                />
              </li>
            ))}
            {owners.map((owner) => (
              <li key={`${owner}/*`}>
                <CheckboxField label={`${owner}/* — every one of ${owner}, now and later`} checked={picked.includes(`${owner}/*`)} onChange={(on) => toggle(`${owner}/*`, on)} />
              </li>
            ))}
            {shown.slice(0, SHOWN).map((repo) => (
              <li key={repo.name}>
                <CheckboxField
                  label={`${repo.name}${repo.private ? ' (private)' : ''}`}
                  hint={repo.description}
                  checked={picked.includes(repo.name)}
                  onChange={(on) => toggle(repo.name, on)}
                />
              </li>
            ))}
          </ul>
          {shown.length > SHOWN && <p className="muted small">{shown.length - SHOWN} more: narrow the search.</p>}
          {shown.length === 0 && owners.length === 0 && extras.length === 0 && (
            <p className="muted">
              Nothing matches “{search}”. To watch one the token does not list, type it whole: {props.provider === 'github-actions' ? 'owner/name or owner/*' : 'group/project or group/*'}.
            </p>
          )}
          <CheckboxField label="Only runs I triggered" checked={onlyMine} onChange={setOnlyMine} />
          <Field label="Source name" required>
            {(control) => <input {...control} value={name} onChange={(e) => setName(e.target.value)} />}
          </Field>
          <div className="form-actions">
            <button type="button" className="btn btn--primary" disabled={busy || picked.length === 0 || !name.trim()} onClick={() => void add()}>
              Add source watching {picked.length} {picked.length === 1 ? 'entry' : 'entries'}
            </button>
          </div>
        </div>
      )}
    </section>
  );
}

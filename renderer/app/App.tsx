// The shell: a sidebar with the five pages and a health/unread summary, and the page.
import { useCallback, useEffect, useMemo, useState } from 'react';
import type { HeraldBridge } from '../../shared/api.js';
import { BridgeProvider, useResource } from '../api/context.js';
import type { AuthRequiredError } from '../api/http-bridge.js';
import { ToastProvider } from '../components/Toasts.js';
import { formatDateTime } from '../lib/time.js';
import { ChannelsPage } from '../pages/channels/ChannelsPage.js';
import { HistoryPage } from '../pages/history/HistoryPage.js';
import { NowPage } from '../pages/now/NowPage.js';
import { ThreadPage } from '../pages/thread/ThreadPage.js';
import { RulesPage } from '../pages/rules/RulesPage.js';
import { SettingsPage } from '../pages/settings/SettingsPage.js';
import { SourcesPage } from '../pages/sources/SourcesPage.js';
import { pageHref, PAGES, useRoute, type Page } from './route.js';
import { HubProvider, useHub } from './status.js';

const PAGE_TITLES: Record<Page, string> = {
  now: 'Now',
  thread: 'Thread',
  history: 'History',
  sources: 'Sources',
  channels: 'Channels',
  rules: 'Rules',
  settings: 'Settings',
};

export function App(props: { bridge: HeraldBridge }) {
  const [auth, setAuth] = useState<AuthRequiredError>();
  const onAuthRequired = useCallback((error: AuthRequiredError) => setAuth(error), []);
  if (auth) return <SignedOut error={auth} />;
  return (
    <BridgeProvider bridge={props.bridge} onAuthRequired={onAuthRequired}>
      <ToastProvider>
        <HubProvider>
          <Shell />
        </HubProvider>
      </ToastProvider>
    </BridgeProvider>
  );
}

function Shell() {
  const route = useRoute();
  const { settings } = useHub();

  // Theme: follow the OS unless the user chose one.
  const theme = settings?.theme ?? 'system';
  useEffect(() => {
    if (theme === 'system') delete document.documentElement.dataset.theme;
    else document.documentElement.dataset.theme = theme;
  }, [theme]);

  // The tab (or window) title leads with what is red and not muted, as mail tabs count unread:
  // the browser UI of a headless hub has no tray icon to say it.
  const failing = useFailingCount();
  useEffect(() => {
    document.title = `${failing > 0 ? `(${failing}) ` : ''}${PAGE_TITLES[route.page]} · Herald`;
  }, [route.page, failing]);

  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <Sidebar current={route.page} failing={failing} />
      <main id="main" className="main" tabIndex={-1}>
        <PageView page={route.page} param={route.param} />
      </main>
    </div>
  );
}

function PageView(props: { page: Page; param?: string | undefined }) {
  switch (props.page) {
    case 'now':
      return <NowPage />;
    case 'thread':
      return <ThreadPage commit={props.param} />;
    case 'history':
      return <HistoryPage selectedId={props.param} />;
    case 'sources':
      return <SourcesPage />;
    case 'channels':
      return <ChannelsPage />;
    case 'rules':
      return <RulesPage />;
    case 'settings':
      return <SettingsPage />;
  }
}

function Sidebar(props: { current: Page; failing: number }) {
  const { status, settings, error } = useHub();
  // A source that needs its secret or refused its last request says so by id, on its own line.
  const attention = useMemo(() => (status?.sources ?? []).filter((s) => s.attention), [status]);
  const unhealthy = useMemo(
    // A paused source's last health is history: its row says "paused", and so does nothing here.
    () => [...(status?.sources ?? []).filter((s) => !s.attention && !s.paused), ...(status?.channels ?? [])].filter((x) => !x.health.healthy),
    [status],
  );
  const badge: Partial<Record<Page, { text: string; label: string; tone: string }>> = {};
  const { failing } = props;
  // Said as the Now page's header says it ("81 failing (1 muted)"): a screen reader hearing two failing figures must know why.
  if (failing) badge.now = { text: String(failing), label: `${failing} failing, not muted`, tone: 'bad' };
  if (status?.counts.unread) badge.history = { text: String(status.counts.unread), label: `${status.counts.unread} unread`, tone: 'accent' };
  const badSources = status?.sources.filter((s) => (!s.health.healthy && !s.paused) || s.attention).length ?? 0;
  if (badSources) badge.sources = { text: String(badSources), label: `${badSources} not working`, tone: 'bad' };
  const badChannels = (status?.channels.filter((c) => !c.health.healthy).length ?? 0) + (status?.counts.failedDeliveries ? 1 : 0);
  if (badChannels && status)
    badge.channels = {
      text: String(status.counts.failedDeliveries || badChannels),
      label: status.counts.failedDeliveries ? `${status.counts.failedDeliveries} failed deliveries` : `${badChannels} unhealthy`,
      tone: 'bad',
    };
  const snoozed = settings?.snoozeUntil && Date.parse(settings.snoozeUntil) > Date.now() ? settings.snoozeUntil : undefined;

  return (
    <nav className="sidebar" aria-label="Pages">
      <div className="sidebar__brand">
        <span className="sidebar__logo" aria-hidden="true" />
        Herald
      </div>
      <ul className="sidebar__nav">
        {PAGES.map((page) => (
          <li key={page}>
            <a href={pageHref(page)} aria-current={props.current === page ? 'page' : undefined}>
              <span>{PAGE_TITLES[page]}</span>
              {badge[page] && (
                <span className={`count count--${badge[page].tone}`} aria-label={badge[page].label} title={badge[page].label}>
                  {badge[page].text}
                </span>
              )}
            </a>
          </li>
        ))}
      </ul>
      <section className="sidebar__summary" aria-label="Summary">
        {error ? (
          <p className="summary__line summary__line--bad">Hub unreachable: {error.message}</p>
        ) : !status ? (
          <p className="summary__line">Connecting…</p>
        ) : (
          <>
            <p className="summary__line">
              <span className="mono">{status.counts.events.toLocaleString('en-US')}</span> {status.counts.events === 1 ? 'event' : 'events'} ·{' '}
              <span className="mono">{status.counts.unread.toLocaleString('en-US')}</span> unread
            </p>
            {attention.map((s) => (
              <p key={s.id} className="summary__line summary__line--bad" data-testid="source-attention" title={s.attention}>
                Source <span className="mono">{s.id}</span> {s.attention}
              </p>
            ))}
            {/* Not "All healthy" while the database is the problem: the line below says what is wrong. */}
            {(unhealthy.length > 0 || (attention.length === 0 && status.database.ok)) && (
              <p className={`summary__line ${unhealthy.length ? 'summary__line--bad' : 'summary__line--ok'}`}>
                {unhealthy.length ? `${unhealthy.length} unhealthy: ${unhealthy.map((u) => u.name).join(', ')}` : 'All healthy'}
              </p>
            )}
            {!status.database.ok && (
              <p className="summary__line summary__line--bad" data-testid="database-problem" title={status.database.problem}>
                Database: {status.database.problem ?? 'not accepting events'}
              </p>
            )}
            {status.counts.pendingDeliveries > 0 && (
              <p className="summary__line">
                <span className="mono">{status.counts.pendingDeliveries}</span> {status.counts.pendingDeliveries === 1 ? 'delivery' : 'deliveries'} pending
              </p>
            )}
            {snoozed && <p className="summary__line summary__line--warn">Popups paused until {formatDateTime(snoozed)}</p>}
            {!status.keychain.available && (
              <p className="summary__line summary__line--warn" title={status.keychain.reason}>
                No keychain: secrets in env: or file:
              </p>
            )}
          </>
        )}
      </section>
    </nav>
  );
}

/** Failing things on the board not muted: the Now badge (the hub's counts, no items). Kept current by the board's updates. */
function useFailingCount(): number {
  const board = useResource('board.list', { states: ['failing'], limit: 0 }, (u) => u.type === 'board.updated' || u.type === 'board.changed' || u.type === 'mutes.changed');
  const counts = board.data?.counts;
  return counts ? counts.failing - counts.mutedFailing : 0;
}

function SignedOut(props: { error: AuthRequiredError }) {
  // Opened from a link whose token the hub refused (it answers such a link with this page): say
  // so, and take the wrong token out of the address bar and the history.
  const [wrongLink] = useState(() => new URLSearchParams(window.location.search).has('token'));
  useEffect(() => {
    if (wrongLink) window.history.replaceState(null, '', `/${window.location.hash}`);
  }, [wrongLink]);
  return (
    <main className="signed-out">
      <h1>Herald</h1>
      {props.error.status === 401 ? (
        <>
          {wrongLink && (
            <p className="error-text" role="alert">
              The token in that link is not this hub&rsquo;s: mistyped, cut short, or from a start with another <code className="mono">--api-token</code>.
            </p>
          )}
          <p>
            This browser is not signed in to the hub. Open the link the hub printed when it started (
            <code className="mono">http://127.0.0.1:PORT/?token=…</code>); it signs this browser in. The token is also in the file{' '}
            <code className="mono">api-token</code> in the hub&rsquo;s data dir, unless it was given with <code className="mono">--api-token</code> or{' '}
            <code className="mono">HERALD_API_TOKEN</code>.
          </p>
        </>
      ) : (
        <p>The hub refused this page ({props.error.message}). Open it from the address the hub printed, not through another host name.</p>
      )}
    </main>
  );
}

// The hub's status (counts, health, URLs) and the settings, shared by the shell and the
// pages. Reloaded on live updates, at most about once a second while events pour in.
import { createContext, useContext, useEffect, useRef, useState, type ReactNode } from 'react';
import type { ApiOutput } from '../../shared/api.js';
import type { Settings } from '../../shared/config.js';
import { asError, useApi, useUpdates } from '../api/context.js';

export type HubStatus = ApiOutput<'hub.status'>;

interface HubState {
  status: HubStatus | undefined;
  settings: Settings | undefined;
  error: Error | undefined;
  reload(): void;
}

const HubContext = createContext<HubState>({ status: undefined, settings: undefined, error: undefined, reload: () => {} });

export const useHub = () => useContext(HubContext);

const STATUS_MIN_INTERVAL_MS = 1000;

export function HubProvider(props: { children: ReactNode }) {
  const invoke = useApi();
  const [status, setStatus] = useState<HubStatus>();
  const [settings, setSettings] = useState<Settings>();
  const [error, setError] = useState<Error>();
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  const lastLoad = useRef(0);

  const loadStatus = () => {
    lastLoad.current = Date.now();
    invoke('hub.status', {}).then(
      (s) => {
        setStatus(s);
        setError(undefined);
      },
      (e: unknown) => setError(asError(e)),
    );
  };
  const loadSettings = () => {
    invoke('settings.get', {}).then(setSettings, (e: unknown) => setError(asError(e)));
  };
  /** Coalesce bursts: one load now, then at most one per interval. */
  const scheduleStatus = () => {
    if (timer.current) return;
    const wait = Math.max(0, lastLoad.current + STATUS_MIN_INTERVAL_MS - Date.now());
    timer.current = setTimeout(() => {
      timer.current = undefined;
      loadStatus();
    }, wait);
  };

  useEffect(() => {
    loadStatus();
    loadSettings();
    return () => clearTimeout(timer.current);
  }, []); // eslint-disable-line react-hooks/exhaustive-deps

  useUpdates((update) => {
    if (update.type === 'config.changed' && update.what === 'settings') loadSettings();
    scheduleStatus();
  });

  const reload = () => {
    loadStatus();
    loadSettings();
  };
  return <HubContext.Provider value={{ status, settings, error, reload }}>{props.children}</HubContext.Provider>;
}

// React access to the bridge: `useApi()` to call methods, `useUpdates()` for the live
// stream, `useResource()` for "load this and reload it when that changes".
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import type { ApiInput, ApiMethod, ApiOutput, ApiUpdate, HeraldBridge } from '../../shared/api.js';
import { AuthRequiredError } from './http-bridge.js';

export type Invoke = <M extends ApiMethod>(method: M, input: ApiInput<M>) => Promise<ApiOutput<M>>;

interface BridgeValue {
  invoke: Invoke;
  subscribe: HeraldBridge['subscribe'];
}

const BridgeContext = createContext<BridgeValue | null>(null);

export function BridgeProvider(props: { bridge: HeraldBridge; onAuthRequired(error: AuthRequiredError): void; children: ReactNode }) {
  const { bridge, onAuthRequired } = props;
  const value = useMemo<BridgeValue>(
    () => ({
      invoke: async (method, input) => {
        try {
          return await bridge.invoke(method, input);
        } catch (error) {
          if (error instanceof AuthRequiredError) onAuthRequired(error);
          throw error;
        }
      },
      subscribe: (listener) => bridge.subscribe(listener),
    }),
    [bridge, onAuthRequired],
  );
  return <BridgeContext.Provider value={value}>{props.children}</BridgeContext.Provider>;
}

function useBridge(): BridgeValue {
  const value = useContext(BridgeContext);
  if (!value) throw new Error('useApi outside <BridgeProvider>');
  return value;
}

export const useApi = (): Invoke => useBridge().invoke;

/** Subscribe for the component's lifetime; the latest listener is always the one called. */
export function useUpdates(listener: (update: ApiUpdate) => void): void {
  const { subscribe } = useBridge();
  const latest = useRef(listener);
  latest.current = listener;
  useEffect(() => subscribe((update) => latest.current(update)), [subscribe]);
}

const RELOAD_COALESCE_MS = 300;

export interface Resource<T> {
  data: T | undefined;
  error: Error | undefined;
  loading: boolean;
  /**
   * Load again. Settles once the answer (or the error) is in `data`/`error` — or a later load's
   * is — so an action can stay busy until the list it changed is shown (a Rules arrow pressed
   * again before that would act on the old order).
   */
  reload(): Promise<void>;
}

/**
 * Load `method(input)` and again whenever `reloadOn(update)` says an update concerns it.
 * `input` is compared by value (JSON), so callers may pass literals.
 */
export function useResource<M extends ApiMethod>(
  method: M,
  input: ApiInput<M>,
  reloadOn?: (update: ApiUpdate) => boolean,
): Resource<ApiOutput<M>> {
  const invoke = useApi();
  const key = JSON.stringify(input);
  const [state, setState] = useState<{ data?: ApiOutput<M>; error?: Error; loading: boolean }>({ loading: true });
  const [generation, setGeneration] = useState(0);
  // reload()'s callers, each with the generation it asked for: a load of that generation or a
  // later one answers them (an earlier load still in flight is dropped, as its answer is older).
  const requested = useRef(0);
  const waiting = useRef<Array<{ generation: number; resolve(): void }>>([]);
  const reload = useCallback(
    () =>
      new Promise<void>((resolve) => {
        const next = ++requested.current;
        waiting.current.push({ generation: next, resolve });
        setGeneration(next);
      }),
    [],
  );
  const answered = (loaded: number) => {
    const done = waiting.current.filter((w) => w.generation <= loaded);
    waiting.current = waiting.current.filter((w) => w.generation > loaded);
    for (const w of done) w.resolve();
  };
  // Unmounted: nobody is left to show an answer to, and nobody may wait for one.
  useEffect(() => () => answered(Infinity), []);

  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    invoke(method, JSON.parse(key) as ApiInput<M>).then(
      (data) => {
        if (!live) return;
        setState({ data, loading: false });
        answered(generation);
      },
      (error: unknown) => {
        if (!live) return;
        setState((s) => ({ data: s.data, error: asError(error), loading: false }));
        answered(generation);
      },
    );
    return () => {
      live = false;
    };
  }, [invoke, method, key, generation]);

  // Bursts of updates (events pouring in) coalesce into one reload per interval.
  const pending = useRef<ReturnType<typeof setTimeout>>(undefined);
  useEffect(() => () => clearTimeout(pending.current), []);
  useUpdates((update) => {
    if (!reloadOn?.(update) || pending.current) return;
    pending.current = setTimeout(() => {
      pending.current = undefined;
      void reload();
    }, RELOAD_COALESCE_MS);
  });

  return { data: state.data, error: state.error, loading: state.loading, reload };
}

export const asError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));

/** reloadOn helpers */
export const onConfig =
  (...what: Array<'sources' | 'channels' | 'rules' | 'settings'>) =>
  (u: ApiUpdate): boolean =>
    u.type === 'config.changed' && what.includes(u.what);

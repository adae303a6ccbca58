// The global shortcut that opens Herald (Settings → shortcut, default CommandOrControl+Shift+H).
// Registered at start and again whenever the setting changes. A shortcut another app holds
// makes `globalShortcut.register` return false: that is kept as a problem in one sentence,
// which the log, the tray menu and Settings (api shortcut.status) show — never lost silently.
import type { GlobalShortcut } from 'electron';
import { acceleratorProblem } from '../../shared/accelerator.js';

export interface ShortcutState {
  accelerator: string;
  registered: boolean;
  /** Why it is not registered; absent when it is, or when no shortcut is set. */
  problem?: string;
}

/** What one attempt to register means; `result` is register's answer, or what it threw. */
export function shortcutState(accelerator: string, result: boolean | Error | undefined): ShortcutState {
  if (accelerator === '') return { accelerator, registered: false };
  const malformed = acceleratorProblem(accelerator);
  if (malformed) return { accelerator, registered: false, problem: `the shortcut ${accelerator} ${malformed}` };
  if (result === true) return { accelerator, registered: true };
  if (result instanceof Error) return { accelerator, registered: false, problem: `the system refused the shortcut ${accelerator}: ${result.message}` };
  return { accelerator, registered: false, problem: `the shortcut ${accelerator} is taken by another app: choose another one in Settings` };
}

export interface ShortcutController {
  /** Registers this accelerator (and drops the previous one); a no-op when it is already in place. */
  apply(accelerator: string): ShortcutState;
  state(): ShortcutState;
  dispose(): void;
}

export function createShortcutController(
  globalShortcut: Pick<GlobalShortcut, 'register' | 'unregister'>,
  onPress: () => void,
  onChange: (state: ShortcutState) => void,
): ShortcutController {
  let current: ShortcutState = { accelerator: '', registered: false };
  return {
    apply(accelerator) {
      if (accelerator === current.accelerator && (current.registered || accelerator === '')) return current;
      if (current.registered) globalShortcut.unregister(current.accelerator);
      let result: boolean | Error | undefined;
      if (accelerator !== '' && !acceleratorProblem(accelerator)) {
        try {
          result = globalShortcut.register(accelerator, onPress);
        } catch (error) {
          result = error instanceof Error ? error : new Error(String(error));
        }
      }
      current = shortcutState(accelerator, result);
      onChange(current);
      return current;
    },
    state: () => current,
    dispose() {
      if (current.registered) globalShortcut.unregister(current.accelerator);
      current = { accelerator: current.accelerator, registered: false };
    },
  };
}

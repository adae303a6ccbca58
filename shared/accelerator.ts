// Electron's accelerator syntax ("CommandOrControl+Shift+H"), checked where the user types
// it (Settings) and where the hub stores it, so the shell never registers something the OS
// would refuse as malformed. Names as in Electron's docs (Accelerator); case-insensitive,
// as Electron parses them.
import { z } from 'zod';

export const DEFAULT_SHORTCUT = 'CommandOrControl+Shift+H';

const MODIFIERS = ['command', 'cmd', 'control', 'ctrl', 'commandorcontrol', 'cmdorctrl', 'alt', 'option', 'altgr', 'shift', 'super', 'meta'];
const NAMED_KEYS = [
  'plus', 'space', 'tab', 'capslock', 'numlock', 'scrolllock', 'backspace', 'delete', 'insert', 'return', 'enter',
  'up', 'down', 'left', 'right', 'home', 'end', 'pageup', 'pagedown', 'escape', 'esc',
  'volumeup', 'volumedown', 'volumemute', 'medianexttrack', 'mediaprevioustrack', 'mediastop', 'mediaplaypause', 'printscreen',
  'numdec', 'numadd', 'numsub', 'nummult', 'numdiv',
];
const PUNCTUATION = ')!@#$%^&*(:;=<,_->.?/~`{][|\\}"\'';

function isKey(part: string): boolean {
  const p = part.toLowerCase();
  if (/^[a-z0-9]$/.test(p)) return true;
  if (/^f([1-9]|1[0-9]|2[0-4])$/.test(p)) return true;
  if (/^num[0-9]$/.test(p)) return true;
  if (part.length === 1 && PUNCTUATION.includes(part)) return true;
  return NAMED_KEYS.includes(p);
}

/** Why an accelerator is not one Electron accepts for a global shortcut, or undefined when it is. */
export function acceleratorProblem(accelerator: string): string | undefined {
  if (accelerator.trim() !== accelerator || accelerator === '') return 'must be modifiers and a key joined by +, e.g. CommandOrControl+Shift+H';
  const parts = accelerator.split('+');
  if (parts.some((p) => p === '')) return 'has an empty part: write the + key as Plus, e.g. CommandOrControl+Plus';
  const key = parts[parts.length - 1]!;
  const modifiers = parts.slice(0, -1);
  const unknown = modifiers.find((m) => !MODIFIERS.includes(m.toLowerCase()));
  if (unknown !== undefined) {
    return isKey(unknown) ? `has two keys (${unknown} and ${key}): one key, after the modifiers` : `"${unknown}" is not a modifier (CommandOrControl, Alt, Shift, Super…)`;
  }
  if (MODIFIERS.includes(key.toLowerCase())) return 'must end with a key, e.g. H or F5, after the modifiers';
  if (!isKey(key)) return `"${key}" is not a key Electron knows (A–Z, 0–9, F1–F24, Space, Up, Plus…)`;
  const seen = new Set(modifiers.map((m) => m.toLowerCase()));
  if (seen.size !== modifiers.length) return 'names a modifier twice';
  // A bare key (or Shift+key) as a global shortcut would swallow ordinary typing in every app.
  if (!modifiers.some((m) => m.toLowerCase() !== 'shift') && !/^f([1-9]|1[0-9]|2[0-4])$/i.test(key)) {
    return 'needs a modifier besides Shift (CommandOrControl, Alt, Super…), or a function key: it would take that key from every app';
  }
  return undefined;
}

export const AcceleratorSchema = z
  .string()
  .max(100)
  .superRefine((value, ctx) => {
    const problem = acceleratorProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

// Pipeline mutes as pure decisions (shared/mutes.ts, routeEvent's `muted` outcome) and the
// Settings shortcut's accelerator syntax (shared/accelerator.ts).
import { describe, expect, it, vi } from 'vitest';
import { acceleratorProblem, DEFAULT_SHORTCUT } from '../../../shared/accelerator.js';
import { RuleSchema, SettingsSchema } from '../../../shared/config.js';
import { isMuteActive, type Mute, mutedUntil, pipelineKey, pipelineOf } from '../../../shared/mutes.js';
import { routeEvent } from '../../../shared/rules.js';
import { makeEvent } from '../../helpers/fake-event.js';

const NOW = new Date('2025-06-01T12:00:00.000Z');
const mute = (over: Partial<Mute> = {}): Mute => ({
  key: pipelineKey({ sourceId: 'gh', project: 'acme/api', pipeline: 'ci', branch: 'main' }),
  sourceId: 'gh',
  project: 'acme/api',
  pipeline: 'ci',
  branch: 'main',
  untilPasses: true,
  createdAt: NOW.toISOString(),
  ...over,
});

describe('pipelineOf and pipelineKey', () => {
  it('a pipeline event: source + project + pipeline + branch, other subject fields ignored', () => {
    const event = makeEvent({ subject: { project: 'acme/api', pipeline: 'ci', branch: 'main', environment: 'production' } });
    expect(pipelineOf(event)).toEqual({ sourceId: 'gh', project: 'acme/api', pipeline: 'ci', branch: 'main' });
    expect(pipelineKey(pipelineOf(event)!)).toBe('["gh","acme/api","ci","main"]');
  });
  it('another source, another branch: another key; a field with the separator cannot collide', () => {
    const a = pipelineKey({ sourceId: 'gh', project: 'a","b', branch: 'main' });
    const b = pipelineKey({ sourceId: 'gh', project: 'a', pipeline: 'b', branch: 'main' });
    expect(a).not.toBe(b);
    expect(pipelineKey({ sourceId: 'gl', project: 'x' })).not.toBe(pipelineKey({ sourceId: 'gh', project: 'x' }));
  });
  it('is the JSON array of the four, whatever the text holds (built by hand only when nothing needs escaping)', () => {
    for (const text of ['plain', 'a"b', 'back\\slash', 'line\nbreak', '\u0001', 'é and 😀', '\ud800 alone', '\u2028', '']) {
      const ref = { sourceId: 'gh', project: text, pipeline: `ci ${text}`, branch: text };
      expect(pipelineKey(ref), JSON.stringify(text)).toBe(JSON.stringify(['gh', text, `ci ${text}`, text]));
      expect(pipelineKey({ sourceId: `src ${text}` }), JSON.stringify(text)).toBe(JSON.stringify([`src ${text}`, '', '', '']));
    }
  });
  it('no pipeline: not a pipeline.* event, or a subject without project, pipeline and branch', () => {
    expect(pipelineOf(makeEvent({ type: 'deployment.failed' }))).toBeUndefined();
    expect(pipelineOf(makeEvent({ subject: { environment: 'prod' } }))).toBeUndefined();
  });
});

describe('isMuteActive and mutedUntil (what a status board shows)', () => {
  it.each([
    ['until it passes', mute(), true, 'passes'],
    ['a timed mute still running', mute({ untilPasses: false, until: '2025-06-01T12:30:00.000Z' }), true, '2025-06-01T12:30:00.000Z'],
    ['a timed mute that ended', mute({ untilPasses: false, until: '2025-06-01T12:00:00.000Z' }), false, undefined],
  ])('%s', (_name, m, active, until) => {
    expect(isMuteActive(m, NOW)).toBe(active);
    expect(mutedUntil(m, NOW)).toBe(until);
  });
});

describe('routeEvent with a muted pipeline', () => {
  const rules = [
    RuleSchema.parse({ id: 'all', name: 'All', channels: ['slack', 'popup'] }),
    RuleSchema.parse({ id: 'digest', name: 'Digest', channels: ['slack'], digest: { windowSeconds: 3600 } }),
    RuleSchema.parse({ id: 'deploys', name: 'Deploys', match: { types: 'deployment.*' }, channels: ['slack'] }),
  ];
  const channelKinds = new Map([
    ['slack', 'slack'],
    ['popup', 'desktop'],
  ]);
  it('every matching rule holds every channel back, saying which mute; non-matching rules yield nothing', () => {
    const muteFor = vi.fn(() => mute());
    const outcomes = routeEvent(makeEvent(), rules, { now: NOW, lastRoutedAt: () => undefined, channelKinds, settings: {}, muteFor });
    expect(outcomes).toEqual([
      expect.objectContaining({ ruleId: 'all', outcome: 'muted', channels: [], heldBack: ['slack', 'popup'], reason: 'matched every event (no filters); held back: pipeline acme/api · ci · main is muted until it passes' }),
      expect.objectContaining({ ruleId: 'digest', outcome: 'muted', channels: [], heldBack: ['slack'] }),
    ]);
    expect(outcomes[1]).not.toHaveProperty('digest');
    expect(muteFor).toHaveBeenCalledTimes(1); // once per event, not per rule
  });
  it('no mute: routed as before; no rule matching: the store is not asked', () => {
    const muteFor = vi.fn(() => undefined);
    expect(routeEvent(makeEvent(), rules, { now: NOW, lastRoutedAt: () => undefined, channelKinds, settings: {}, muteFor }).map((o) => o.outcome)).toEqual(['routed', 'routed']);
    const none = vi.fn(() => mute());
    expect(routeEvent(makeEvent(), [rules[2]!], { now: NOW, lastRoutedAt: () => undefined, channelKinds, settings: {}, muteFor: none })).toEqual([]);
    expect(none).not.toHaveBeenCalled();
  });
});

describe('acceleratorProblem (Settings → global shortcut)', () => {
  it.each(['CommandOrControl+Shift+H', 'CmdOrCtrl+Alt+F12', 'Super+Space', 'Control+Plus', 'Alt+num5', 'F13', 'Shift+F7', 'ctrl+shift+h', 'Alt+/'])('%s is fine', (a) => {
    expect(acceleratorProblem(a)).toBeUndefined();
  });
  it.each([
    ['', 'must be modifiers and a key joined by +, e.g. CommandOrControl+Shift+H'],
    ['Ctrl++', 'has an empty part: write the + key as Plus, e.g. CommandOrControl+Plus'],
    ['Ctrl+Shift', 'must end with a key, e.g. H or F5, after the modifiers'],
    ['Hyper+H', '"Hyper" is not a modifier (CommandOrControl, Alt, Shift, Super…)'],
    ['Ctrl+A+B', 'has two keys (A and B): one key, after the modifiers'],
    ['Ctrl+Banana', '"Banana" is not a key Electron knows (A–Z, 0–9, F1–F24, Space, Up, Plus…)'],
    ['Ctrl+Ctrl+H', 'names a modifier twice'],
    ['H', 'needs a modifier besides Shift (CommandOrControl, Alt, Super…), or a function key: it would take that key from every app'],
    ['Shift+H', 'needs a modifier besides Shift (CommandOrControl, Alt, Super…), or a function key: it would take that key from every app'],
    [' Ctrl+H', 'must be modifiers and a key joined by +, e.g. CommandOrControl+Shift+H'],
  ])('%j: %s', (a, problem) => {
    expect(acceleratorProblem(a)).toBe(problem);
  });
  it('settings default to CommandOrControl+Shift+H and critical-only sound; empty turns the shortcut off; bad ones are refused', () => {
    const defaults = SettingsSchema.parse({});
    expect(defaults.shortcut).toBe(DEFAULT_SHORTCUT);
    expect(defaults.sound).toEqual({ critical: true, warning: false, success: false, info: false });
    expect(SettingsSchema.parse({ shortcut: '' }).shortcut).toBe('');
    expect(SettingsSchema.safeParse({ shortcut: 'Ctrl+Banana' }).error?.issues[0]).toMatchObject({ path: ['shortcut'] });
  });
});

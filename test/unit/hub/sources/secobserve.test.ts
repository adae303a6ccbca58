// SecObserve's product and notification shapes, table-driven: what is read, and which
// malformed entry is refused with which reason; the exception key SecObserve itself uses.
import { describe, expect, it } from 'vitest';
import { exceptionKey, parseNotification, parseProduct } from '../../../../electron/hub/sources/secobserve.js';

describe('parseProduct', () => {
  it.each([
    ['a failed gate', { id: 3, name: 'api', security_gate_passed: false, repository_default_branch_name: 'main', product_group_name: 'pay' }, { id: 3, name: 'api', passed: false, branch: 'main', group: 'pay' }],
    ['a disabled gate, empty branch name', { id: '4', name: 'web', security_gate_passed: null, repository_default_branch_name: '' }, { id: 4, name: 'web', passed: null }],
    ['open counts', { id: 5, name: 'lib', security_gate_passed: true, open_critical_observation_count: 2, open_high_observation_count: 7 }, { id: 5, name: 'lib', passed: true, openCritical: 2, openHigh: 7 }],
  ])('reads %s', (_name, json, expected) => {
    expect(parseProduct(json, 'products.results[0]')).toEqual(expected);
  });

  it.each([
    ['no gate field', { id: 1, name: 'api' }, 'products.results[0].security_gate_passed: expected true, false or null, got nothing (the field is missing)'],
    ['a gate as text', { id: 1, name: 'api', security_gate_passed: 'Failed' }, 'products.results[0].security_gate_passed: expected true, false or null, got "Failed"'],
    ['no id', { name: 'api', security_gate_passed: true }, 'products.results[0].id: expected an integer, got nothing (the field is missing)'],
    ['an empty name', { id: 1, name: ' ', security_gate_passed: true }, 'products.results[0].name: expected a non-empty string, got string " "'],
  ])('refuses %s', (_name, json, reason) => {
    expect(() => parseProduct(json, 'products.results[0]')).toThrow(`unexpected response shape: ${reason}`);
  });
});

describe('parseNotification and the exception key', () => {
  const n = (extra: object) => parseNotification({ id: 1, name: 'Exception "E" has occured', type: 'Exception', message: 'm', created: '2025-01-01T00:00:00Z', function: '', arguments: '', ...extra }, 'n');

  it('reads a task exception', () => {
    expect(n({ type: 'Task', function: 'import_epss', arguments: "{'x': 1}", product_name: 'api' })).toEqual({
      id: 1,
      type: 'Task',
      name: 'Exception "E" has occured',
      message: 'm',
      fn: 'import_epss',
      args: "{'x': 1}",
      created: '2025-01-01T00:00:00Z',
      product: 'api',
    });
  });

  it('keys an exception by class and message, function and arguments, not by id or time', () => {
    expect(exceptionKey(n({ id: 1 }))).toBe(exceptionKey(n({ id: 2, created: '2025-02-01T00:00:00Z' })));
    expect(exceptionKey(n({}))).not.toBe(exceptionKey(n({ message: 'other' })));
    expect(exceptionKey(n({}))).not.toBe(exceptionKey(n({ function: 'f' })));
    expect(exceptionKey(n({}))).not.toBe(exceptionKey(n({ arguments: 'a' })));
    expect(exceptionKey(n({}))).not.toBe(exceptionKey(n({ name: 'Exception "F" has occured' })));
  });

  it('refuses a notification without type', () => {
    expect(() => parseNotification({ id: 1, name: 'x' }, 'notifications.results[2]')).toThrow(
      'unexpected response shape: notifications.results[2].type: expected a non-empty string, got nothing (the field is missing)',
    );
  });
});

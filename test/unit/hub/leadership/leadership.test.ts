// The leadership seam: on one hub every lease is held; whileHeld runs the work exactly while
// the lease is held (started on a gain, stopped on a loss and at stop, never twice).
import { describe, expect, it } from 'vitest';
import { defaultReplicaId, type Lease, singleLeadership, whileHeld } from '../../../../electron/hub/leadership/leadership.js';

function switchable(held: boolean): Lease & { set(held: boolean): void } {
  const listeners = new Set<(held: boolean) => void>();
  return {
    name: 'x',
    held: () => held,
    onChange: (listener) => (listeners.add(listener), () => listeners.delete(listener)),
    ranAgoMs: () => undefined,
    noteRun: () => undefined,
    release: () => undefined,
    set(next) {
      held = next;
      for (const listener of listeners) listener(next);
    },
  };
}

describe('leadership', () => {
  it('a single hub holds every lease and lists the ones asked for', async () => {
    const leadership = singleLeadership('solo');
    expect(leadership.lease('poll:a').held()).toBe(true);
    expect(leadership.lease('poll:a')).toBe(leadership.lease('poll:a'));
    leadership.lease('digests');
    expect(await leadership.view()).toEqual([
      { name: 'digests', holder: 'solo', mine: true },
      { name: 'poll:a', holder: 'solo', mine: true },
    ]);
  });

  it('the replica id is configurable, else hostname:pid', () => {
    expect(defaultReplicaId({ HERALD_REPLICA_ID: ' herald-a ' })).toBe('herald-a');
    expect(defaultReplicaId({})).toMatch(new RegExp(`:${process.pid}$`));
  });

  it('whileHeld starts on a gain and stops on a loss, once each, and at stop', () => {
    const lease = switchable(false);
    const log: string[] = [];
    const running = whileHeld(lease, () => {
      log.push('start');
      return { stop: () => log.push('stop') };
    });
    expect(log).toEqual([]);
    lease.set(true);
    lease.set(true);
    lease.set(false);
    lease.set(false);
    lease.set(true);
    running.stop();
    lease.set(false);
    lease.set(true);
    expect(log).toEqual(['start', 'stop', 'start', 'stop']);
  });

  it('whileHeld starts at once when the lease is already held', () => {
    const log: string[] = [];
    whileHeld(switchable(true), () => (log.push('start'), { stop: () => log.push('stop') }));
    expect(log).toEqual(['start']);
  });
});

// Events for channel tests: a complete stored event, overridable field by field.
import type { HeraldEvent } from '../../shared/event.js';

export function makeEvent(overrides: Partial<HeraldEvent> = {}): HeraldEvent {
  return {
    id: '01JTESTEVENT000000000000001',
    source: { kind: 'github', id: 'gh', name: 'GitHub' },
    type: 'pipeline.failed',
    severity: 'critical',
    subject: { project: 'acme/api', environment: 'production', branch: 'main', pipeline: 'ci' },
    title: 'ci failed on main',
    summary: 'Job "test" failed.',
    url: 'https://github.com/acme/api/actions/runs/1',
    actor: 'ana',
    occurredAt: '2025-05-01T08:00:00.000Z',
    receivedAt: '2025-05-01T08:00:01.000Z',
    dedupKey: 'gh:pipeline.failed:acme/api',
    read: false,
    ...overrides,
  };
}

// DefectDojo's notification webhooks, with the bodies DefectDojo documents for each
// X-DefectDojo-Event (test/fixtures/defectdojo/webhook-bodies.json).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SourceSchema } from '../../../../shared/config.js';
import { EventInputSchema } from '../../../../shared/event.js';
import { defectdojoWebhookSource } from '../../../../electron/hub/sources/defectdojo-webhook.js';
import { webhookSourceFor } from '../../../../electron/hub/sources/registry.js';
import type { IncomingRequest } from '../../../../electron/hub/sources/source.js';

const BODIES = JSON.parse(readFileSync(join(import.meta.dirname, '../../../fixtures/defectdojo/webhook-bodies.json'), 'utf8')) as Record<string, unknown>;
const config = (minimumSeverity?: string) =>
  SourceSchema.parse({ id: 'dd-hook', kind: 'defectdojo-webhook', name: 'DefectDojo', secret: 'env:DD', ...(minimumSeverity && { minimumSeverity }) }) as never;

const request = (event: string | undefined, body: unknown, headers: Record<string, string> = {}): IncomingRequest => ({
  headers: {
    'content-type': 'application/json',
    'user-agent': 'DefectDojo-2.40.0',
    'x-defectdojo-instance': 'http://localhost:8080',
    ...(event && { 'x-defectdojo-event': event }),
    ...headers,
  },
  body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
  pathRest: '',
});
const parse = (event: string | undefined, body: unknown, minimum?: string) => defectdojoWebhookSource.parse(request(event, body), config(minimum));

describe('DefectDojo webhooks: the documented events', () => {
  it('is registered for the defectdojo-webhook kind', () => {
    expect(webhookSourceFor('defectdojo-webhook')).toBe(defectdojoWebhookSource);
  });

  it.each([
    ['product_type_added', [['defectdojo.product_type_added', 'DefectDojo: product type added: notif prod type', { group: 'notif prod type' }, 'http://localhost:8080/product/type/4']]],
    ['product_added', [['product.added', 'Product added: notif prod', { project: 'notif prod', group: 'notif prod type' }, 'http://localhost:8080/product/4']]],
    ['engagement_added', [['defectdojo.engagement_added', 'DefectDojo: engagement added: notif eng', { project: 'notif prod', group: 'notif prod type' }, 'http://localhost:8080/engagement/7']]],
    ['test_added', [['defectdojo.test_added', 'DefectDojo: test added: notif test', { project: 'notif prod', group: 'notif prod type' }, 'http://localhost:8080/test/90']]],
    [
      'scan_added',
      [
        ['scan.imported', 'notif test imported into notif prod', { project: 'notif prod', group: 'notif prod type' }, 'http://localhost:8080/test/90'],
        ['finding.new', 'Critical: New Finding', { project: 'notif prod', group: 'notif prod type' }, 'http://localhost:8080/finding/232'],
      ],
    ],
    ['scan_added_empty', [['scan.imported', 'notif test imported into notif prod: no changes', { project: 'notif prod', group: 'notif prod type' }, 'http://localhost:8080/test/90']]],
  ])('%s', (event, expected) => {
    const result = parse(event, BODIES[event]);
    expect(result.kind).toBe('events');
    if (result.kind !== 'events') return;
    expect(result.events.map((e) => [e.type, e.title, e.subject, e.url])).toEqual(expected);
    for (const e of result.events) {
      expect(EventInputSchema.safeParse(e).success).toBe(true);
      expect(e.actor).toBe('admin');
    }
  });

  it('summarises the import counts and carries the finding severity over', () => {
    const result = parse('scan_added', BODIES.scan_added);
    if (result.kind !== 'events') throw new Error(result.kind);
    expect(result.events[0]!.summary).toBe('1 new, 1 reactivated, 1 mitigated, 1 untouched findings (engagement notif eng).');
    expect(result.events[0]!.data).toMatchObject({ testId: 90, findingCount: 4, new: 1 });
    expect(result.events[1]).toMatchObject({ severity: 'critical', data: { severity: 'Critical', findingId: 232, testId: 90 } });
  });

  it('applies the minimum severity to new findings', () => {
    const body = structuredClone(BODIES.scan_added) as { findings: { new: Array<{ severity: string }> } };
    body.findings.new[0]!.severity = 'Low';
    const result = parse('scan_added', body, 'Medium');
    expect(result.kind === 'events' && result.events.map((e) => e.type)).toEqual(['scan.imported']);
    const all = parse('scan_added', body, 'Info');
    expect(all.kind === 'events' && all.events.map((e) => [e.type, e.severity])).toEqual([
      ['scan.imported', undefined],
      ['finding.new', 'info'],
    ]);
  });

  it('answers ping as understood but not an event', () => {
    expect(parse('ping', BODIES.ping)).toEqual({ kind: 'ignored', reason: 'DefectDojo ping: the endpoint works' });
  });

  it('keeps an event it does not know as defectdojo.<event>', () => {
    const result = parse('sla_breached', { description: 'Finding 12 breached its SLA', title: 'SLA', url_ui: 'http://localhost:8080/finding/12', user: null });
    expect(result.kind === 'events' && result.events).toEqual([
      { type: 'defectdojo.sla_breached', title: 'DefectDojo: sla breached: SLA', summary: 'Finding 12 breached its SLA', url: 'http://localhost:8080/finding/12', data: { event: 'sla_breached' } },
    ]);
  });

  it('reads the older body shape (url instead of url_ui, user as a string)', () => {
    const result = parse('test_added', {
      description: null,
      engagement: { id: 7, name: 'notif eng' },
      product: { id: 4, name: 'notif prod' },
      product_type: { id: 4, name: 'notif prod type' },
      test: { id: 90, title: 'notif test' },
      url: 'http://localhost:8080/test/90',
      user: 'admin',
    });
    expect(result.kind === 'events' && result.events[0]).toMatchObject({ url: 'http://localhost:8080/test/90', actor: 'admin', subject: { project: 'notif prod' } });
  });

  it.each([
    ['no X-DefectDojo-Event header', undefined, BODIES.product_added, 'not a DefectDojo webhook: the X-DefectDojo-Event header is missing'],
    ['bad JSON', 'product_added', '{"product":', 'body is not valid JSON: '],
    ['an array body', 'product_added', [1], 'not a DefectDojo webhook: the body must be a JSON object'],
  ])('refuses %s', (_name, event, body, reason) => {
    const result = parse(event, body);
    expect(result.kind).toBe('invalid');
    expect(result.kind === 'invalid' && result.reason).toContain(reason);
  });
});

// Bodies as DefectDojo's webhook templates render them (django-DefectDojo @7cfa159a67,
// dojo/notifications/templates/notifications/webhooks/): upcoming_engagement has no template of
// its own, so other.tpl (base.tpl: description, title, user, url_ui) with the title
// dojo/notifications/tasks.py gives it; review_requested.tpl adds the test (with engagement,
// product and product type), the finding, requested_by and reviewers.
const UPCOMING_ENGAGEMENT = {
  description: null,
  title: 'Upcoming engagement: Q3 pentest',
  user: null,
  url_ui: 'http://localhost:8080/engagement/12',
};
const REVIEW_REQUESTED = {
  description: 'Please confirm this is exploitable.',
  title: 'Finding review requested',
  user: null,
  url_ui: 'http://localhost:8080/finding/232',
  product_type: { name: 'notif prod type', id: 4, url_ui: 'http://localhost:8080/product/type/4', url_api: 'http://localhost:8080/api/v2/product_types/4/' },
  product: { name: 'notif prod', id: 4, url_ui: 'http://localhost:8080/product/4', url_api: 'http://localhost:8080/api/v2/products/4/' },
  engagement: { name: 'notif eng', id: 7, url_ui: 'http://localhost:8080/engagement/7', url_api: 'http://localhost:8080/api/v2/engagements/7/' },
  test: { title: 'notif test', id: 90, url_ui: 'http://localhost:8080/test/90', url_api: 'http://localhost:8080/api/v2/tests/90/' },
  finding: { id: 232, title: 'SQL injection in /login', severity: 'High', url_ui: 'http://localhost:8080/finding/232', url_api: 'http://localhost:8080/api/v2/findings/232/' },
  requested_by: { id: 1, username: 'admin', first_name: 'Ad', last_name: 'Min' },
  reviewers: [
    { id: 2, username: 'alice', first_name: 'Alice', last_name: 'A' },
    { id: 3, username: 'bob', first_name: 'Bob', last_name: 'B' },
  ],
};

describe('DefectDojo webhooks: one type for one thing, titles that name it', () => {
  it('upcoming_engagement is engagement.upcoming, as the poller raises it', () => {
    const result = parse('upcoming_engagement', UPCOMING_ENGAGEMENT);
    if (result.kind !== 'events') throw new Error(JSON.stringify(result));
    expect(result.events).toEqual([
      {
        type: 'engagement.upcoming',
        title: 'Engagement "Q3 pentest" starts in a few days',
        url: 'http://localhost:8080/engagement/12',
        data: { event: 'upcoming_engagement', engagementId: 12 },
      },
    ]);
  });

  it('review_requested names the finding under review (with its severity), not the test', () => {
    const result = parse('review_requested', REVIEW_REQUESTED);
    if (result.kind !== 'events') throw new Error(JSON.stringify(result));
    const [event] = result.events;
    expect(event).toMatchObject({
      type: 'defectdojo.review_requested',
      severity: 'critical',
      title: 'Review requested: High: SQL injection in /login',
      url: 'http://localhost:8080/finding/232',
      actor: 'admin',
      subject: { project: 'notif prod', group: 'notif prod type' },
      data: { event: 'review_requested', findingId: 232, severity: 'High', reviewers: ['alice', 'bob'] },
    });
    expect(event!.title).not.toContain('notif test');
    expect(event!.summary).toBe('Requested by admin; reviewers: alice, bob; test: notif test\nPlease confirm this is exploitable.');
    expect(EventInputSchema.safeParse(event).success).toBe(true);
  });
});

describe('DefectDojo webhooks: authentication', () => {
  const verify = (headers: Record<string, string>, pathRest = '') =>
    defectdojoWebhookSource.verify({ ...request('ping', BODIES.ping, headers), pathRest }, 'dd-secret', config());
  it.each([
    ['Authorization: Bearer (the webhook custom header)', { authorization: 'Bearer dd-secret' }, '', true],
    ['X-Herald-Token', { 'x-herald-token': 'dd-secret' }, '', true],
    ['the secret in the URL', {}, 'dd-secret', true],
    ["DefectDojo's own Auth header is not ours", { auth: 'Token dd-secret' }, '', false],
    ['a wrong token', { authorization: 'Bearer other' }, '', false],
    ['nothing', {}, '', false],
  ])('%s → %s', (_name, headers, pathRest, ok) => {
    expect(verify(headers, pathRest)).toBe(ok);
  });
});

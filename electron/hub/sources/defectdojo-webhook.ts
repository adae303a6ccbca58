// DefectDojo's notification webhooks (experimental in DefectDojo): `X-DefectDojo-Event`
// names the event, the JSON body carries the objects with `url_ui` / `url_api`
// (older releases: `url`). Auth: DefectDojo lets an admin add one header to its webhook
// (`header_name` / `header_value`): set `Authorization: Bearer <secret>` or
// `X-Herald-Token: <secret>`; or put the secret in the URL (`/hooks/<id>/<secret>`).
//
//   ping               → ignored (answered 202, so DefectDojo marks the endpoint active)
//   product_added      → product.added
//   scan_added         → scan.imported, plus finding.new for each new finding at or above
//                        minimumSeverity (DefectDojo's severity carried over)
//   scan_added_empty   → scan.imported ("the reimport changed nothing")
//   upcoming_engagement → engagement.upcoming (what the poller raises for the same reminder)
//   review_requested   → defectdojo.review_requested, titled by the finding under review
//                        (with its severity), not by its test
//   product_type_added, engagement_added, test_added, and any other event
//                      → defectdojo.<event> (info): kept, never refused
import type { SourceConfig } from '../../../shared/config.js';
import type { EventInput, Subject } from '../../../shared/event.js';
import type { DefectdojoSeverity } from '../../../shared/defectdojo-severities.js';
import { heraldSeverity, meetsThreshold, severityNamed } from './defectdojo-severity.js';
import { isObject, optionalText, optionalUrl } from './poll-http.js';
import type { IncomingRequest, ParseResult, WebhookSource } from './source.js';
import { verifyToken } from './token-auth.js';

export type DefectdojoWebhookConfig = Extract<SourceConfig, { kind: 'defectdojo-webhook' }>;

type Obj = Record<string, unknown>;
const objAt = (body: Obj, key: string): Obj => (isObject(body[key]) ? (body[key] as Obj) : {});
const nameOf = (o: Obj) => optionalText(o.name, 300) ?? optionalText(o.title, 300);
const linkOf = (o: Obj) => optionalUrl(o.url_ui) ?? optionalUrl(o.url);

function subjectOf(body: Obj): Subject | undefined {
  const product = nameOf(objAt(body, 'product'));
  const productType = nameOf(objAt(body, 'product_type'));
  if (!product && !productType) return undefined;
  return { ...(product && { project: product }), ...(productType && { group: productType }) };
}

function actorOf(body: Obj): string | undefined {
  if (isObject(body.user)) return optionalText(body.user.username, 200) ?? optionalText(body.user.email, 200);
  return optionalText(body.user, 200);
}

function severityOf(value: unknown): DefectdojoSeverity | undefined {
  return severityNamed(optionalText(value, 20));
}

export function parseDefectdojoWebhook(request: IncomingRequest, config: Pick<DefectdojoWebhookConfig, 'minimumSeverity'>): ParseResult {
  const event = optionalText(request.headers['x-defectdojo-event'], 100);
  if (!event) return { kind: 'invalid', reason: 'not a DefectDojo webhook: the X-DefectDojo-Event header is missing' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(request.body.toString('utf8'));
  } catch (error) {
    return { kind: 'invalid', reason: `body is not valid JSON: ${(error as Error).message}` };
  }
  if (!isObject(parsed)) return { kind: 'invalid', reason: 'not a DefectDojo webhook: the body must be a JSON object' };
  const body = parsed;
  if (event === 'ping') return { kind: 'ignored', reason: 'DefectDojo ping: the endpoint works' };

  const subject = subjectOf(body);
  const actor = actorOf(body);
  const common = { ...(subject && { subject }), ...(actor && { actor }) };
  const product = subject?.project;
  const test = objAt(body, 'test');
  const engagement = objAt(body, 'engagement');
  const description = optionalText(body.description, 5000);
  const events: EventInput[] = [];

  if (event === 'product_added') {
    const p = objAt(body, 'product');
    events.push({
      type: 'product.added',
      title: `Product added: ${nameOf(p) ?? 'unnamed'}`,
      ...(description && { summary: description }),
      ...(linkOf(p) ?? linkOf(body) ? { url: linkOf(p) ?? linkOf(body) } : {}),
      ...common,
      data: { event, ...(typeof p.id === 'number' && { productId: p.id }) },
    });
  } else if (event === 'scan_added' || event === 'scan_added_empty') {
    const findings = objAt(body, 'findings');
    const list = (key: string) => (Array.isArray(findings[key]) ? (findings[key] as unknown[]).filter(isObject) : []);
    const counts = { new: list('new').length, reactivated: list('reactivated').length, mitigated: list('mitigated').length, untouched: list('untouched').length };
    const testName = nameOf(test) ?? 'scan';
    const empty = event === 'scan_added_empty';
    events.push({
      type: 'scan.imported',
      title: `${testName} imported${product ? ` into ${product}` : ''}${empty ? ': no changes' : ''}`.slice(0, 500),
      summary: empty
        ? 'The reimport created and closed no findings.'
        : `${counts.new} new, ${counts.reactivated} reactivated, ${counts.mitigated} mitigated, ${counts.untouched} untouched findings` +
          `${nameOf(engagement) ? ` (engagement ${nameOf(engagement)})` : ''}.`,
      ...(linkOf(test) ?? linkOf(body) ? { url: linkOf(test) ?? linkOf(body) } : {}),
      ...common,
      data: { event, ...(typeof test.id === 'number' && { testId: test.id }), findingCount: body.finding_count ?? null, ...counts },
    });
    // "Empty" means the reimport created and closed nothing (DefectDojo documents one body for both).
    for (const finding of empty ? [] : list('new')) {
      const severity = severityOf(finding.severity);
      if (!severity || !meetsThreshold(severity, config.minimumSeverity)) continue;
      const url = linkOf(finding);
      events.push({
        type: 'finding.new',
        severity: heraldSeverity(severity),
        title: `${severity}: ${optionalText(finding.title, 400) ?? `finding ${String(finding.id)}`}`.slice(0, 500),
        summary: `New ${severity} finding from ${testName}${product ? ` in ${product}` : ''}.`,
        ...(url && { url }),
        ...common,
        data: { event, severity, ...(typeof finding.id === 'number' && { findingId: finding.id }), ...(typeof test.id === 'number' && { testId: test.id }) },
      });
    }
  } else if (event === 'upcoming_engagement') {
    // The same reminder the poller raises (engagement.upcoming), so one rule matches both.
    // DefectDojo sends it with the base body only: title "Upcoming engagement: <name>" and the engagement's url_ui.
    const title = optionalText(body.title, 400) ?? '';
    const name = title.replace(/^\s*upcoming engagement:\s*/i, '').trim() || nameOf(engagement);
    const url = linkOf(engagement) ?? linkOf(body);
    const engagementId = Number(/\/engagement\/(\d+)/.exec(url ?? '')?.[1] ?? engagement.id);
    events.push({
      type: 'engagement.upcoming',
      title: `Engagement ${name ? `"${name}" ` : ''}starts in a few days`.slice(0, 500),
      ...(description && { summary: description }),
      ...(url && { url }),
      ...common,
      data: { event, ...(Number.isInteger(engagementId) && engagementId > 0 && { engagementId }) },
    });
  } else if (event === 'review_requested') {
    // The finding under review is the subject, not the test it belongs to.
    const finding = objAt(body, 'finding');
    const severity = severityOf(finding.severity);
    const findingTitle = optionalText(finding.title, 400) ?? (finding.id !== undefined ? `finding ${String(finding.id)}` : 'a finding');
    const reviewers = (Array.isArray(body.reviewers) ? body.reviewers.filter(isObject) : []).map((r) => optionalText(r.username, 200)).filter((r): r is string => Boolean(r));
    const requestedBy = isObject(body.requested_by) ? optionalText(body.requested_by.username, 200) : undefined;
    const url = linkOf(finding) ?? linkOf(body);
    events.push({
      type: 'defectdojo.review_requested',
      ...(severity && { severity: heraldSeverity(severity) }),
      title: `Review requested: ${severity ? `${severity}: ` : ''}${findingTitle}`.slice(0, 500),
      summary: [
        [requestedBy && `Requested by ${requestedBy}`, reviewers.length > 0 && `reviewers: ${reviewers.slice(0, 10).join(', ')}`, nameOf(test) && `test: ${nameOf(test)}`]
          .filter(Boolean)
          .join('; '),
        description,
      ]
        .filter(Boolean)
        .join('\n'),
      ...(url && { url }),
      ...common,
      ...(requestedBy && { actor: requestedBy }),
      data: { event, ...(typeof finding.id === 'number' && { findingId: finding.id }), ...(severity && { severity }), ...(reviewers.length > 0 && { reviewers: reviewers.slice(0, 20) }) },
    });
  } else {
    const what = event.replace(/_/g, ' ');
    const named = nameOf(test) ?? nameOf(engagement) ?? nameOf(objAt(body, 'product_type')) ?? optionalText(body.title, 300);
    const type = `defectdojo.${event.toLowerCase().replace(/[^a-z0-9_]+/g, '_').slice(0, 80) || 'event'}`;
    const url = linkOf(body);
    events.push({
      type,
      title: `DefectDojo: ${what}${named ? `: ${named}` : ''}`.slice(0, 500),
      ...(description && { summary: description }),
      ...(url && { url }),
      ...common,
      data: { event },
    });
  }
  return { kind: 'events', events, raw: body };
}

export const defectdojoWebhookSource: WebhookSource<DefectdojoWebhookConfig> = {
  kind: 'defectdojo-webhook',
  verify: (request, secret) => verifyToken(request, secret),
  parse: (request, config) => parseDefectdojoWebhook(request, config),
};

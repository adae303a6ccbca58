// Polls DefectDojo API v2 (`Authorization: Token <key>`), DRF pages `{count, next, results}`:
// - `/api/v2/findings/?o=-id&related_fields=true`: findings with an id above the last
//   seen → finding.new, DefectDojo's severity carried over (Critical/High → critical,
//   Medium → warning, Low/Info → info) and filtered by `minimumSeverity`; duplicates and
//   false positives are skipped; more than `maxFindingEvents` in one poll are summed up.
// - `/api/v2/tests/?o=-created`: new tests → scan.imported (a scan import creates a test).
// - `/api/v2/products/`: new products → product.added.
// - `/api/v2/engagements/?active=true`: engagements not completed or cancelled whose
//   `target_start` is within `upcomingEngagementDays` (default 3, as DefectDojo's own
//   Celery beat check) → engagement.upcoming, once per engagement — also on the first poll,
//   since it is a reminder and not a transition.
// Subjects: product → project; the engagement's or test's `branch_tag` → branch and
// `commit_hash` → commit (where the CI import set them), so a scan joins its commit's thread.
// The first poll records the newest ids as a baseline and raises nothing else.
// Alerts, mentions and "report ready" are not in API v2 (its router has no alerts route;
// /api/v2/notifications/ holds notification settings), so they cannot be polled.
import type { SourceConfig } from '../../../shared/config.js';
import { commitOf, type EventInput, type Subject } from '../../../shared/event.js';
import { DEFECTDOJO_SEVERITIES, type DefectdojoSeverity } from '../../../shared/defectdojo-severities.js';
import { heraldSeverity, meetsThreshold, SEVERITY_RANK, severityNamed } from './defectdojo-severity.js';
import { apiUrl, getAllPages, getJson, integerAt, isObject, objectAt, optionalText, PollError, shapeError, stringAt, type Validators } from './poll-http.js';
import type { PollContext, PollingSource, PollResult } from './source.js';

export type DefectdojoConfig = Extract<SourceConfig, { kind: 'defectdojo' }>;

export interface DefectdojoState {
  findingCursor: number;
  testCursor: number;
  productCursor: number;
  /** Engagement id → its target_start, for those already announced as upcoming. */
  announcedEngagements: Record<string, string>;
  findingValidators?: Validators;
  testValidators?: Validators;
}

export const DEFECTDOJO_DEFAULT_INTERVAL_SECONDS = 300;
const PAGE = 100;

export function defectdojoSeverity(value: unknown, path: string): DefectdojoSeverity {
  const text = stringAt(value, path);
  const match = severityNamed(text);
  if (!match) throw shapeError(`${path}: expected one of ${DEFECTDOJO_SEVERITIES.join(', ')}, got ${JSON.stringify(text)}`);
  return match;
}

interface Engagement {
  id: number;
  name: string;
  productId?: number;
  targetStart?: string;
  status?: string;
  branch?: string;
  commit?: string;
}

/** Product → project; the engagement's (or test's) branch_tag and commit_hash where DefectDojo has them. */
function dojoSubject(product: string | undefined, branch: string | undefined, commit: string | undefined): Subject | undefined {
  if (!product && !branch && !commit) return undefined;
  return { ...(product && { project: product }), ...(branch && { branch }), ...(commit && { commit }) };
}

function parseEngagement(item: unknown, path: string): Engagement {
  const e = objectAt(item, path);
  const targetStart = optionalText(e.target_start, 40);
  const status = optionalText(e.status, 100);
  const branch = optionalText(e.branch_tag, 255);
  const commit = commitOf(e.commit_hash);
  return {
    id: integerAt(e.id, `${path}.id`),
    name: optionalText(e.name, 300) ?? `Engagement ${String(e.id)}`,
    ...(typeof e.product === 'number' && { productId: e.product }),
    ...(targetStart && { targetStart }),
    ...(status && { status }),
    ...(branch && { branch }),
    ...(commit && { commit }),
  };
}

/** `2024-05-01` (or a full ISO time) → whole days from `today` (UTC), or undefined. */
export function daysUntil(date: string, now: Date): number | undefined {
  const day = /^\d{4}-\d{2}-\d{2}/.exec(date)?.[0];
  if (!day) return undefined;
  const start = Date.parse(`${day}T00:00:00Z`);
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return Number.isNaN(start) ? undefined : Math.round((start - today) / 86_400_000);
}

export function createDefectdojoSource(): PollingSource<DefectdojoConfig, DefectdojoState> {
  return {
    kind: 'defectdojo',
    defaultIntervalSeconds: DEFECTDOJO_DEFAULT_INTERVAL_SECONDS,
    async poll(ctx: PollContext<DefectdojoConfig>, lastState: DefectdojoState | undefined): Promise<PollResult<DefectdojoState>> {
      const { config } = ctx;
      const token = ctx.secrets.token;
      if (!token) throw new Error('the DefectDojo API key is not set');
      const request = {
        headers: { authorization: `Token ${token}` },
        signal: ctx.signal,
        timeoutMs: config.timeoutSeconds * 1000,
        ...(config.tls && { tls: config.tls }),
      };
      const base = config.url.replace(/\/+$/, '');
      const ui = (path: string) => `${base}${path}`;
      const events: EventInput[] = [];

      // Products: names for subjects, and new ones.
      const productPages = await getAllPages(apiUrl(base, '/api/v2/products/', { limit: PAGE }), { ...request, what: 'products', maxPages: 50 });
      const productNames = new Map<number, string>();
      let productCursor = lastState?.productCursor ?? 0;
      const newProducts: Array<{ id: number; name: string; description?: string }> = [];
      productPages.items.forEach((item, i) => {
        const path = `products.results[${i}]`;
        const p = objectAt(item, path);
        const id = integerAt(p.id, `${path}.id`);
        const name = stringAt(p.name, `${path}.name`);
        productNames.set(id, name);
        if (lastState && id > lastState.productCursor) {
          const description = optionalText(p.description, 500);
          newProducts.push({ id, name, ...(description && { description }) });
        }
        productCursor = Math.max(productCursor, id);
      });
      for (const p of newProducts.sort((a, b) => a.id - b.id)) {
        events.push({
          type: 'product.added',
          title: `Product added: ${p.name}`.slice(0, 500),
          ...(p.description && { summary: p.description }),
          subject: { project: p.name },
          url: ui(`/product/${p.id}`),
          data: { productId: p.id },
        });
      }

      // Engagements: product of each test, and upcoming ones.
      const engagementPages = await getAllPages(apiUrl(base, '/api/v2/engagements/', { active: 'true', limit: PAGE }), {
        ...request,
        what: 'engagements',
        maxPages: 50,
      });
      const engagements = new Map<number, Engagement>();
      engagementPages.items.forEach((item, i) => {
        const e = parseEngagement(item, `engagements.results[${i}]`);
        engagements.set(e.id, e);
      });
      const announcedEngagements: Record<string, string> = {};
      for (const [id, start] of Object.entries(lastState?.announcedEngagements ?? {})) {
        if ((daysUntil(start, ctx.now) ?? -1) >= -1) announcedEngagements[id] = start;
      }
      for (const e of [...engagements.values()].sort((a, b) => a.id - b.id)) {
        if (!e.targetStart || e.status === 'Completed' || e.status === 'Cancelled') continue;
        const days = daysUntil(e.targetStart, ctx.now);
        if (days === undefined || days < 0 || days > config.upcomingEngagementDays) continue;
        if (announcedEngagements[e.id] === e.targetStart) continue;
        announcedEngagements[e.id] = e.targetStart;
        const product = e.productId !== undefined ? productNames.get(e.productId) : undefined;
        events.push({
          type: 'engagement.upcoming',
          title: `Engagement "${e.name}" starts ${days === 0 ? 'today' : days === 1 ? 'tomorrow' : `in ${days} days`}`.slice(0, 500),
          summary: `${product ? `${product}: ` : ''}${e.name} starts on ${e.targetStart.slice(0, 10)}${e.status ? ` (status: ${e.status})` : ''}.`,
          ...(product && { subject: dojoSubject(product, e.branch, e.commit) }),
          url: ui(`/engagement/${e.id}`),
          dedupKey: `${config.id}:engagement.upcoming:${e.id}`,
          data: { engagementId: e.id, targetStart: e.targetStart },
        });
      }
      const productOfEngagement = async (engagementId: number | undefined): Promise<Engagement | undefined> => {
        if (engagementId === undefined) return undefined;
        const known = engagements.get(engagementId);
        if (known) return known;
        // An inactive (finished) engagement is not in the list above: ask for it once.
        let answer;
        try {
          answer = await getJson(apiUrl(base, `/api/v2/engagements/${engagementId}/`), request);
        } catch (error) {
          if (error instanceof PollError && error.kind === 'not_found') return undefined;
          throw error;
        }
        if (answer.kind !== 'json') return undefined;
        const e = parseEngagement(answer.json, `engagement ${engagementId}`);
        engagements.set(e.id, e);
        return e;
      };

      // Tests: one per imported scan.
      let testCursor = lastState?.testCursor ?? 0;
      let testValidators = lastState?.testValidators;
      {
        const cursor = testCursor;
        const pages = await getAllPages(apiUrl(base, '/api/v2/tests/', { o: '-created', limit: PAGE }), {
          ...request,
          what: 'tests',
          maxPages: 10,
          ...(lastState && testValidators && { validators: testValidators }),
          enough: (page) => page.some((t) => isObject(t) && typeof t.id === 'number' && t.id <= cursor),
        });
        if (!pages.unchanged) {
          testValidators = Object.keys(pages.validators).length ? pages.validators : undefined;
          const fresh: Array<{ id: number; t: Record<string, unknown> }> = [];
          pages.items.forEach((item, i) => {
            const path = `tests.results[${i}]`;
            const t = objectAt(item, path);
            const id = integerAt(t.id, `${path}.id`);
            testCursor = Math.max(testCursor, id);
            if (lastState && id > cursor) fresh.push({ id, t });
          });
          for (const { id, t } of fresh.sort((a, b) => a.id - b.id)) {
            const engagement = await productOfEngagement(typeof t.engagement === 'number' ? t.engagement : undefined);
            const product = engagement?.productId !== undefined ? productNames.get(engagement.productId) : undefined;
            const scan = optionalText(t.scan_type, 200) ?? optionalText(t.test_type_name, 200) ?? optionalText(t.title, 200) ?? `test ${id}`;
            const branch = optionalText(t.branch_tag, 255) ?? engagement?.branch;
            const commit = commitOf(t.commit_hash) ?? engagement?.commit;
            const subject = dojoSubject(product, branch, commit);
            const created = optionalText(t.created, 60);
            events.push({
              type: 'scan.imported',
              title: `${scan} imported${product ? ` into ${product}` : ''}`.slice(0, 500),
              summary: [`Test ${optionalText(t.title, 300) ?? id}`, engagement && `engagement ${engagement.name}`].filter(Boolean).join(', ') + '.',
              ...(subject && { subject }),
              url: ui(`/test/${id}`),
              ...(created && !Number.isNaN(Date.parse(created)) && { occurredAt: new Date(Date.parse(created)).toISOString() }),
              data: { testId: id, ...(engagement && { engagementId: engagement.id }), scanType: scan },
            });
          }
        }
      }

      // Findings.
      let findingCursor = lastState?.findingCursor ?? 0;
      let findingValidators = lastState?.findingValidators;
      {
        const cursor = findingCursor;
        const pages = await getAllPages(apiUrl(base, '/api/v2/findings/', { o: '-id', limit: PAGE, related_fields: 'true' }), {
          ...request,
          what: 'findings',
          maxPages: 20,
          ...(lastState && findingValidators && { validators: findingValidators }),
          enough: (page) => page.some((f) => isObject(f) && typeof f.id === 'number' && f.id <= cursor),
        });
        if (!pages.unchanged) {
          findingValidators = Object.keys(pages.validators).length ? pages.validators : undefined;
          const fresh: EventInput[] = [];
          const freshSeverity: DefectdojoSeverity[] = [];
          pages.items.forEach((item, i) => {
            const path = `findings.results[${i}]`;
            const f = objectAt(item, path);
            const id = integerAt(f.id, `${path}.id`);
            findingCursor = Math.max(findingCursor, id);
            if (!lastState || id <= cursor) return;
            const severity = defectdojoSeverity(f.severity, `${path}.severity`);
            if (f.duplicate === true || f.false_p === true || !meetsThreshold(severity, config.minimumSeverity)) return;
            fresh.push(findingEvent(f, id, severity, ui));
            freshSeverity.push(severity);
          });
          // Most severe first when capping, then by id.
          const order = fresh
            .map((event, i) => ({ event, rank: SEVERITY_RANK[freshSeverity[i]!], id: (event.data as { findingId: number }).findingId }))
            .sort((a, b) => b.rank - a.rank || a.id - b.id);
          const cap = config.maxFindingEvents;
          const shown = order.length > cap ? order.slice(0, cap - 1) : order;
          events.push(...shown.map((o) => o.event));
          const rest = order.slice(shown.length);
          if (rest.length > 0) {
            const worst = rest.reduce((max, o) => Math.max(max, o.rank), 0);
            const worstName = DEFECTDOJO_SEVERITIES[worst]!;
            events.push({
              type: 'finding.new',
              severity: heraldSeverity(worstName),
              title: `${rest.length} more new findings (up to ${worstName})`,
              summary: rest
                .slice(0, 20)
                .map((o) => o.event.title)
                .join('\n'),
              url: ui('/finding/open'),
              data: { findingIds: rest.slice(0, 200).map((o) => o.id), more: rest.length },
            });
          }
        }
      }

      return {
        events,
        state: {
          findingCursor,
          testCursor,
          productCursor,
          announcedEngagements,
          ...(findingValidators && { findingValidators }),
          ...(testValidators && { testValidators }),
        },
      };
    },
  };
}

function findingEvent(f: Record<string, unknown>, id: number, severity: DefectdojoSeverity, ui: (path: string) => string): EventInput {
  const related = isObject(f.related_fields) ? f.related_fields : {};
  const test = isObject(related.test) ? related.test : {};
  const engagement = isObject(test.engagement) ? test.engagement : {};
  const product = isObject(engagement.product) ? engagement.product : {};
  const productName = optionalText(product.name, 300);
  const branch = optionalText(engagement.branch_tag, 255) ?? optionalText(test.branch_tag, 255);
  const subject = dojoSubject(productName, branch, commitOf(test.commit_hash) ?? commitOf(engagement.commit_hash));
  const testType = isObject(test.test_type) ? optionalText(test.test_type.name, 200) : undefined;
  const title = optionalText(f.title, 400) ?? `Finding ${id}`;
  const component = [optionalText(f.component_name, 200), optionalText(f.component_version, 100)].filter(Boolean).join(' ');
  const where = optionalText(f.file_path, 500);
  const cwe = typeof f.cwe === 'number' && f.cwe > 0 ? `CWE-${f.cwe}` : optionalText(f.cwe, 20);
  const summary = [
    `${severity} finding${testType ? ` from ${testType}` : ''}${productName ? ` in ${productName}` : ''}.`,
    component && `Component: ${component}.`,
    where && `File: ${where}.`,
    cwe && `${cwe}.`,
  ]
    .filter(Boolean)
    .join(' ');
  const created = optionalText(f.created, 60);
  return {
    type: 'finding.new',
    severity: heraldSeverity(severity),
    title: `${severity}: ${title}`.slice(0, 500),
    summary,
    ...(subject && { subject }),
    url: ui(`/finding/${id}`),
    ...(created && !Number.isNaN(Date.parse(created)) && { occurredAt: new Date(Date.parse(created)).toISOString() }),
    data: { findingId: id, severity, ...(testType && { scanType: testType }), ...(cwe && { cwe }) },
  };
}

export const defectdojoSource = createDefectdojoSource();

// A strict stand-in for DefectDojo's API v2 on 127.0.0.1, as its DRF views answer:
// `Authorization: Token <key>` or 401 `{detail}`; limit/offset pages
// `{count, next, previous, results}`; `o` ordering validated against the filter's fields
// (400 otherwise); `/products/`, `/engagements/` (with `active`), `/engagements/{id}/`,
// `/tests/`, and `/findings/` with `related_fields=true` nesting test → engagement →
// product as FindingRelatedFieldsSerializer does. importScan() creates a test and its
// findings the way an import does.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

type Severity = 'Info' | 'Low' | 'Medium' | 'High' | 'Critical';

export interface DojoProduct {
  id: number;
  name: string;
  description: string;
  prod_type: number;
  created: string;
}

export interface DojoEngagement {
  id: number;
  name: string;
  product: number;
  target_start: string;
  target_end: string;
  status: string;
  active: boolean;
  branch_tag: string | null;
  commit_hash: string | null;
}

export interface DojoTest {
  id: number;
  title: string | null;
  engagement: number;
  test_type: number;
  test_type_name: string;
  scan_type: string;
  created: string;
  branch_tag: string | null;
  commit_hash: string | null;
}

export interface DojoFinding {
  id: number;
  title: string;
  severity: string;
  test: number;
  active: boolean;
  duplicate: boolean;
  false_p: boolean;
  verified: boolean;
  created: string;
  date: string;
  cwe: number | null;
  component_name: string | null;
  component_version: string | null;
  file_path: string | null;
}

export type DojoFailure = 'http500' | 'badJson' | 'badSeverity';

export interface FakeDefectdojo {
  url: string;
  products: DojoProduct[];
  engagements: DojoEngagement[];
  tests: DojoTest[];
  findings: DojoFinding[];
  requests: Array<{ path: string; query: string; authorization?: string; status: number }>;
  addProduct(name: string): DojoProduct;
  addEngagement(e: Partial<DojoEngagement> & Pick<DojoEngagement, 'name' | 'product' | 'target_start'>): DojoEngagement;
  importScan(engagement: number, scanType: string, findings: Array<{ title: string; severity: Severity; duplicate?: boolean; cwe?: number; component?: string; file?: string }>): DojoTest;
  fail(mode: DojoFailure | undefined): void;
  close(): Promise<void>;
}

const FINDING_ORDER = ['active', 'component_name', 'component_version', 'created', 'last_status_update', 'last_reviewed', 'cwe', 'date', 'duplicate', 'dynamic_finding', 'false_p', 'found_by', 'id', 'is_mitigated', 'numerical_severity', 'out_of_scope', 'severity', 'reviewers', 'static_finding', 'test__engagement__product__name', 'title', 'under_defect_review', 'under_review', 'verified'];
const TEST_ORDER = ['title', 'version', 'target_start', 'target_end', 'test_type', 'lead', 'branch_tag', 'build_id', 'commit_hash', 'api_scan_configuration', 'engagement', 'created', 'updated'];

let clock = Date.UTC(2025, 2, 1, 8, 0);
const stamp = () => new Date((clock += 60_000)).toISOString();

export async function startFakeDefectdojo(options: { token: string }): Promise<FakeDefectdojo> {
  const products: DojoProduct[] = [];
  const engagements: DojoEngagement[] = [];
  const tests: DojoTest[] = [];
  const findings: DojoFinding[] = [];
  const requests: FakeDefectdojo['requests'] = [];
  let failure: DojoFailure | undefined;

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
    const json = (status: number, body: unknown) => {
      requests.push({ path: url.pathname, query: url.search, ...(req.headers.authorization && { authorization: req.headers.authorization }), status });
      res.writeHead(status, { 'content-type': 'application/json', allow: 'GET, POST, HEAD, OPTIONS' }).end(JSON.stringify(body));
    };
    const auth = req.headers.authorization;
    if (!auth) return json(401, { detail: 'Authentication credentials were not provided.' });
    if (auth !== `Token ${options.token}`) return json(401, { detail: 'Invalid token.' });
    if (failure === 'http500') return json(500, { message: 'Internal server error, check logs for details' });
    if (req.method !== 'GET') return json(405, { detail: `Method "${req.method}" not allowed.` });

    const ordered = <T extends Record<string, unknown>>(list: T[], allowed: string[]): T[] | undefined => {
      const o = url.searchParams.get('o');
      if (!o) return [...list].sort((a, b) => (a.id as number) - (b.id as number));
      const field = o.replace(/^-/, '');
      if (!allowed.includes(field)) {
        json(400, { o: [`Select a valid choice. ${o} is not one of the available choices.`] });
        return undefined;
      }
      const sign = o.startsWith('-') ? -1 : 1;
      const compare = (x: unknown, y: unknown) =>
        typeof x === 'number' && typeof y === 'number' ? x - y : String(x) < String(y) ? -1 : String(x) > String(y) ? 1 : 0;
      return [...list].sort((a, b) => sign * (compare(a[field], b[field]) || (a.id as number) - (b.id as number)));
    };
    const page = (all: unknown[]) => {
      const limit = Number(url.searchParams.get('limit') ?? '25');
      const offset = Number(url.searchParams.get('offset') ?? '0');
      const link = (o: number) => {
        const u = new URL(url);
        u.searchParams.set('limit', String(limit));
        u.searchParams.set('offset', String(o));
        return u.toString();
      };
      json(200, {
        count: all.length,
        next: offset + limit < all.length ? link(offset + limit) : null,
        previous: offset > 0 ? link(Math.max(0, offset - limit)) : null,
        results: all.slice(offset, offset + limit),
        prefetch: {},
      });
    };
    const productOf = (id: number) => products.find((p) => p.id === id)!;

    if (url.pathname === '/api/v2/products/') return page(ordered(products as never[], ['name', 'prod_type__name']) ?? []);
    if (url.pathname === '/api/v2/engagements/') {
      const active = url.searchParams.get('active');
      return page(engagements.filter((e) => active === null || String(e.active) === active));
    }
    const engagementMatch = /^\/api\/v2\/engagements\/(\d+)\/$/.exec(url.pathname);
    if (engagementMatch) {
      const e = engagements.find((x) => x.id === Number(engagementMatch[1]));
      return e ? json(200, e) : json(404, { detail: 'Not found.' });
    }
    if (url.pathname === '/api/v2/tests/') {
      const list = ordered(tests as never[], TEST_ORDER);
      return list && page(list);
    }
    if (url.pathname === '/api/v2/findings/') {
      if (failure === 'badJson') {
        requests.push({ path: url.pathname, query: url.search, status: 200 });
        return res.writeHead(200, { 'content-type': 'application/json' }).end('{"count": 3, "results": [{"id": 1,');
      }
      const list = ordered(findings as never[], FINDING_ORDER) as DojoFinding[] | undefined;
      if (!list) return;
      const related = url.searchParams.get('related_fields') === 'true';
      return page(
        list.map((f) => {
          const t = tests.find((x) => x.id === f.test)!;
          const e = engagements.find((x) => x.id === t.engagement)!;
          const p = productOf(e.product);
          return {
            ...f,
            ...(failure === 'badSeverity' && { severity: 'Severe' }),
            numerical_severity: { Critical: 'S0', High: 'S1', Medium: 'S2', Low: 'S3', Info: 'S4' }[f.severity] ?? 'S4',
            ...(related && {
              related_fields: {
                test: {
                  id: t.id,
                  title: t.title,
                  test_type: { id: t.test_type, name: t.test_type_name },
                  engagement: { id: e.id, name: e.name, product: { id: p.id, name: p.name, prod_type: { id: p.prod_type, name: 'Research and Development' } }, branch_tag: e.branch_tag, commit_hash: e.commit_hash },
                  environment: { id: 1, name: 'Development' },
                  branch_tag: t.branch_tag,
                  commit_hash: t.commit_hash,
                },
                jira: null,
              },
            }),
          };
        }),
      );
    }
    json(404, { detail: 'Not found.' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    products,
    engagements,
    tests,
    findings,
    requests,
    addProduct(name) {
      const p = { id: products.length + 1, name, description: `${name} service`, prod_type: 1, created: stamp() };
      products.push(p);
      return p;
    },
    addEngagement(e) {
      const full: DojoEngagement = { id: engagements.length + 1, target_end: e.target_start, status: 'Not Started', active: true, branch_tag: null, commit_hash: null, ...e };
      engagements.push(full);
      return full;
    },
    importScan(engagement, scanType, list) {
      const test: DojoTest = { id: tests.length + 1, title: null, engagement, test_type: 40, test_type_name: scanType, scan_type: scanType, created: stamp(), branch_tag: null, commit_hash: null };
      tests.push(test);
      for (const f of list) {
        findings.push({
          id: findings.length + 1,
          title: f.title,
          severity: f.severity,
          test: test.id,
          active: true,
          duplicate: f.duplicate ?? false,
          false_p: false,
          verified: false,
          created: stamp(),
          date: '2025-03-01',
          cwe: f.cwe ?? null,
          component_name: f.component ?? null,
          component_version: null,
          file_path: f.file ?? null,
        });
      }
      return test;
    },
    fail(mode) {
      failure = mode;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

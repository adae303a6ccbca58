// A strict stand-in for SecObserve's REST API on 127.0.0.1, as its Django REST Framework
// views answer: `Authorization: APIToken <token>` or 401 `{detail}`; page-number pages
// (`page`, `page_size`, default 25) as `{count, next, previous, results}` with an absolute
// `next`; `/api/products/` (ProductSerializer fields incl. security_gate_passed and
// repository_default_branch_name) and `/api/notifications/` (NotificationSerializer:
// name, created, message, type "Exception" | "Security gate" | "Task", function,
// arguments, product, product_name…) with `ordering` validated against its filter.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeProduct {
  id: number;
  name: string;
  security_gate_passed: boolean | null;
  repository_default_branch_name?: string;
  product_group_name?: string;
  open_critical_observation_count?: number;
  open_high_observation_count?: number;
}

export interface FakeNotification {
  id: number;
  name: string;
  created: string;
  message: string;
  type: 'Exception' | 'Security gate' | 'Task';
  function: string;
  arguments: string;
  product: number | null;
  product_name: string | null;
}

export type SecobserveFailure = 'http503' | 'badJson' | 'badShape';

export interface FakeSecobserve {
  url: string;
  products: FakeProduct[];
  notifications: FakeNotification[];
  requests: Array<{ path: string; query: string; authorization?: string; status: number }>;
  addNotification(n: Omit<FakeNotification, 'id' | 'product' | 'product_name' | 'function' | 'arguments'> & Partial<FakeNotification>): FakeNotification;
  fail(mode: SecobserveFailure | undefined): void;
  close(): Promise<void>;
}

const NOTIFICATION_ORDERINGS = ['name', 'created', 'message', 'type', 'function', 'product_name', 'observation_title', 'user_full_name'];

export async function startFakeSecobserve(options: { token: string }): Promise<FakeSecobserve> {
  const products: FakeProduct[] = [];
  const notifications: FakeNotification[] = [];
  const requests: FakeSecobserve['requests'] = [];
  let failure: SecobserveFailure | undefined;

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
    const json = (status: number, body: unknown) => {
      requests.push({ path: url.pathname, query: url.search, ...(req.headers.authorization && { authorization: req.headers.authorization }), status });
      res.writeHead(status, { 'content-type': 'application/json', vary: 'Accept' }).end(JSON.stringify(body));
    };
    const auth = req.headers.authorization;
    if (!auth) return json(401, { detail: 'Authentication credentials were not provided.' });
    if (auth !== `APIToken ${options.token}`) return json(401, { detail: 'Invalid API token.' });
    if (failure === 'http503') return json(503, { message: 'Service temporarily unavailable' });

    const page = (all: unknown[]) => {
      const size = Math.min(Number(url.searchParams.get('page_size') ?? '25'), 1000);
      const number = Number(url.searchParams.get('page') ?? '1');
      if (!Number.isInteger(number) || number < 1 || (number - 1) * size >= Math.max(all.length, 1)) return json(404, { detail: 'Invalid page.' });
      const results = all.slice((number - 1) * size, number * size);
      const link = (n: number) => {
        const u = new URL(url);
        u.searchParams.set('page', String(n));
        return u.toString();
      };
      return json(200, { count: all.length, next: number * size < all.length ? link(number + 1) : null, previous: number > 1 ? link(number - 1) : null, results });
    };

    if (req.method === 'GET' && url.pathname === '/api/products/') {
      if (failure === 'badJson') {
        requests.push({ path: url.pathname, query: url.search, status: 200 });
        return res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>Login</title>');
      }
      const full = products.map((p) => ({
        id: p.id,
        name: p.name,
        description: '',
        security_gate_passed: p.security_gate_passed,
        security_gate_active: null,
        repository_default_branch: p.repository_default_branch_name ? p.id * 10 : null,
        repository_default_branch_name: p.repository_default_branch_name ?? '',
        product_group: p.product_group_name ? 1 : null,
        product_group_name: p.product_group_name ?? '',
        open_critical_observation_count: p.open_critical_observation_count ?? 0,
        open_high_observation_count: p.open_high_observation_count ?? 0,
        permissions: [],
      }));
      if (failure === 'badShape') return page(full.map(({ security_gate_passed: _omit, ...rest }) => rest));
      return page(full);
    }
    if (req.method === 'GET' && url.pathname === '/api/notifications/') {
      const ordering = url.searchParams.get('ordering');
      if (ordering && !NOTIFICATION_ORDERINGS.includes(ordering.replace(/^-/, ''))) {
        return json(400, { ordering: [`Select a valid choice. ${ordering} is not one of the available choices.`] });
      }
      let list = [...notifications];
      if (ordering === '-created') list.sort((a, b) => b.created.localeCompare(a.created) || b.id - a.id);
      if (ordering === 'created') list.sort((a, b) => a.created.localeCompare(b.created) || a.id - b.id);
      const type = url.searchParams.get('type');
      if (type) list = list.filter((n) => n.type === type);
      return page(
        list.map((n) => ({ ...n, user: null, observation: null, observation_title: null, user_full_name: null, new_viewed: 'New' })),
      );
    }
    json(404, { detail: 'Not found.' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    products,
    notifications,
    requests,
    addNotification(n) {
      const full: FakeNotification = { function: '', arguments: '', product: null, product_name: null, ...n, id: notifications.length + 1 };
      notifications.push(full);
      return full;
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

// A strict stand-in for Kosli's API v2 snapshot endpoint on 127.0.0.1 (http, or https
// with a given certificate): `GET /api/v2/snapshots/{org}/{env}/{id}` with `-1` the latest,
// `n` snapshot n and `-k` the k-th behind the latest; `Authorization: Bearer <token>` or
// 401 `{message}`; unknown org or environment 404 `{message}`; an ETag per snapshot and
// 304 on If-None-Match. Snapshots are built the way the Kosli CLI reads them (index,
// timestamp, type, artifacts with name, flow_name, fingerprint, compliant, git_commit,
// creationTimestamp per instance, annotation {type, was, now}, compliant).
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { KeyPair } from './tls-certs.js';

export interface FakeArtifact {
  name: string;
  fingerprint: string;
  flow?: string;
  instances: number;
  compliant?: boolean;
  allowlisted?: boolean;
}

export type FakeFailure = 'http500' | 'badJson' | 'badShape' | 'hang';

export interface FakeKosli {
  url: string;
  requests: Array<{ path: string; authorization?: string; ifNoneMatch?: string; status: number }>;
  /** Reports a new snapshot of the environment (the CLI's `kosli snapshot ...`). */
  report(environment: string, artifacts: FakeArtifact[], compliant: boolean): number;
  /** Every request fails this way until cleared. */
  fail(mode: FakeFailure | undefined): void;
  close(): Promise<void>;
}

interface StoredSnapshot {
  index: number;
  timestamp: number;
  compliant: boolean;
  artifacts: FakeArtifact[];
}

export async function startFakeKosli(options: { org: string; token: string; environments: string[]; tls?: KeyPair }): Promise<FakeKosli> {
  const snapshots = new Map<string, StoredSnapshot[]>(options.environments.map((e) => [e, []]));
  const requests: FakeKosli['requests'] = [];
  let failure: FakeFailure | undefined;
  let clock = 1_700_000_000;

  const toJson = (env: string, snapshot: StoredSnapshot) => {
    const list = snapshots.get(env)!;
    const previous = list.find((s) => s.index === snapshot.index - 1);
    const fingerprints = new Set([...snapshot.artifacts.map((a) => a.fingerprint), ...(previous?.artifacts.map((a) => a.fingerprint) ?? [])]);
    const artifacts = [...fingerprints].map((fingerprint) => {
      const now = snapshot.artifacts.find((a) => a.fingerprint === fingerprint);
      const was = previous?.artifacts.find((a) => a.fingerprint === fingerprint);
      const a = (now ?? was)!;
      const nowCount = now?.instances ?? 0;
      const wasCount = was?.instances ?? 0;
      const type = wasCount === 0 ? 'started' : nowCount === 0 ? 'exited' : wasCount !== nowCount ? 'changed' : 'unchanged';
      return {
        name: a.name,
        flow_name: a.flow ?? '',
        compliant: a.compliant ?? true,
        deployments: [],
        fingerprint,
        git_commit: fingerprint.slice(0, 40),
        commit_url: `https://github.com/acme/${a.name}/commit/${fingerprint.slice(0, 40)}`,
        creationTimestamp: Array.from({ length: nowCount }, (_, i) => snapshot.timestamp - i),
        pods: {},
        annotation: { type, was: wasCount, now: nowCount },
        ...(a.allowlisted !== undefined && now && { allowlisted: a.allowlisted }),
      };
    });
    return { index: snapshot.index, timestamp: snapshot.timestamp, type: 'K8S', user_id: 'u1', user_name: 'reporter', artifacts, compliant: snapshot.compliant };
  };

  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const record = (status: number) =>
      requests.push({
        path: url.pathname,
        ...(req.headers.authorization && { authorization: req.headers.authorization }),
        ...(typeof req.headers['if-none-match'] === 'string' && { ifNoneMatch: req.headers['if-none-match'] }),
        status,
      });
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      record(status);
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
    };
    if (failure === 'hang') return record(0);
    if (req.headers.authorization !== `Bearer ${options.token}`) return json(401, { message: 'Invalid API token' });
    if (failure === 'http500') return json(500, { message: 'Internal server error' });
    const match = /^\/api\/v2\/snapshots\/([^/]+)\/([^/]+)\/(-?\d+)$/.exec(url.pathname);
    if (req.method !== 'GET' || !match) return json(404, { message: `Not found: ${url.pathname}` });
    const [, org, env, rawId] = match.map((m) => decodeURIComponent(m)) as [string, string, string, string];
    if (org !== options.org) return json(404, { message: `Organization '${org}' does not exist` });
    const list = snapshots.get(env);
    if (!list) return json(404, { message: `Environment named '${env}' does not exist for organization '${org}'` });
    if (list.length === 0) return json(200, {});
    const id = Number(rawId);
    const latest = list.at(-1)!.index;
    const index = id > 0 ? id : latest + id + 1;
    const snapshot = list.find((s) => s.index === index);
    if (!snapshot) return json(404, { message: `Snapshot ${rawId} of ${env} does not exist` });
    if (failure === 'badJson') {
      record(200);
      return res.writeHead(200, { 'content-type': 'application/json' }).end('{"index": 3, "artifacts": [');
    }
    const etag = `"${env}-${snapshot.index}"`;
    if (req.headers['if-none-match'] === etag) {
      record(304);
      return res.writeHead(304, { etag }).end();
    }
    const body = toJson(env, snapshot);
    if (failure === 'badShape') body.artifacts = body.artifacts.map(({ fingerprint: _omit, ...rest }) => rest) as typeof body.artifacts;
    json(200, body, { etag });
  };

  const server = options.tls ? https.createServer({ key: options.tls.key, cert: options.tls.cert }, handler) : http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    requests,
    report(environment, artifacts, compliant) {
      const list = snapshots.get(environment)!;
      clock += 60;
      const index = (list.at(-1)?.index ?? 0) + 1;
      list.push({ index, timestamp: clock, compliant, artifacts: artifacts.filter((a) => a.instances > 0).map((a) => ({ ...a })) });
      return index;
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

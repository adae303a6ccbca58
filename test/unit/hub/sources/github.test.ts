import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EventInputSchema, type EventInput } from '../../../../shared/event.js';
import {
  GITHUB_CONCLUSIONS,
  GITHUB_DEPLOYMENT_STATES,
  githubSignature,
  githubSource,
  verifyGithubSignature,
} from '../../../../electron/hub/sources/github.js';
import type { IncomingRequest, ParseResult } from '../../../../electron/hub/sources/source.js';

const SECRET = 'test-webhook-secret';
const config = { id: 'gh', name: 'GitHub', enabled: true, kind: 'github' as const, secret: 'env:GH_SECRET' };

interface Definition {
  name: string;
  examples: Array<Record<string, unknown>>;
}

const examplesDir = dirname(createRequire(import.meta.url).resolve('@octokit/webhooks-examples/package.json'));
function loadDefinitions(dir: string): Definition[] {
  return JSON.parse(readFileSync(join(examplesDir, dir, 'index.json'), 'utf8')) as Definition[];
}
const dotcom = loadDefinitions('api.github.com');
const examplesOf = (name: string) => dotcom.find((d) => d.name === name)?.examples ?? [];

function request(event: string, payload: unknown, extra: Record<string, string> = {}): IncomingRequest {
  const body = Buffer.from(JSON.stringify(payload));
  return {
    headers: {
      'content-type': 'application/json',
      'x-github-event': event,
      'x-github-delivery': `delivery-${event}`,
      'x-hub-signature-256': githubSignature(body, SECRET),
      ...extra,
    },
    body,
    pathRest: '',
  };
}

function onlyEvent(result: ParseResult): EventInput {
  expect(result.kind, JSON.stringify(result)).toBe('events');
  if (result.kind !== 'events') throw new Error('unreachable');
  expect(result.events).toHaveLength(1);
  return EventInputSchema.parse(result.events[0]);
}

function ignoredReason(result: ParseResult): string {
  expect(result.kind, JSON.stringify(result)).toBe('ignored');
  if (result.kind !== 'ignored') throw new Error('unreachable');
  expect(result.reason.length).toBeGreaterThan(5);
  return result.reason;
}

describe('GitHub signature (X-Hub-Signature-256)', () => {
  it('matches the test vector in GitHub docs (WIRE-FORMATS.md)', () => {
    const expected = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';
    expect(githubSignature('Hello, World!', "It's a Secret to Everybody")).toBe(expected);
    expect(verifyGithubSignature(Buffer.from('Hello, World!'), expected, "It's a Secret to Everybody")).toBe(true);
  });

  const body = Buffer.from('{"action":"completed"}');
  const good = githubSignature(body, SECRET);
  it.each([
    ['correct signature', body, good, SECRET, true],
    ['uppercase hex', body, `sha256=${good.slice(7).toUpperCase()}`, SECRET, true],
    ['wrong secret', body, good, 'another-secret', false],
    ['missing header', body, undefined, SECRET, false],
    ['empty secret', body, githubSignature(body, ''), '', false],
    ['tampered body', Buffer.from('{"action":"completed "}'), good, SECRET, false],
    ['sha1 prefix', body, `sha1=${good.slice(7)}`, SECRET, false],
    ['truncated hex', body, good.slice(0, -2), SECRET, false],
    ['non-hex digits', body, `sha256=${'z'.repeat(64)}`, SECRET, false],
    ['empty header', body, '', SECRET, false],
  ])('%s → %s', (_name, b, header, secret, expected) => {
    expect(verifyGithubSignature(b, header, secret)).toBe(expected);
    expect(githubSource.verify({ headers: { 'x-hub-signature-256': header }, body: b, pathRest: '' }, secret, config)).toBe(expected);
  });
});

describe('every @octokit/webhooks-examples payload for the handled events', () => {
  // Index by index, what each documented example must turn into. A new example upstream
  // makes the length check fail, so it gets looked at.
  const expected: Record<string, Array<string>> = {
    workflow_run: ['ignored', 'pipeline.succeeded', 'pipeline.succeeded', 'pipeline.triggered', 'ignored'],
    workflow_job: [
      'pipeline.triggered',
      'pipeline.failed',
      'pipeline.succeeded',
      'pipeline.triggered',
      'pipeline.triggered',
      'ignored',
      'ignored',
      'ignored',
    ],
    check_suite: [
      'pipeline.succeeded',
      'pipeline.succeeded',
      'pipeline.succeeded',
      'pipeline.succeeded',
      'ignored',
      'ignored',
      'ignored',
      'ignored',
      'ignored',
    ],
    deployment_status: ['deployment.succeeded', 'deployment.triggered', 'deployment.succeeded', 'deployment.succeeded'],
    ping: ['ignored', 'ignored', 'ignored', 'ignored'],
  };

  for (const [eventName, types] of Object.entries(expected)) {
    it(`${eventName}: ${types.length} examples map as expected`, () => {
      const examples = examplesOf(eventName);
      expect(examples).toHaveLength(types.length);
      examples.forEach((payload, i) => {
        const result = githubSource.parse(request(eventName, payload), config);
        if (types[i] === 'ignored') {
          ignoredReason(result);
          expect(result.kind === 'ignored' && result.deliveryId).toBe(`delivery-${eventName}`);
          return;
        }
        const event = onlyEvent(result);
        expect(event.type, `${eventName}[${i}]`).toBe(types[i]);
        const repo = payload.repository as { full_name: string; owner: { login: string } };
        expect(event.subject?.project).toBe(repo.full_name);
        expect(event.subject?.group).toBe(repo.owner.login);
        expect(event.url).toMatch(/^https:\/\/github\.com\//);
        expect(event.dedupKey).toContain(`gh:${event.type}:`);
        expect(event.actor).toBeTruthy();
        expect(result.kind === 'events' && result.deliveryId).toBe(`delivery-${eventName}`);
      });
    });
  }

  it('every example in every GitHub flavour (dotcom and GHES) parses to a valid event or a reasoned ignore', () => {
    const dirs = readdirSync(examplesDir).filter((d) => d === 'api.github.com' || d.startsWith('ghes-'));
    expect(dirs.length).toBeGreaterThan(1);
    let seen = 0;
    for (const dir of dirs) {
      for (const def of loadDefinitions(dir)) {
        if (!Object.keys(expected).includes(def.name)) continue;
        for (const payload of def.examples) {
          seen++;
          const result = githubSource.parse(request(def.name, payload), config);
          expect(result.kind, `${dir} ${def.name}`).not.toBe('invalid');
          if (result.kind === 'events') for (const e of result.events) EventInputSchema.parse(e);
          else if (result.kind === 'ignored') expect(result.reason).not.toBe('');
        }
      }
    }
    expect(seen).toBeGreaterThan(30);
  });

  it('a completed workflow run carries its subject, link and small data', () => {
    const payload = examplesOf('workflow_run')[1]!;
    const event = onlyEvent(githubSource.parse(request('workflow_run', payload), config));
    expect(event).toMatchObject({
      type: 'pipeline.succeeded',
      subject: { project: 'octo-org/octo-repo', group: 'octo-org', branch: 'master' },
      url: 'https://github.com/octo-org/octo-repo/actions/runs/289782451',
      actor: 'Codertocat',
      data: { runId: 289782451, runNumber: 163, attempt: 1, conclusion: 'success' },
    });
    // The run's name is empty in this example: the workflow's name stands in.
    expect(event.subject?.pipeline).toBe((payload.workflow as { name: string }).name);
    expect(event.title).toContain('succeeded on master');
  });

  it('a workflow job is a pipeline of its own: "<workflow> / <job>"', () => {
    const event = onlyEvent(githubSource.parse(request('workflow_job', examplesOf('workflow_job')[1]), config));
    expect(event.subject?.pipeline).toBe('CodeQL / linters');
    expect(event.subject?.branch).toBe('main');
    expect(event.data).toMatchObject({ jobId: 289782451, runId: 2202229078, conclusion: 'failure' });
  });

  it('a deployment status carries the environment', () => {
    const event = onlyEvent(githubSource.parse(request('deployment_status', examplesOf('deployment_status')[1]), config));
    expect(event.subject).toMatchObject({ environment: 'github-pages', project: 'Codertocat/Hello-World', pipeline: 'pages build and deployment' });
    expect(event.title).toBe('Codertocat/Hello-World: deployment to github-pages started');
  });

  it('subject.commit is the full SHA: a run\'s, job\'s or suite\'s head_sha, a deployment\'s sha', () => {
    const sha = (o: unknown, key: string) => (o as Record<string, Record<string, string>>)[key]!;
    const run = examplesOf('workflow_run')[1]!;
    const job = examplesOf('workflow_job')[1]!;
    const suite = { ...examplesOf('check_suite')[0]!, action: 'completed', check_suite: { ...sha(examplesOf('check_suite')[0], 'check_suite'), conclusion: 'failure' } };
    const deployment = examplesOf('deployment_status')[1]!;
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ['workflow_run', run, sha(run, 'workflow_run').head_sha!],
      ['workflow_job', job, sha(job, 'workflow_job').head_sha!],
      ['check_suite', suite, sha(suite, 'check_suite').head_sha!],
      ['deployment_status', deployment, sha(deployment, 'deployment').sha!],
    ];
    for (const [name, payload, expected] of cases) {
      expect(expected, name).toMatch(/^[0-9a-f]{40}$/);
      expect(onlyEvent(githubSource.parse(request(name, payload), config)).subject?.commit, name).toBe(expected);
    }
    // Two runs of one pipeline on different commits are still the same thing failing again.
    const other = { ...run, workflow_run: { ...sha(run, 'workflow_run'), head_sha: 'f'.repeat(40) } };
    expect(onlyEvent(githubSource.parse(request('workflow_run', other), config)).dedupKey).toBe(
      onlyEvent(githubSource.parse(request('workflow_run', run), config)).dedupKey,
    );
  });
});

describe('conclusion mapping', () => {
  const base = examplesOf('workflow_run')[1]!;
  const withConclusion = (conclusion: string) => ({
    ...base,
    action: 'completed',
    workflow_run: { ...(base.workflow_run as object), status: 'completed', conclusion, name: 'CI', head_branch: 'main' },
  });
  const jobBase = examplesOf('workflow_job')[1]!;
  const suiteBase = examplesOf('check_suite')[0]!;

  const table: Array<[string, string, string | RegExp]> = [
    ['success', 'pipeline.succeeded', 'CI succeeded on main'],
    ['failure', 'pipeline.failed', 'CI failed on main'],
    ['timed_out', 'pipeline.failed', 'CI failed (timed out) on main'],
    ['startup_failure', 'pipeline.failed', 'CI failed (could not start) on main'],
    ['cancelled', 'pipeline.cancelled', 'CI was cancelled on main'],
    ['skipped', 'ignored', /skipped/],
    ['neutral', 'ignored', /neutral/],
    ['action_required', 'ignored', /approval/],
    ['stale', 'ignored', /stale/],
  ];

  it('a run from a fork reports the branch as owner:branch, not the base repository\'s branch of that name', () => {
    const run = withConclusion('failure');
    const repository = (run as unknown as { repository: { full_name: string } }).repository;
    const fromFork = {
      ...run,
      workflow_run: { ...run.workflow_run, event: 'pull_request', head_repository: { full_name: 'contributor/app', owner: { login: 'contributor' } } },
    };
    const forked = onlyEvent(githubSource.parse(request('workflow_run', fromFork), config));
    expect(forked.subject?.branch).toBe('contributor:main');
    expect(forked.title).toContain('on contributor:main');
    // The repository's own runs keep the plain branch.
    const own = { ...run, workflow_run: { ...run.workflow_run, head_repository: { full_name: repository.full_name, owner: { login: 'x' } } } };
    expect(onlyEvent(githubSource.parse(request('workflow_run', own), config)).subject?.branch).toBe('main');
  });

  it('covers every conclusion GitHub documents', () => {
    expect(Object.keys(GITHUB_CONCLUSIONS).sort()).toEqual(table.map((r) => r[0]).sort());
  });

  it.each(table)('workflow_run %s → %s', (conclusion, type, text) => {
    const result = githubSource.parse(request('workflow_run', withConclusion(conclusion)), config);
    if (type === 'ignored') {
      expect(ignoredReason(result)).toMatch(text);
    } else {
      const event = onlyEvent(result);
      expect(event.type).toBe(type);
      expect(event.title).toBe(`octo-org/octo-repo: ${text as string}`);
      expect(event.data?.conclusion).toBe(conclusion);
    }
  });

  it.each(table)('workflow_job %s → %s', (conclusion, type) => {
    const payload = { ...jobBase, workflow_job: { ...(jobBase.workflow_job as object), conclusion } };
    const result = githubSource.parse(request('workflow_job', payload), config);
    expect(result.kind === 'events' ? result.events[0]!.type : result.kind).toBe(type);
  });

  it.each(table)('check_suite %s → %s', (conclusion, type) => {
    const payload = { ...suiteBase, check_suite: { ...(suiteBase.check_suite as object), conclusion } };
    const result = githubSource.parse(request('check_suite', payload), config);
    expect(result.kind === 'events' ? result.events[0]!.type : result.kind).toBe(type);
  });

  const deployBase = examplesOf('deployment_status')[0]!;
  it.each([
    ['in_progress', 'deployment.triggered'],
    ['success', 'deployment.succeeded'],
    ['failure', 'deployment.failed'],
    ['error', 'deployment.failed'],
    ['queued', 'ignored'],
    ['pending', 'ignored'],
    ['waiting', 'ignored'],
    ['inactive', 'ignored'],
  ])('deployment_status %s → %s', (state, type) => {
    expect(Object.keys(GITHUB_DEPLOYMENT_STATES)).toContain(state);
    const payload = { ...deployBase, deployment_status: { ...(deployBase.deployment_status as object), state } };
    const result = githubSource.parse(request('deployment_status', payload), config);
    expect(result.kind === 'events' ? result.events[0]!.type : result.kind).toBe(type);
  });

  it('workflow_run requested → triggered, in_progress → ignored (no second start)', () => {
    const run = { ...(base.workflow_run as object), status: 'queued', conclusion: null, name: 'CI' };
    const requested = onlyEvent(githubSource.parse(request('workflow_run', { ...base, action: 'requested', workflow_run: run }), config));
    expect(requested.type).toBe('pipeline.triggered');
    expect(requested.title).toBe('octo-org/octo-repo: CI started on master');
    const inProgress = githubSource.parse(request('workflow_run', { ...base, action: 'in_progress', workflow_run: { ...run, status: 'in_progress' } }), config);
    expect(ignoredReason(inProgress)).toMatch(/requested/);
  });
});

describe('dedup keys and delivery ids', () => {
  const base = examplesOf('workflow_run')[1]!;
  const run = (id: number, branch: string, conclusion: string) => ({
    ...base,
    workflow_run: { ...(base.workflow_run as object), id, run_number: id, head_branch: branch, conclusion, name: 'CI' },
  });
  const key = (payload: unknown) => onlyEvent(githubSource.parse(request('workflow_run', payload), config)).dedupKey;

  it('repeats of the same pipeline, branch and outcome share a dedupKey; other branches or outcomes do not', () => {
    expect(key(run(1, 'main', 'failure'))).toBe(key(run(2, 'main', 'failure')));
    expect(key(run(1, 'main', 'failure'))).not.toBe(key(run(1, 'dev', 'failure')));
    expect(key(run(1, 'main', 'failure'))).not.toBe(key(run(1, 'main', 'success')));
  });

  it('X-GitHub-Delivery becomes the deliveryId ingress drops redeliveries by', () => {
    const result = githubSource.parse(request('workflow_run', run(1, 'main', 'failure'), { 'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958' }), config);
    expect(result.kind === 'events' && result.deliveryId).toBe('72d3162e-cc78-11e3-81ab-4c9367dc0958');
  });
});

describe('what GitHub sends that Herald does not map, and malformed input', () => {
  it.each([
    ['push', { ref: 'refs/heads/main' }, /"push" is not one Herald handles/],
    ['workflow_run', { action: 'bogus', workflow_run: {} }, /action "bogus"/],
    ['workflow_job', { action: 'deleted', workflow_job: {} }, /action "deleted"/],
    ['check_suite', { action: 'completed', check_suite: { conclusion: 'mystery' } }, /"mystery" is not one Herald knows/],
    ['deployment_status', { action: 'created', deployment_status: { state: 'weird' } }, /"weird"/],
  ])('%s → ignored with a reason', (event, payload, reason) => {
    expect(ignoredReason(githubSource.parse(request(event, payload), config))).toMatch(reason);
  });

  it('ping → ignored "ping"', () => {
    expect(ignoredReason(githubSource.parse(request('ping', examplesOf('ping')[0]), config))).toMatch(/^ping/);
  });

  it.each([
    ['not JSON', Buffer.from('{"action": '), /not valid JSON/],
    ['a JSON array', Buffer.from('[1,2]'), /JSON object/],
    ['empty', Buffer.alloc(0), /empty body/],
  ])('%s → invalid with a reason', (_name, body, reason) => {
    const result = githubSource.parse({ headers: { 'x-github-event': 'workflow_run' }, body, pathRest: '' }, config);
    expect(result).toMatchObject({ kind: 'invalid' });
    expect(result.kind === 'invalid' && result.reason).toMatch(reason);
  });

  it('no X-GitHub-Event header → invalid', () => {
    const result = githubSource.parse({ headers: {}, body: Buffer.from('{}'), pathRest: '' }, config);
    expect(result.kind === 'invalid' && result.reason).toMatch(/X-GitHub-Event/);
  });

  it('accepts the form-encoded content type (payload=<json>)', () => {
    const payload = examplesOf('workflow_run')[1]!;
    const body = Buffer.from(new URLSearchParams({ payload: JSON.stringify(payload) }).toString());
    const event = onlyEvent(
      githubSource.parse(
        { headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-github-event': 'workflow_run' }, body, pathRest: '' },
        config,
      ),
    );
    expect(event.type).toBe('pipeline.succeeded');
  });

  it('untrusted text stays text and within the schema limits', () => {
    const base = examplesOf('workflow_run')[1]!;
    const payload = { ...base, workflow_run: { ...(base.workflow_run as object), name: `<b>${'x'.repeat(1000)}</b>`, head_branch: '' } };
    const event = onlyEvent(githubSource.parse(request('workflow_run', payload), config));
    expect(event.subject?.pipeline?.length).toBeLessThanOrEqual(300);
    expect(event.subject?.branch).toBeUndefined();
    expect(event.title.startsWith('octo-org/octo-repo: <b>x')).toBe(true);
  });
});

// What a CI event's summary tells the developer who receives it, from each producer's own
// payload (test/fixtures, @octokit/webhooks-examples): the commit by its author and the
// first line of its message, how long the run took, the failing jobs (GitLab) and failing
// tests and culprits (Jenkins) — what their own notifications show, and what the payload has.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commitSentence, tookSentence } from '../../../../electron/hub/sources/ci-common.js';
import { parseChainloopWebhook } from '../../../../electron/hub/sources/chainloop-webhook.js';
import { mapWorkflowRun } from '../../../../electron/hub/sources/github.js';
import { mapJobHook, mapPipelineHook } from '../../../../electron/hub/sources/gitlab.js';
import { parseJenkins } from '../../../../electron/hub/sources/jenkins.js';
import type { EventInput } from '../../../../shared/event.js';
import { executeAttestation, metadata, readStatement, webhookBody } from '../../../helpers/chainloop-fanout.js';
import { workflowRun } from '../../../helpers/ci-webhooks.js';

type Json = Record<string, any>;
const FIXTURES = join(import.meta.dirname, '../../../fixtures');
const fixture = (path: string) => JSON.parse(readFileSync(join(FIXTURES, path), 'utf8')) as Json;
const one = (result: EventInput | string): EventInput => {
  if (typeof result === 'string') throw new Error(result);
  return result;
};

describe('GitHub workflow_run (the webhooks-examples payload)', () => {
  it('names the commit by author and message, and how long the run took', () => {
    const payload = workflowRun('failure', { run: 101 });
    expect(payload.workflow_run.run_started_at).toBe('2020-10-05T16:33:49Z');
    payload.workflow_run.updated_at = '2020-10-05T16:38:01Z';
    const event = one(mapWorkflowRun(payload, 'gh'));
    expect(event.summary).toBe(
      'Workflow run #101. Commit 3484a3f by Matthias Fax: build(test): check workflow run event payload. Took 4 min 12 s. Triggered by repository_dispatch.',
    );
  });

  it('says nothing of a duration it cannot know (the example starts and ends in the same second)', () => {
    expect(one(mapWorkflowRun(workflowRun('success', { run: 3 }), 'gh')).summary).not.toMatch(/Took/);
  });
});

describe('GitLab Pipeline Hook (GitLab\'s documented payload)', () => {
  it('names the failed job and its stage, the commit message and the duration', () => {
    const payload = fixture('gitlab/pipeline-hook.json');
    payload.object_attributes.status = 'failed';
    const event = one(mapPipelineHook(payload, 'gl'));
    expect(event.type).toBe('pipeline.failed');
    expect(event.summary).toBe('Pipeline #31 (merge_request_event). Failed job: test-build (test). Commit bcbb5ec by User: test. Took 1 min 3 s.');
  });

  it('a job allowed to fail is not named as the failure', () => {
    const payload = fixture('gitlab/pipeline-hook.json');
    payload.object_attributes.status = 'failed';
    for (const b of payload.builds) if (b.status === 'failed') b.allow_failure = true;
    expect(one(mapPipelineHook(payload, 'gl')).summary).not.toContain('Failed job');
  });
});

describe('GitLab Job Hook (GitLab\'s documented payload)', () => {
  it('a failed job: its stage and reason, the commit by author and message, the duration', () => {
    const payload = fixture('gitlab/job-hook.json');
    Object.assign(payload, { build_status: 'failed', build_failure_reason: 'script_failure', build_duration: 95.3, build_finished_at: '2021-02-23 02:43:00 UTC' });
    expect(one(mapJobHook(payload, 'gl')).summary).toBe('Job "test" in stage test. Reason: script_failure. Commit 2293ada by User: test. Took 1 min 35 s.');
  });
});

describe('Jenkins Notification plugin (the multibranch fixture)', () => {
  it('names the failing tests, how long it took and the culprits', () => {
    const payload = fixture('jenkins/multibranch-finalized-unstable.json');
    const parsed = parseJenkins({ headers: {}, body: Buffer.from(JSON.stringify(payload)), pathRest: '' }, { id: 'jk', outcomePhase: 'FINALIZED' });
    if (parsed.kind !== 'events') throw new Error(JSON.stringify(parsed));
    expect(parsed.events[0]!.summary).toBe(
      'Jenkins main build #42. Commit 9fceb02. 3 of 120 tests failed: InvoiceTest.rounding, InvoiceTest.vat, InvoiceTest.currency. Took 5 min. Culprits: alice.',
    );
  });
});

describe('Chainloop attestation (the statement fixture, as the control plane posts it)', () => {
  it('shows the attestation digest short, keeping the whole one in data', () => {
    const digest = 'sha256:580ac09da7771920dfd0c214964e7bfe4c27903bcbe075769a4044a67c9a390a';
    const body = webhookBody(
      metadata({ workflow: { Name: 'build-and-test', Project: 'payments' }, run: { State: 'success', AttestationDigest: digest } }),
      'ATTESTATION',
      executeAttestation(readStatement('statement-with-commit')),
    );
    const parsed = parseChainloopWebhook({ headers: { 'content-type': 'application/json' }, body: Buffer.from(body), pathRest: '' });
    if (parsed.kind !== 'events') throw new Error(JSON.stringify(parsed));
    expect(parsed.events[0]!.summary).toContain('Attestation sha256:580ac09da777….');
    expect(parsed.events[0]!.data).toMatchObject({ attestationDigest: digest });
  });
});

describe('the sentences themselves', () => {
  it('one line of the message, cut at 120, no double full stop; durations in words', () => {
    expect(commitSentence('3484a3fb816e0859fd6e1cea078d76385ff50625', 'Fix the build.\n\nLong body')).toBe('Commit 3484a3f: Fix the build.');
    expect(commitSentence('3484a3fb816e0859fd6e1cea078d76385ff50625', `${'x'.repeat(200)}`)).toMatch(/^Commit 3484a3f: x{119}…$/);
    expect(commitSentence(undefined, 'message')).toBeUndefined();
    expect(tookSentence(63_000)).toBe('Took 1 min 3 s.');
    expect(tookSentence(0)).toBeUndefined();
  });
});

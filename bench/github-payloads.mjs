// The GitHub payloads the benches post: real `workflow_run` examples (completed, set to a
// failure; @octokit/webhooks-examples), each with its own run id, signed once with
// X-Hub-Signature-256 (the signature covers the body only).
import { createHmac } from 'node:crypto';
import { createRequire } from 'node:module';

export function signedWorkflowRuns(secret, count = 64) {
  const examples = createRequire(import.meta.url)('@octokit/webhooks-examples/api.github.com/index.json');
  const completed = examples.find((d) => d.name === 'workflow_run').examples.find((p) => p.action === 'completed' && p.workflow_run.conclusion);
  return Array.from({ length: count }, (_, i) => {
    const payload = structuredClone(completed);
    Object.assign(payload.workflow_run, { conclusion: 'failure', name: 'CI', id: 1_000_000 + i, run_number: 1000 + i });
    const body = Buffer.from(JSON.stringify(payload));
    return { body, signature: `sha256=${createHmac('sha256', secret).update(body).digest('hex')}` };
  });
}

// What the CI-source hub tests share: GitHub's real example payloads, a sender that signs
// like GitHub, a secret store over `env:` refs held in a map, and a poll-until helper.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { SecretStore } from '../../electron/hub/config/secrets.js';
import { githubSignature } from '../../electron/hub/sources/github.js';

const examplesDir = dirname(createRequire(import.meta.url).resolve('@octokit/webhooks-examples/package.json'));
const examples = JSON.parse(readFileSync(join(examplesDir, 'api.github.com', 'index.json'), 'utf8')) as Array<{
  name: string;
  examples: Array<Record<string, unknown>>;
}>;

/** A deep copy of one of @octokit/webhooks-examples' payloads for `event`. */
export function githubExample(event: string, pick: (payload: Record<string, any>) => boolean): Record<string, any> {
  const found = examples.find((d) => d.name === event)?.examples.find(pick);
  if (!found) throw new Error(`@octokit/webhooks-examples has no matching ${event} example`);
  return structuredClone(found);
}

/** A real `workflow_run` completed payload, with the conclusion and run number given. */
export function workflowRun(conclusion: string, overrides: { run?: number; branch?: string; name?: string } = {}): Record<string, any> {
  const payload = githubExample('workflow_run', (p) => p.action === 'completed' && p.workflow_run.conclusion === 'success');
  payload.workflow_run.conclusion = conclusion;
  if (overrides.run !== undefined) {
    payload.workflow_run.id = 900_000 + overrides.run;
    payload.workflow_run.run_number = overrides.run;
  }
  if (overrides.branch !== undefined) payload.workflow_run.head_branch = overrides.branch;
  if (overrides.name !== undefined) payload.workflow_run.name = overrides.name;
  return payload;
}

export interface GithubPost {
  event: string;
  payload: unknown;
  secret: string;
  delivery?: string;
  /** Replaces the computed X-Hub-Signature-256; null sends none. */
  signature?: string | null;
}

/** POST the compact JSON as GitHub does: event, delivery id, hook id and signature headers. */
export async function postGithub(url: string, post: GithubPost): Promise<{ status: number; body: Record<string, unknown> }> {
  const body = JSON.stringify(post.payload);
  const signature = post.signature === undefined ? githubSignature(body, post.secret) : post.signature;
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'user-agent': 'GitHub-Hookshot/044aadd',
      'x-github-event': post.event,
      'x-github-delivery': post.delivery ?? randomUUID(),
      'x-github-hook-id': '292430182',
      ...(signature !== null && { 'x-hub-signature-256': signature }),
    },
    body,
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** Resolves `env:<NAME>` from the given map (mutable, so tests can rotate a secret). */
export function mapSecrets(values: Record<string, string>): SecretStore {
  return {
    status: { available: true },
    resolve: async (ref) => {
      const value = ref.startsWith('env:') ? values[ref.slice(4)] : undefined;
      if (value === undefined) throw new Error(`${ref} is not set`);
      return value;
    },
    set: async (name) => `keychain:${name}`,
    delete: async () => undefined,
    has: async (ref) => ref.startsWith('env:') && values[ref.slice(4)] !== undefined,
  };
}

export async function until<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

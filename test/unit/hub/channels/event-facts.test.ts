// The facts under every chat message (Slack fields, Teams FactSet, Discord fields, email
// table, ntfy line), from real fixtures: the commit short as GitHub shows it, and a group the
// project's path already names left out — while a group that says something else stays.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildDiscordMessage } from '../../../../electron/hub/channels/discord.js';
import { buildEmail } from '../../../../electron/hub/channels/email.js';
import { eventFacts } from '../../../../electron/hub/channels/format.js';
import { buildNtfyMessage } from '../../../../electron/hub/channels/ntfy.js';
import { buildSlackMessage } from '../../../../electron/hub/channels/slack.js';
import { buildTeamsMessage } from '../../../../electron/hub/channels/teams.js';
import { mapWorkflowRun } from '../../../../electron/hub/sources/github.js';
import { parseKosliWebhook } from '../../../../electron/hub/sources/kosli-webhook.js';
import { workflowRun } from '../../../helpers/ci-webhooks.js';
import { makeEvent } from '../../../helpers/fake-event.js';

type Json = Record<string, any>;
const FIXTURES = join(import.meta.dirname, '../../../fixtures');

const input = mapWorkflowRun(workflowRun('failure', { run: 7 }), 'gh');
if (typeof input === 'string') throw new Error(input);
const failed = makeEvent({ ...input, subject: input.subject ?? {} });
const sha = failed.subject.commit!;

describe('message facts from a real GitHub workflow_run', () => {
  it('the commit is short (7), the group octo-org of octo-org/octo-repo is not repeated', () => {
    expect(sha).toHaveLength(40);
    expect(failed.subject.group).toBe('octo-org');
    expect(eventFacts(failed)).toEqual([
      { label: 'Project', value: 'octo-org/octo-repo' },
      { label: 'Pipeline', value: 'test' },
      { label: 'Branch', value: 'master' },
      { label: 'Commit', value: sha.slice(0, 7) },
      { label: 'Actor', value: 'Codertocat' },
    ]);
  });

  it('every channel shows the short commit and never the 40-character one', () => {
    const message = { event: failed };
    const short = sha.slice(0, 7);
    const slack = buildSlackMessage(message).attachments[0]!.blocks[1] as Json;
    expect(slack.fields.map((f: Json) => f.text)).toContain(`*Commit*\n${short}`);
    const discord = buildDiscordMessage(message) as Json;
    expect(discord.embeds[0].fields).toContainEqual({ name: 'Commit', value: short, inline: true });
    const teams = (buildTeamsMessage(message) as Json).attachments[0].content.body.find((b: Json) => b.type === 'FactSet');
    expect(teams.facts).toContainEqual({ title: 'Commit', value: short });
    expect(buildEmail(message).text).toContain(`Commit: ${short}\n`);
    expect((buildNtfyMessage(message, 't') as Json).message).toContain(`Commit: ${short} ·`);
    for (const wire of [JSON.stringify(slack), JSON.stringify(discord), JSON.stringify(teams), buildEmail(message).html]) expect(wire).not.toContain(sha);
  });
});

describe('message facts from the Kosli fixture', () => {
  it('the org (group cyber-dojo) stays: the project runner does not name it', () => {
    const parsed = parseKosliWebhook({ body: readFileSync(join(FIXTURES, 'kosli/custom-webhook-sample.json')), headers: {}, pathRest: '' });
    if (parsed.kind !== 'events') throw new Error(JSON.stringify(parsed));
    const started = makeEvent({ ...parsed.events[0]!, subject: parsed.events[0]!.subject ?? {} });
    expect(eventFacts(started).map((f) => f.label)).toContain('Group');
    expect(eventFacts(started).find((f) => f.label === 'Commit')?.value).toBe('1ac1570');
  });
});

describe('an image digest in the facts (the Chainloop attestation fixture\'s subject)', () => {
  it('shows 12 hex digits, as docker does, instead of 64 that overflow a Slack field or a Discord column', () => {
    const artifact = 'index.docker.io/bitnami/nginx@sha256:580ac09da7771920dfd0c214964e7bfe4c27903bcbe075769a4044a67c9a390a';
    const event = makeEvent({ type: 'compliance.noncompliant', subject: { project: 'payments', artifact } });
    expect(eventFacts(event)).toContainEqual({ label: 'Artifact', value: 'index.docker.io/bitnami/nginx@sha256:580ac09da777…' });
    expect(JSON.stringify(buildSlackMessage({ event }))).not.toContain('c27903bcbe0757');
    // Not a digest: as it is.
    expect(eventFacts(makeEvent({ subject: { artifact: 'ghcr.io/acme/api:1.2.3' } }))).toContainEqual({ label: 'Artifact', value: 'ghcr.io/acme/api:1.2.3' });
  });
});

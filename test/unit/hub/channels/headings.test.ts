// A message's heading is what a lock screen, a Teams feed or a subject line shows first: from
// DefectDojo's own scan_added body (test/fixtures/defectdojo) the finding "Critical: New
// Finding" says which product it is in, in ntfy's title and Teams' card heading as in Slack's
// heading and the email subject; a title that names it already is kept.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildEmail } from '../../../../electron/hub/channels/email.js';
import { buildNtfyMessage } from '../../../../electron/hub/channels/ntfy.js';
import { buildTeamsMessage } from '../../../../electron/hub/channels/teams.js';
import { parseDefectdojoWebhook } from '../../../../electron/hub/sources/defectdojo-webhook.js';
import { makeEvent } from '../../../helpers/fake-event.js';

const bodies = JSON.parse(readFileSync(join(import.meta.dirname, '../../../fixtures/defectdojo/webhook-bodies.json'), 'utf8')) as Record<string, unknown>;

describe('headings name the project', () => {
  it('ntfy and Teams name the product of a DefectDojo finding, like the email subject', () => {
    const parsed = parseDefectdojoWebhook(
      { headers: { 'x-defectdojo-event': 'scan_added', 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(bodies.scan_added)), pathRest: '' },
      { minimumSeverity: 'Info' },
    );
    if (parsed.kind !== 'events') throw new Error(JSON.stringify(parsed));
    const finding = parsed.events.find((e) => e.type === 'finding.new')!;
    const event = makeEvent({ ...finding, severity: finding.severity ?? 'critical', subject: finding.subject ?? {} });
    expect(event.title).toBe('Critical: New Finding');
    expect(buildNtfyMessage({ event }, 't').title).toBe('Critical: New Finding — notif prod');
    expect(buildEmail({ event }).subject).toContain('Critical: New Finding — notif prod');
    const card = (buildTeamsMessage({ event }) as { attachments: Array<{ content: { body: Array<{ items: Array<{ text: string }> }> } }> }).attachments[0]!.content;
    expect(card.body[0]!.items[0]!.text).toBe('🔴 Critical: New Finding — notif prod');
    // No emoji in the title: ntfy shows the severity tag's emoji before it.
    expect(buildNtfyMessage({ event: makeEvent({ title: 'acme/api: ci failed on main' }) }, 't').title).toBe('acme/api: ci failed on main');
  });
});

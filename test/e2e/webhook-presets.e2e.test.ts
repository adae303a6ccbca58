// The webhook channel form offers the presets the README lists (Devtron's Teams, Slack,
// Discord and RingCentral samples; Kosli's payload): picking one fills the body template,
// Undo brings back what the user wrote, and the saved channel sends that body — checked
// with "Send test" against a loopback sink. Real Chromium, the real headless hub.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEBHOOK_PRESETS } from '../../shared/webhook-presets.js';
import { type HubProcess, waitFor } from '../helpers/hub-process.js';
import { startSink, type Sink } from '../helpers/http-sink.js';
import { launchBrowser, type Browser } from './browser.js';
import { openPage, signIn, startHub } from './hub.js';

describe('webhook presets in the channel form', { timeout: 90_000 }, () => {
  let hub: HubProcess;
  let sink: Sink;
  let browser: Browser;

  beforeAll(async () => {
    sink = await startSink();
    hub = await startHub();
    browser = await launchBrowser();
    await signIn(browser.page, hub);
  });
  afterAll(async () => {
    await browser?.close();
    await hub?.kill();
    await sink?.close();
  });

  it('fills the template from a preset, undoes back to the user\'s own, and sends the preset body', async () => {
    const { page } = browser;
    await openPage(page, 'Channels');
    await page.getByRole('button', { name: 'Add channel' }).click();
    const form = page.getByRole('form', { name: 'New channel' });
    await form.getByLabel('Kind').selectOption('webhook');
    await form.getByLabel(/^Name/).fill('Team Slack via webhook');
    await form.getByLabel(/^URL/).fill(`${sink.url}/slack`);

    const picker = form.getByLabel('Start from a preset');
    const names = (await picker.locator('option').allTextContents()).slice(1);
    expect(names).toEqual(WEBHOOK_PRESETS.map((p) => p.name));
    expect(names).toEqual(
      expect.arrayContaining(['Microsoft Teams (Devtron sample)', 'Slack (Devtron sample)', 'Discord (Devtron sample)', 'RingCentral (Devtron sample)', 'Kosli custom webhook shape']),
    );

    const template = form.getByLabel('Body template');
    await template.fill('{"text": "{{title}}"}');
    await picker.selectOption({ label: 'Discord (Devtron sample)' });
    await expect(template.inputValue()).resolves.toBe(WEBHOOK_PRESETS.find((p) => p.id === 'devtron-discord')!.template);
    await form.getByRole('button', { name: /Undo/ }).click();
    await expect(template.inputValue()).resolves.toBe('{"text": "{{title}}"}');

    const slack = WEBHOOK_PRESETS.find((p) => p.id === 'devtron-slack')!;
    await picker.selectOption({ label: slack.name });
    await expect(template.inputValue()).resolves.toBe(slack.template);
    await form.getByRole('button', { name: 'Add channel' }).click();
    const row = page.locator('tr[data-channel-id="team-slack-via-webhook"]');
    await row.waitFor();
    const [channel] = await hub.api<Array<{ config: { template?: string } }>>('channels.list');
    expect(channel!.config.template).toBe(slack.template);

    await row.getByRole('button', { name: /Send test message/ }).click();
    const got = await waitFor(() => sink.received.find((r) => r.url === '/slack'), 10_000, 'the test message');
    expect(got.json).toMatchObject({ text: expect.any(String), blocks: [{ type: 'section', text: { type: 'mrkdwn' } }] });
    expect(browser.problems).toEqual([]);
  });
});

// A first run on a machine without a keychain, in real Chromium against the real headless
// hub started with no D-Bus session (so no Secret Service): a cctray feed is added with its
// optional password and token left empty; a generic source still gets a generated secret,
// shown once with the exact command that writes it to an owner-only file, and waits for it —
// a world-readable file is refused with the fix — until the file is right; a sender with the
// wrong secret is shown as refused. The secret never reaches config.json.
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HubProcess, NO_KEYCHAIN_ENV } from '../helpers/hub-process.js';
import { launchBrowser, type Browser } from './browser.js';
import { openPage, sendEvents, signIn, startHub } from './hub.js';

describe('first run without a keychain', { timeout: 120_000 }, () => {
  let hub: HubProcess;
  let browser: Browser;

  beforeAll(async () => {
    hub = await startHub({ unsetEnv: NO_KEYCHAIN_ENV });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await hub?.kill();
  });

  it('adds sources, generates a secret for a file, waits for it and shows refused requests', async () => {
    const { page } = browser;
    const status = await hub.api<{ keychain: { available: boolean }; dataDir: string }>('hub.status');
    expect(status.keychain.available).toBe(false);
    await signIn(page, hub);
    await openPage(page, 'Sources');

    // 1. cctray with its optional password and token left empty: they are "not set".
    await page.getByRole('button', { name: 'Add source' }).click();
    const cctray = page.getByRole('form', { name: 'New source' });
    await cctray.getByLabel('Kind').selectOption('cctray');
    await cctray.getByLabel(/^Name/).fill('Build monitor');
    await cctray.getByLabel(/^Feed URL/).fill('http://127.0.0.1:9/cctray.xml');
    await cctray.getByRole('button', { name: 'Add source' }).click();
    await page.locator('tr[data-source-id="build-monitor"]').waitFor();
    await page.getByRole('status').filter({ hasText: 'Build monitor is ready' }).getByRole('button', { name: 'Done' }).click();
    const saved = await hub.api<Array<{ config: Record<string, unknown> }>>('sources.list');
    expect(saved[0]!.config).not.toHaveProperty('password');
    expect(saved[0]!.config).not.toHaveProperty('token');

    // 2. A generic source: the secret is generated for a file under the data dir.
    await page.getByRole('button', { name: 'Add source' }).click();
    const form = page.getByRole('form', { name: 'New source' });
    await form.getByLabel('Kind').selectOption('generic');
    await form.getByLabel(/^Name/).fill('CI pipelines');
    await expect(form.getByLabel('Where to keep it').inputValue()).resolves.toBe('file');
    const secretFile = join(status.dataDir, 'secrets', 'ci-pipelines.secret');
    await expect(form.getByLabel('Shared secret').getAttribute('placeholder')).resolves.toBe(secretFile);
    await form.getByRole('button', { name: 'Add source' }).click();

    const reveal = page.getByRole('status').filter({ hasText: 'CI pipelines is waiting for its secret' });
    await reveal.waitFor();
    const secret = (await reveal.getByTestId('source-secret').textContent())!;
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const command = (await reveal.getByTestId('secret-step').locator('pre').textContent())!;
    expect(command).toBe(
      `mkdir -p '${join(status.dataDir, 'secrets')}' && (umask 077 && printf '%s\\n' '${secret}' > '${secretFile}') && chmod 600 '${secretFile}'`,
    );
    await expect(reveal.getByTestId('needs-secret').textContent()).resolves.toContain(`file ${secretFile} does not exist`);
    // No secret in the config: only where to find it.
    const configText = readFileSync(join(hub.dataDir, 'config.json'), 'utf8');
    expect(configText).toContain(`"file:${secretFile}"`);
    expect(configText).not.toContain(secret);

    // The list and the sidebar say it needs its secret, by id; webhooks are refused meanwhile.
    const row = page.locator('tr[data-source-id="ci-pipelines"]');
    await expect.poll(() => row.getByTestId('source-health').textContent()).toContain('needs its secret');
    await expect
      .poll(() => page.getByRole('navigation', { name: 'Pages' }).getByTestId('source-attention').allTextContents())
      .toEqual([expect.stringMatching(/^Source ci-pipelines needs its secret/)]);
    const ingressUrl = `${hub.ingressUrl}/hooks/ci-pipelines`;
    await expect(sendEvents(ingressUrl, secret, { type: 'pipeline.failed', title: 'x' })).rejects.toThrow(/503/);

    // Written open to everyone: refused, saying how to fix it.
    execFileSync('bash', ['-c', command.replace('(umask 077 && ', '(umask 022 && ').replace(/ && chmod 600 .*$/, '')]);
    expect(statSync(secretFile).mode & 0o777).toBe(0o644);
    await reveal.getByRole('button', { name: 'Check again' }).click();
    await expect.poll(() => reveal.getByTestId('needs-secret').textContent()).toContain(`is open to group or others (mode 0644): run chmod 600 ${secretFile}`);

    // The command as shown, run in a real shell: owner-only, and the source is ready.
    execFileSync('bash', ['-c', command]);
    expect(statSync(secretFile).mode & 0o777).toBe(0o600);
    // "Check again", unless the page already heard (it reloads on the hub's health updates).
    const ready = page.getByRole('heading', { name: 'CI pipelines is ready' });
    await expect
      .poll(async () => {
        if (!(await ready.isVisible())) await reveal.getByRole('button', { name: 'Check again' }).click({ timeout: 1000 }).catch(() => undefined);
        return ready.isVisible();
      })
      .toBe(true);
    // The secret the user just put in place stays on the card, with the curl line to try it.
    const readyCard = page.getByRole('status').filter({ hasText: 'CI pipelines is ready' });
    await expect(readyCard.getByTestId('source-secret').textContent()).resolves.toBe(secret);
    await expect(readyCard.locator('details pre').textContent()).resolves.toContain(`Authorization: Bearer ${secret}`);
    await sendEvents(ingressUrl, secret, { type: 'pipeline.failed', title: 'Build 1 failed' });
    await page.getByRole('button', { name: 'Done' }).click();
    // Healthy again; the earlier refusal (503 while it waited) stays visible, quietly.
    await expect.poll(() => row.getByTestId('source-health').locator('.badge').textContent()).toBe('healthy');
    await expect(row.getByTestId('last-rejected').textContent()).resolves.toMatch(/^last refused: 503 the secret of source "ci-pipelines" is unavailable/);

    // 4. A sender with the wrong secret: refused, counted, shown; the row is not healthy.
    for (let i = 0; i < 2; i++) await expect(sendEvents(ingressUrl, 'wrong', { type: 'x', title: 'x' })).rejects.toThrow(/401/);
    await expect.poll(() => row.getByTestId('source-health').textContent(), { timeout: 10_000 }).toContain('refusing requests');
    await expect(row.getByTestId('last-rejected').textContent()).resolves.toMatch(
      /^last refused: 401 signature or token missing or wrong — (just now|\d+ s ago) · 3 in the last hour$/,
    );
    await expect
      .poll(() => page.getByRole('navigation', { name: 'Pages' }).getByTestId('source-attention').allTextContents())
      .toEqual(['Source ci-pipelines refused its last request: 401 signature or token missing or wrong']);

    expect(browser.problems).toEqual([]);
  });
});

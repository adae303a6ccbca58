// "Connect GitHub" in Chromium against the real headless hub and the strict fake GitHub:
// paste a token, see the account, search the repositories, pick one and an owner/*, add
// the source; the token is kept by reference (the keychain when there is one, else an
// env: reference), never in the config, and the new source polls.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiOutput } from '../../shared/api.js';
import type { HubProcess } from '../helpers/hub-process.js';
import { type FakeGithub, startFakeGithub } from '../helpers/fake-github.js';
import { launchBrowser, type Browser } from './browser.js';
import { openPage, signIn, startHub } from './hub.js';

const TOKEN = 'ghp_e2e_connect_token';

describe('Connect GitHub', { timeout: 120_000 }, () => {
  let gh: FakeGithub;
  let hub: HubProcess;
  let browser: Browser;

  beforeAll(async () => {
    gh = await startFakeGithub({ tokens: { [TOKEN]: { login: 'octocat', scopes: ['repo'] } }, accounts: { octocat: 'User' } });
    for (const name of ['api', 'web', 'docs', 'Hello-World']) gh.repos.push({ owner: 'octocat', name, private: name === 'api', runs: [], deployments: [] });
    hub = await startHub({ env: { HERALD_E2E_GH_TOKEN: TOKEN } });
    browser = await launchBrowser();
    await signIn(browser.page, hub);
    await openPage(browser.page, 'Sources');
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await hub?.kill();
    await gh?.close();
  });

  it('token → account → searchable picker → a polled source whose token is kept by reference', async () => {
    const page = browser.page;
    await page.getByRole('button', { name: 'Connect GitHub' }).click();
    const panel = page.getByTestId('connect-github-actions');
    const status = await hub.api<ApiOutput<'hub.status'>>('hub.status', {});
    const keychain = status.keychain.available;
    if (keychain) {
      await panel.getByLabel('Token').fill(TOKEN);
    } else {
      await panel.getByLabel('Where to keep it').selectOption('env');
      await panel.getByLabel('Token').fill('HERALD_E2E_GH_TOKEN');
    }
    await panel.getByLabel('API URL').fill(gh.url);
    await panel.getByRole('button', { name: 'Connect', exact: true }).click();
    await expect.poll(async () => panel.getByTestId('connect-account').textContent()).toMatch(/Connected as octocat \(classic token, scopes: repo\) — 4 repositories/);

    await panel.getByLabel('Search repositories').fill('hello');
    await expect.poll(async () => panel.getByRole('checkbox').count()).toBe(2); // Hello-World, and "Only runs I triggered"
    await panel.getByLabel('octocat/Hello-World').check();
    await panel.getByLabel('Search repositories').fill('octo');
    await panel.getByLabel(/^octocat\/\* — every one of octocat/).check();
    await panel.getByRole('button', { name: /Add source watching 2 entries/ }).click();

    const row = page.locator('tr[data-source-id="github-octocat"]');
    await row.waitFor();
    const view = (await hub.api<ApiOutput<'sources.list'>>('sources.list', {})).find((s) => s.config.id === 'github-octocat')!;
    expect(view.config).toMatchObject({ kind: 'github-actions', name: 'GitHub: octocat', repos: ['octocat/Hello-World', 'octocat/*'], apiUrl: gh.url });
    expect(view.secrets.token).toMatchObject({ set: true, ref: expect.stringMatching(keychain ? /^keychain:/ : /^env:HERALD_E2E_GH_TOKEN$/) });
    expect(JSON.stringify(view)).not.toContain(TOKEN);
    const test = await hub.api<ApiOutput<'sources.test'>>('sources.test', { id: 'github-octocat' });
    expect(test).toMatchObject({ ok: true, detail: expect.stringMatching(/^connected as octocat .*4 repositories to watch/) });
    expect(gh.violations).toEqual([]);
    expect(browser.problems).toEqual([]);
  });

  it('a token GitHub refuses is said so, and nothing is added', async () => {
    const page = browser.page;
    await page.getByRole('button', { name: 'Connect GitHub' }).click();
    const panel = page.getByTestId('connect-github-actions');
    const keychain = (await hub.api<ApiOutput<'hub.status'>>('hub.status', {})).keychain.available;
    if (keychain) {
      await panel.getByLabel('Token').fill('ghp_not_a_real_token');
    } else {
      await panel.getByLabel('Token').fill('HERALD_E2E_NOT_SET');
    }
    await panel.getByLabel('API URL').fill(gh.url);
    await panel.getByRole('button', { name: 'Connect', exact: true }).click();
    await expect.poll(async () => (await panel.getByRole('alert').textContent()) ?? '').toMatch(keychain ? /HTTP 401 .*GitHub does not accept the token/ : /does not resolve/);
    await panel.getByRole('button', { name: 'Cancel' }).click();
    expect((await hub.api<ApiOutput<'sources.list'>>('sources.list', {})).length).toBe(1);
    expect(gh.violations).toEqual([]);
  });
});

// What a new user trips over on the Sources page, found in an exploratory pass and kept
// fixed here: in real Chromium against the real headless hub, each step as the README and
// the page tell the user to take it.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ApiOutput } from '../../shared/api.js';
import { type FakeGithub, startFakeGithub } from '../helpers/fake-github.js';
import { type FakeGitlab, startFakeGitlab } from '../helpers/fake-gitlab.js';
import type { HubProcess } from '../helpers/hub-process.js';
import { makeTestCerts, type TestCerts } from '../helpers/tls-certs.js';
import { launchBrowser, type Browser } from './browser.js';
import { openPage, signIn, startHub } from './hub.js';

const KOSLI_SAMPLE = readFileSync(resolve(import.meta.dirname, '../fixtures/kosli/custom-webhook-sample.json'), 'utf8');
/** Used when the hub has no keychain: the source's secret then comes from this variable. */
const ENV_SECRET = 'kosli-e2e-secret/with+url=chars';
const GITLAB_TOKEN = 'glpat-e2e-sources-ux';
const GITHUB_TOKEN = 'ghp_e2e_sources_ux';

describe('Sources, as a new user meets it', { timeout: 90_000 }, () => {
  let hub: HubProcess;
  let browser: Browser;
  let certs: TestCerts;
  let gitlab: FakeGitlab;
  let github: FakeGithub;

  beforeAll(async () => {
    github = await startFakeGithub({ tokens: { [GITHUB_TOKEN]: { login: 'octocat', scopes: ['repo'] } }, accounts: { octocat: 'User', 'other-org': 'Organization' } });
    github.repos.push({ owner: 'octocat', name: 'Hello-World', runs: [], deployments: [] });
    // Another organisation's public repository: the token can read it, but its list of repositories does not name it.
    github.repos.push({ owner: 'other-org', name: 'tool', runs: [], deployments: [] });
    certs = makeTestCerts();
    gitlab = await startFakeGitlab({ tokens: { [GITLAB_TOKEN]: { username: 'dev', scopes: ['read_api'] } }, tls: certs.server });
    gitlab.projects.push({ path: 'platform/api', pipelines: [], deployments: [] });
    hub = await startHub({ env: { HERALD_E2E_KOSLI_SECRET: ENV_SECRET, HERALD_E2E_GITLAB_TOKEN: GITLAB_TOKEN, HERALD_E2E_GITHUB_TOKEN: GITHUB_TOKEN } });
    browser = await launchBrowser();
    await signIn(browser.page, hub);
  });
  afterAll(async () => {
    await browser?.close();
    await hub?.kill();
    await gitlab?.close();
    await github?.close();
  });
  beforeEach(() => {
    browser.problems.length = 0;
  });

  it('a Kosli webhook source gives a URL Kosli can use: the secret in its path, ready to paste while it is shown', async () => {
    const { page } = browser;
    const keychain = (await hub.api<ApiOutput<'hub.status'>>('hub.status', {})).keychain.available;
    await openPage(page, 'Sources');
    await page.getByRole('button', { name: 'Add source' }).click();
    const form = page.getByRole('form', { name: 'New source' });
    await form.getByLabel('Kind').selectOption('kosli-webhook');
    await form.getByRole('textbox', { name: 'Name', exact: true }).fill('Kosli');
    let secret: string;
    if (keychain) {
      secret = await form.getByLabel(/^Shared secret/).inputValue();
    } else {
      await form.getByLabel('Where to keep it').selectOption('env');
      await form.getByLabel(/^Shared secret/).fill('HERALD_E2E_KOSLI_SECRET');
      secret = ENV_SECRET;
    }
    await form.getByRole('button', { name: 'Add source' }).click();
    const reveal = page.getByRole('status').filter({ hasText: 'Kosli is ready' });
    await reveal.waitFor();
    const ingress = `${hub.ingressUrl}/hooks/kosli`;
    await expect(reveal.getByTestId('ingress-url').textContent()).resolves.toBe(`${ingress}/<token>`);
    await expect(reveal.textContent()).resolves.toContain('Settings → Notifications');
    let pasted: string;
    if (keychain) {
      pasted = (await reveal.getByTestId('url-with-secret').textContent())!;
      expect(pasted).toBe(`${ingress}/${encodeURIComponent(secret)}`);
    } else {
      // The user's own secret is not on screen, so neither is a URL holding it.
      await expect(reveal.getByTestId('url-with-secret').count()).resolves.toBe(0);
      pasted = `${ingress}/${encodeURIComponent(secret)}`;
    }
    await reveal.getByRole('button', { name: 'Done' }).click();

    // The row keeps saying where the secret goes.
    const row = page.locator('tr[data-source-id="kosli"]');
    await expect(row.locator('.placeholder').textContent()).resolves.toBe('<token>');
    await expect(row.locator('details.setup p').textContent()).resolves.toContain('with <token> replaced by this source');

    // Kosli posts its custom-webhook payload to that URL and nothing else (no header of its own).
    const answer = await fetch(pasted, { method: 'POST', headers: { 'content-type': 'application/json' }, body: KOSLI_SAMPLE });
    expect(answer.status).toBe(202);
    await expect.poll(async () => (await hub.api<ApiOutput<'events.list'>>('events.list', { sources: ['kosli'] })).items.map((e) => e.type)).toEqual(['artifact.started']);
    await expect.poll(async () => (await row.locator('td.num').textContent())?.trim()).toBe('1');
    // The hub's first event, counted in words that fit one.
    await expect
      .poll(() => page.getByRole('navigation', { name: 'Pages' }).getByRole('region', { name: 'Summary' }).textContent())
      .toMatch(/^1 event · 1 unread/);
    expect(browser.problems).toEqual([]);
  });

  it('a DefectDojo webhook source says where its secret goes', async () => {
    const { page } = browser;
    await hub.api('sources.create', { config: { id: 'dojo', name: 'DefectDojo', kind: 'defectdojo-webhook', secret: 'env:HERALD_E2E_KOSLI_SECRET' }, secrets: {} });
    await openPage(page, 'Sources');
    const row = page.locator('tr[data-source-id="dojo"]');
    await row.getByText('How to set up').click();
    await expect(row.locator('details.setup p').textContent()).resolves.toMatch(/header: name Authorization, value Bearer and this source's secret/);
    expect(browser.problems).toEqual([]);
  });

  it("a polled source's form says what each field takes, and a self-managed GitLab's CA is pasted as it is", async () => {
    const { page } = browser;
    const keychain = (await hub.api<ApiOutput<'hub.status'>>('hub.status', {})).keychain.available;
    await openPage(page, 'Sources');
    await page.getByRole('button', { name: 'Add source' }).click();
    const form = page.getByRole('form', { name: 'New source' });
    await form.getByLabel('Kind').selectOption('gitlab-ci');
    const hintOf = async (label: RegExp) => {
      const ids = (await form.getByLabel(label).first().getAttribute('aria-describedby')) ?? '';
      return Promise.all(ids.split(/\s+/).filter(Boolean).map((id) => page.locator(`[id="${id}"]`).textContent()));
    };
    await expect(hintOf(/^Projects/)).resolves.toEqual([expect.stringMatching(/group\/\* for the group's projects .*separated by commas/)]);
    await expect(hintOf(/^Branches/)).resolves.toEqual([expect.stringMatching(/globs allowed .*separated by commas\. Empty: all/)]);
    await expect(hintOf(/^Token/)).resolves.toEqual([expect.stringMatching(/read_api/)]);

    await form.getByRole('textbox', { name: 'Name', exact: true }).fill('Our GitLab');
    if (keychain) {
      await form.getByLabel(/^Token/).fill(GITLAB_TOKEN);
    } else {
      await form.getByLabel('Where to keep it').selectOption('env');
      await form.getByLabel(/^Token/).fill('HERALD_E2E_GITLAB_TOKEN');
    }
    await form.getByLabel(/^GitLab URL/).fill(gitlab.url);
    await form.getByLabel(/^Projects/).fill('platform/api');
    // First a PEM cut short: refused beside the field, in words.
    await form.getByLabel('CA certificate (PEM)').fill('MIIB...');
    await form.getByRole('button', { name: 'Add source' }).click();
    await expect(hintOf(/^CA certificate/)).resolves.toContain('must be a PEM certificate');
    // Then the CA as a user copies it out of a file: several lines, as they are.
    await form.getByLabel('CA certificate (PEM)').fill(certs.caPem);
    await form.getByRole('button', { name: 'Add source' }).click();
    await page.locator('tr[data-source-id="our-gitlab"]').waitFor();
    // Its card says why no events come yet, instead of a bare "ready".
    const ready = page.getByRole('status').filter({ hasText: 'Our GitLab is ready' });
    await expect(ready.getByTestId('poll-first').textContent()).resolves.toMatch(/first poll only records what is there — events come from what changes after it/);
    await ready.getByRole('button', { name: 'Done' }).click();
    const view = (await hub.api<ApiOutput<'sources.list'>>('sources.list', {})).find((v) => v.config.id === 'our-gitlab')!;
    expect(view.config).toMatchObject({ kind: 'gitlab-ci', baseUrl: gitlab.url, projects: ['platform/api'], tls: { caPem: certs.caPem.trim() + '\n', insecureSkipVerify: false } });

    // Herald trusts the server through that CA: Test connection says who the token is.
    await page.getByRole('button', { name: 'Test connection of Our GitLab' }).click();
    await expect.poll(async () => (await page.locator('.toast').allTextContents()).join(' | ')).toMatch(/Connection OK: .*dev/);

    // Edit shows the certificate back as it was pasted.
    await page.locator('tr[data-source-id="our-gitlab"]').getByRole('button', { name: /^Edit/ }).click();
    const edit = page.getByRole('form', { name: /Edit source/ });
    await expect(edit.getByLabel('CA certificate (PEM)').inputValue()).resolves.toBe(certs.caPem.trim() + '\n');
    await edit.getByRole('button', { name: 'Cancel' }).click();
    expect(gitlab.violations).toEqual([]);
  });

  it("every row's buttons stay inside the window, from the desktop's default width down to its minimum, however long an error or id", async () => {
    const { page } = browser;
    // A secret file under a long directory name: the source "needs its secret", and the reason names the whole path, one long word.
    const id = `a-source-with-an-id-as-long-as-herald-allows-${'x'.repeat(17)}`;
    await hub.api('sources.create', { config: { id, name: 'Long', kind: 'generic', secret: `file:/tmp/${'no-such-directory-'.repeat(8)}/ci.secret` }, secrets: {} });
    await openPage(page, 'Sources');
    await page.locator(`tr[data-source-id="${id}"] [data-testid="source-health"]`).getByText('does not exist').waitFor();
    try {
      // Electron's window: 1100 px by default, 720 at the least; a browser tab in between.
      for (const width of [1100, 800, 720]) {
        await page.setViewportSize({ width, height: 800 });
        const overflow = await page.evaluate(() => {
          const main = document.querySelector('.main')!;
          const right = main.getBoundingClientRect().right;
          const outside = Array.from(document.querySelectorAll('.sources-table td.actions button'))
            .filter((b) => b.getBoundingClientRect().right > right + 0.5)
            .map((b) => b.getAttribute('aria-label') ?? b.textContent);
          return { scroll: main.scrollWidth - main.clientWidth, outside };
        });
        expect({ width, ...overflow }).toEqual({ width, scroll: 0, outside: [] });
      }
    } finally {
      await page.setViewportSize({ width: 1280, height: 800 });
    }
    expect(browser.problems).toEqual([]);
  });

  it("Connect GitHub watches a repository the token's list leaves out, typed whole in the search", async () => {
    const { page } = browser;
    const keychain = (await hub.api<ApiOutput<'hub.status'>>('hub.status', {})).keychain.available;
    await openPage(page, 'Sources');
    await page.getByRole('button', { name: 'Connect GitHub' }).click();
    const panel = page.getByTestId('connect-github-actions');
    if (keychain) {
      await panel.getByLabel('Token').fill(GITHUB_TOKEN);
    } else {
      await panel.getByLabel('Where to keep it').selectOption('env');
      await panel.getByLabel('Token').fill('HERALD_E2E_GITHUB_TOKEN');
    }
    await panel.getByLabel('API URL').fill(github.url);
    await panel.getByRole('button', { name: 'Connect', exact: true }).click();
    await expect.poll(async () => panel.getByTestId('connect-account').textContent()).toMatch(/Connected as octocat .* — 1 repository$/);
    const search = panel.getByLabel('Search repositories');
    await search.fill('other-org');
    await expect.poll(async () => panel.locator('.connect-ci__list ~ p, .connect-ci__list + p').first().textContent()).toMatch(/type it whole: owner\/name or owner\/\*/);
    await search.fill('other-org/tool');
    await panel.getByLabel('other-org/tool', { exact: true }).check();
    // The pick stays on the list while the user searches for something else.
    await search.fill('hello');
    await expect(panel.getByLabel('other-org/tool', { exact: true }).isChecked()).resolves.toBe(true);
    await panel.getByLabel('octocat/Hello-World').check();
    await panel.getByRole('button', { name: 'Add source watching 2 entries' }).click();
    await page.locator('tr[data-source-id="github-octocat"]').waitFor();
    const view = (await hub.api<ApiOutput<'sources.list'>>('sources.list', {})).find((v) => v.config.id === 'github-octocat')!;
    expect(view.config).toMatchObject({ kind: 'github-actions', repos: ['other-org/tool', 'octocat/Hello-World'] });
    const test = await hub.api<ApiOutput<'sources.test'>>('sources.test', { id: 'github-octocat' });
    expect(test).toMatchObject({ ok: true, detail: expect.stringMatching(/2 repositories to watch/) });
    expect(github.violations).toEqual([]);
  });

  it('from the keyboard, opening and closing a panel keeps the focus where the user is', async () => {
    const { page } = browser;
    await openPage(page, 'Sources');
    const focused = () => page.evaluate(() => {
      const e = document.activeElement!;
      return e.getAttribute('aria-label') ?? (e.id ? document.querySelector(`label[for="${e.id}"]`)?.textContent : null) ?? e.className ?? e.tagName;
    });
    const press = async (name: string, key = 'Enter') => {
      await page.getByRole('button', { name, exact: true }).focus();
      await page.keyboard.press(key);
    };

    // Connect GitHub: the focus lands on the token; Cancel hands it back to the button.
    await press('Connect GitHub');
    await expect.poll(focused).toMatch(/^Token/);
    await press('Cancel');
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent)).toBe('Connect GitHub');

    // Add source → Enter in the form saves → the focus is on the new secret's card, whose next stop is its first Copy.
    await press('Add source');
    await expect.poll(focused).toMatch(/^Name/);
    await page.keyboard.type('Keyboard CI');
    await page.keyboard.press('Enter');
    await expect.poll(focused).toMatch(/\breveal\b/);
    await page.keyboard.press('Tab');
    await expect.poll(focused).toBe('Copy ingress URL');
    await press('Done');
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent)).toBe('Add source');

    // Edit, then Cancel: back on that row's Edit.
    await press('Edit Keyboard CI');
    await expect.poll(async () => page.getByRole('form', { name: /Edit source/ }).isVisible()).toBe(true);
    await page.getByRole('form', { name: /Edit source/ }).getByRole('button', { name: 'Cancel' }).focus();
    await page.keyboard.press('Enter');
    await expect.poll(focused).toBe('Edit Keyboard CI');
    expect(browser.problems).toEqual([]);
  });

  it('a source the user paused stops counting as unhealthy in the sidebar; its row says paused', async () => {
    const { page } = browser;
    const settings = await hub.api<ApiOutput<'settings.get'>>('settings.get', {});
    await hub.api('settings.update', { settings: { ...settings, delivery: { ...settings.delivery, unhealthyAfter: 1 } } });
    // Nothing listens on port 9: the first poll fails, and with unhealthyAfter 1 the source is unhealthy at once.
    await hub.api('sources.create', { config: { id: 'dead-feed', name: 'Dead feed', kind: 'cctray', url: 'http://127.0.0.1:9/cc.xml', pollIntervalSeconds: 60 }, secrets: {} });
    await openPage(page, 'Sources');
    const nav = page.getByRole('navigation', { name: 'Pages' });
    const summary = () => nav.getByRole('region', { name: 'Summary' }).textContent();
    await expect.poll(summary, { timeout: 15_000 }).toContain('unhealthy: Dead feed');
    // The Sources badge counts the sources not working (others in this file need their secret).
    const badge = async () => Number((await nav.getByRole('link', { name: /^Sources/ }).locator('.count').allTextContents())[0] ?? 0);
    const before = await badge();
    expect(before).toBeGreaterThan(0);
    const row = page.locator('tr[data-source-id="dead-feed"]');
    await row.getByRole('button', { name: 'Pause Dead feed' }).click();
    await expect.poll(() => row.getByTestId('source-health').locator('.badge').textContent()).toBe('paused');
    await expect.poll(summary).not.toContain('Dead feed');
    await expect.poll(badge).toBe(before - 1);
    // Resumed, it is judged again.
    await row.getByRole('button', { name: 'Resume Dead feed' }).click();
    await expect.poll(summary, { timeout: 15_000 }).toContain('unhealthy: Dead feed');
    await hub.api('sources.delete', { id: 'dead-feed' });
    await hub.api('settings.update', { settings });
  });

  it("Settings says when the config file's ports are not the ones this hub listens on", async () => {
    const { page } = browser;
    // The e2e hub starts with --api-port 0 --ingress-port 0: the config's 8787/8788 are not where it listens.
    await openPage(page, 'Settings');
    const addresses = page.getByRole('region', { name: 'Addresses' });
    await expect.poll(() => addresses.getByText(hub.ingressUrl).count()).toBe(1);
    await expect(addresses.getByTestId('ports-overridden').textContent()).resolves.toMatch(/started with other ones .* listens on the addresses above/);
    expect(browser.problems).toEqual([]);
  });
});

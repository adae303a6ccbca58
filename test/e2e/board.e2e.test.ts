// The Now page and a commit's thread in real Chromium against the real headless hub, fed
// over ingress the way the tools send it: GitHub's example payloads (signed), Kosli's
// documented custom-webhook sample and generic events. Now opens first, groups by project
// with the red first, says for how long and who broke it; "Mute until green" holds until
// the pipeline passes, live; a commit opens its thread as a timeline; the event detail links
// to its thread. Screenshots light and dark under test-results/screenshots/.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { githubExample, postGithub, workflowRun } from '../helpers/ci-webhooks.js';
import { type HubProcess, tempDir, waitFor, writeConfig } from '../helpers/hub-process.js';
import { launchBrowser, type Browser } from './browser.js';
import { openPage, SCREENSHOTS, sendEvents, signIn, startHub } from './hub.js';

const GH_SECRET = 'e2e-board-gh-secret';
const CI_SECRET = 'e2e-board-ci-secret';
const KOSLI_SECRET = 'e2e-board-kosli-secret';
const KOSLI_SAMPLE = JSON.parse(readFileSync(new URL('../fixtures/kosli/custom-webhook-sample.json', import.meta.url), 'utf8')) as Record<string, any>;
/** Kosli's sample artifact was built from this commit (its provenance). */
const RUNNER_COMMIT = '1ac157003dd6fb9ec764daa47726b7bfed65c312';
const BROKE = '9fceb02d0ae598e95dc970b74767f19372d61af8';
const STILL = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
const FIXED = 'e69de29bb2d1d6434b8b29ae775ad8c2e48c5391';
const MIN = 60_000;
const ago = (minutes: number) => new Date(Date.now() - minutes * MIN).toISOString();

describe('Now and threads in the UI', { timeout: 120_000 }, () => {
  let hub: HubProcess;
  let browser: Browser;

  /** A signed GitHub workflow_run of `repo`, as GitHub sends it. */
  const run = async (repo: string, name: string, conclusion: string, sha: string, minutesAgo: number, actor: string) => {
    const payload = workflowRun(conclusion, { run: Math.round(minutesAgo), branch: 'main', name });
    const [owner] = repo.split('/');
    Object.assign(payload.repository, { full_name: repo, name: repo.split('/')[1], html_url: `https://github.com/${repo}` });
    payload.repository.owner.login = owner;
    // The run's head is the repository itself (not a fork): its branch is plain `main`.
    payload.workflow_run.head_repository = { ...payload.workflow_run.head_repository, full_name: repo, owner: { ...payload.workflow_run.head_repository?.owner, login: owner } };
    Object.assign(payload.workflow_run, { head_sha: sha, updated_at: ago(minutesAgo), html_url: `https://github.com/${repo}/actions/runs/${900 + Math.round(minutesAgo)}` });
    payload.workflow_run.triggering_actor = { login: actor };
    expect((await postGithub(`${hub.ingressUrl}/hooks/gh`, { event: 'workflow_run', payload, secret: GH_SECRET })).status).toBe(202);
  };
  const deployment = async (repo: string, environment: string, sha: string, minutesAgo: number) => {
    const payload = githubExample('deployment_status', (p) => p.deployment_status.state === 'success');
    Object.assign(payload.repository, { full_name: repo, html_url: `https://github.com/${repo}` });
    payload.repository.owner.login = repo.split('/')[0];
    Object.assign(payload.deployment, { sha, environment, ref: 'main' });
    Object.assign(payload.deployment_status, { environment, updated_at: ago(minutesAgo), target_url: `https://github.com/${repo}/deployments/${environment}` });
    delete payload.workflow_run;
    expect((await postGithub(`${hub.ingressUrl}/hooks/gh`, { event: 'deployment_status', payload, secret: GH_SECRET })).status).toBe(202);
  };
  const generic = (events: unknown) => sendEvents(`${hub.ingressUrl}/hooks/ci`, CI_SECRET, events);
  const kosli = async (body: unknown) => {
    const res = await fetch(`${hub.ingressUrl}/hooks/kosli/${KOSLI_SECRET}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(res.status).toBe(202);
  };
  const item = (name: RegExp | string) => browser.page.locator('.board-item', { has: browser.page.locator('.board-item__name', { hasText: name }) });

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    const dir = tempDir('herald-e2e-board-');
    const configFile = writeConfig(dir, {
      sources: [
        { id: 'gh', kind: 'github', name: 'GitHub', secret: 'env:HERALD_E2E_GH' },
        { id: 'ci', kind: 'generic', name: 'Buildkite', secret: 'env:HERALD_E2E_CI' },
        { id: 'kosli', kind: 'kosli-webhook', name: 'Kosli', secret: 'env:HERALD_E2E_KOSLI' },
      ],
    });
    hub = await startHub({ configFile, env: { HERALD_E2E_GH: GH_SECRET, HERALD_E2E_CI: CI_SECRET, HERALD_E2E_KOSLI: KOSLI_SECRET } });

    // acme/payments: CI broken 3 h 12 min ago by alice, still failing on bob's commit; deploy green.
    await run('acme/payments', 'CI', 'failure', BROKE, 192, 'alice');
    await run('acme/payments', 'CI', 'failure', STILL, 40, 'bob');
    await run('acme/payments', 'Release', 'success', BROKE, 300, 'alice');
    await deployment('acme/payments', 'production', BROKE, 120);
    // acme/web on another CI: green a day, now building; its staging deploy failed.
    await generic([
      { type: 'pipeline.succeeded', title: 'web build passed on main', subject: { project: 'acme/web', pipeline: 'build', branch: 'main' }, occurredAt: ago(1440), url: 'https://buildkite.com/acme/web/builds/41' },
      { type: 'pipeline.triggered', title: 'web build started on main', subject: { project: 'acme/web', pipeline: 'build', branch: 'main' }, occurredAt: ago(2), url: 'https://buildkite.com/acme/web/builds/42' },
      { type: 'deployment.failed', title: 'acme/web: deployment to staging failed', subject: { project: 'acme/web', environment: 'staging' }, occurredAt: ago(25), actor: 'chen' },
    ]);
    // cyber-dojo/runner, one commit through every stage: CI → deployment → running in aws-prod → compliance → gate.
    await run('cyber-dojo/runner', 'CI', 'success', RUNNER_COMMIT, 100, 'dana');
    await deployment('cyber-dojo/runner', 'aws-prod', RUNNER_COMMIT, 70);
    await kosli({ ...KOSLI_SAMPLE, timestamp: String(Math.floor(Date.now() / 1000) - 60 * 60) });
    await generic([
      { type: 'compliance.compliant', title: 'runner is compliant: all attestations present', subject: { project: 'runner', group: 'cyber-dojo', commit: RUNNER_COMMIT }, occurredAt: ago(58) },
      { type: 'security_gate.passed', title: 'Security gate of runner passed', subject: { project: 'runner', commit: RUNNER_COMMIT }, occurredAt: ago(55) },
    ]);
    await kosli({ ...KOSLI_SAMPLE, event_type: 'ENVIRONMENT_NON_COMPLIANT', timestamp: String(Math.floor(Date.now() / 1000) - 50 * 60), snapshot: { ...KOSLI_SAMPLE.snapshot, index: '1036' } });

    browser = await launchBrowser({ viewport: { width: 1280, height: 900 } });
    await signIn(browser.page, hub);
  });
  afterAll(async () => {
    await browser?.close();
    await hub?.kill();
  });

  it('opens on Now: grouped by project, the red first, for how long, who and which commit broke it', async () => {
    const { page } = browser;
    await item('CI · main').first().waitFor();
    const groups = await page.locator('.board-group__title > span:first-child').allTextContents();
    expect(groups[0]).toBe('acme/payments');
    const ci = page.locator('.board-item', { hasText: 'acme/payments: CI still failing (2) on main' });
    await expect(ci.locator('.state-text').textContent()).resolves.toMatch(/^red for 3 h 1\d min$/);
    await expect(ci.getByTestId('broken-by').textContent()).resolves.toBe(` · broken by alice in ${BROKE.slice(0, 7)}`);
    await expect(ci.textContent()).resolves.toContain('failed 2 times in a row');
    await expect(ci.getByRole('link', { name: 'Open run' }).getAttribute('href')).resolves.toMatch(/^https:\/\/github\.com\/acme\/payments\/actions\/runs\//);
    // Every group with something red or running comes before the all-green one.
    const webBuild = page.locator('.board-item', { hasText: 'web build started on main' });
    await expect(webBuild.locator('.state-text').textContent()).resolves.toMatch(/^green for 1 d/);
    await expect(webBuild.locator('.badge', { hasText: 'running' }).count()).resolves.toBe(1);
    await expect(page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: /^Now/ }).textContent()).resolves.toMatch(/Now\s*3$/);
    // Styled as a board (a stylesheet rule left open swallows every rule after it, the board's too).
    await expect(page.locator('.board-list').first().evaluate((el) => getComputedStyle(el).listStyleType)).resolves.toBe('none');
    await expect(page.locator('.board-item').first().evaluate((el) => getComputedStyle(el).display)).resolves.toBe('grid');
    expect(browser.problems).toEqual([]);
  });

  for (const scheme of ['light', 'dark'] as const) {
    it(`screenshots of Now and a thread, ${scheme}`, async () => {
      const shots = await launchBrowser({ colorScheme: scheme, viewport: { width: 1280, height: 900 } });
      try {
        const { page } = shots;
        await signIn(page, hub);
        await page.locator('.board-item').nth(6).waitFor();
        await page.screenshot({ path: join(SCREENSHOTS, `now-${scheme}.png`) });
        await page.goto(`${hub.apiUrl}/#/thread/${RUNNER_COMMIT}`);
        await page.locator('.timeline__entry').nth(4).waitFor();
        await page.screenshot({ path: join(SCREENSHOTS, `thread-${scheme}.png`) });
        expect(shots.problems).toEqual([]);
      } finally {
        await shots.close();
      }
    });
  }

  it('mute until green: the item says so, stays muted while failing, and turns green unmuted when it passes — live', async () => {
    const { page } = browser;
    const ci = page.locator('.board-item', { hasText: 'acme/payments: CI' }).filter({ has: page.locator('.board-item__name', { hasText: /^CI · main$/ }) });
    await ci.getByRole('button', { name: 'Mute until green' }).click();
    await ci.locator('.badge', { hasText: 'muted until green' }).waitFor();
    expect((await hub.api<{ items: Array<{ untilPasses: boolean }> }>('mutes.list')).items).toMatchObject([{ untilPasses: true }]);
    // The Now badge counts what is red and not muted, and its label says so.
    await expect.poll(() => page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: /^Now/ }).textContent()).toMatch(/Now\s*2$/);
    await expect(page.getByRole('navigation', { name: 'Pages' }).getByLabel('2 failing, not muted').count()).resolves.toBe(1);
    // Filtered to nothing: the header says nothing matches (not "Nothing yet": the board is not empty).
    await page.getByRole('group', { name: 'Show' }).getByLabel('unknown').check();
    await page.locator('.page-header__meta', { hasText: /^Nothing matches$/ }).waitFor();
    await page.getByRole('group', { name: 'Show' }).getByLabel('unknown').uncheck();
    await ci.locator('.badge', { hasText: 'muted until green' }).waitFor();

    await run('acme/payments', 'CI', 'failure', STILL, 10, 'bob');
    await ci.locator('.board-item__line', { hasText: 'failed 3 times in a row' }).waitFor();
    expect(await ci.locator('.badge', { hasText: 'muted until green' }).count()).toBe(1);

    await run('acme/payments', 'CI', 'success', FIXED, 1, 'alice');
    await ci.locator('.state-text', { hasText: /^green for/ }).waitFor();
    expect(await ci.locator('.badge', { hasText: 'muted' }).count()).toBe(0);
    expect((await hub.api<{ items: unknown[] }>('mutes.list')).items).toEqual([]);
  });

  it('from the keyboard, mute and unmute keep the focus on the thing’s button, though the board reloads', async () => {
    const { page } = browser;
    await generic({ type: 'pipeline.failed', title: 'ops nightly failed on main', subject: { project: 'acme/ops', pipeline: 'nightly', branch: 'main' }, occurredAt: ago(3) });
    const row = page.locator('.board-item', { hasText: 'ops nightly failed on main' });
    await row.getByRole('button', { name: 'Mute until green' }).focus();
    await page.keyboard.press('Enter');
    await row.getByRole('button', { name: 'Unmute' }).waitFor();
    const focused = () => page.evaluate(() => `${document.activeElement?.closest('.board-item')?.querySelector('.board-item__name')?.textContent ?? '(none)'} / ${document.activeElement?.textContent ?? ''}`);
    await expect.poll(focused, { timeout: 5_000 }).toBe('nightly · main / Unmute');
    await page.keyboard.press('Enter');
    await row.getByRole('button', { name: 'Mute until green' }).waitFor();
    await expect.poll(focused, { timeout: 5_000 }).toBe('nightly · main / Mute until green');
    expect((await hub.api<{ items: unknown[] }>('mutes.list')).items).toEqual([]);
  });

  it('a commit opens its thread: CI run → deployment → artifact started → compliance → gate, in order', async () => {
    const { page } = browser;
    await openPage(page, 'Now');
    await page.locator('.board-item', { hasText: 'runner started running in aws-prod' }).getByRole('link', { name: RUNNER_COMMIT.slice(0, 7) }).click();
    await page.getByRole('heading', { name: `Commit ${RUNNER_COMMIT.slice(0, 7)}`, level: 1 }).waitFor();
    await page.locator('.timeline__entry').nth(4).waitFor();
    const stages = await page.locator('.timeline__entry').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.stage));
    expect(stages).toEqual(['ci', 'deployment', 'artifact', 'compliance', 'gate']);
    expect(await page.locator('.timeline__title a').allTextContents()).toEqual([
      'cyber-dojo/runner: CI succeeded on main',
      'cyber-dojo/runner: deployment to aws-prod succeeded',
      'runner started running in aws-prod',
      'runner is compliant: all attestations present',
      'Security gate of runner passed',
    ]);
    expect(await page.locator('.stage').evaluateAll((els) => els.map((e) => e.className))).toEqual([
      'stage stage--ok',
      'stage stage--ok',
      'stage stage--ok',
      'stage stage--ok',
      'stage stage--ok',
    ]);

    // Live: a new event on this commit joins the timeline in its place.
    await generic({ type: 'security_gate.failed', title: 'Security gate of runner failed: 1 critical finding', subject: { project: 'runner', commit: RUNNER_COMMIT } });
    await page.locator('.timeline__entry', { hasText: 'Security gate of runner failed' }).waitFor();
    await page.locator('.stage.stage--bad[data-stage="gate"]').waitFor();
  });

  it('the event detail links to its thread', async () => {
    const { page } = browser;
    await page.locator('.timeline__title a', { hasText: 'runner started running in aws-prod' }).click();
    const detail = page.getByRole('complementary', { name: 'Event detail' });
    await detail.getByTestId('thread-link').waitFor();
    await detail.getByTestId('thread-link').getByRole('link').click();
    await page.getByRole('heading', { name: `Commit ${RUNNER_COMMIT.slice(0, 7)}`, level: 1 }).waitFor();
    await waitFor(() => page.url().endsWith(`#/thread/${RUNNER_COMMIT}`), 5000, 'the thread route');
    expect(browser.problems).toEqual([]);
  });

  it('events arriving together all join the open thread; a cancelled run reads "cancelled"; a finding does not overturn the gate', async () => {
    const { page } = browser;
    const sha = 'c0ffee1234567890c0ffee1234567890c0ffee12';
    const subject = { project: 'acme/api', pipeline: 'build', branch: 'main', commit: sha };
    await generic({ type: 'pipeline.triggered', title: 'api build started', subject, occurredAt: ago(10) });
    await page.goto(`${hub.apiUrl}/#/thread/${sha}`);
    await page.locator('.timeline__entry', { hasText: 'api build started' }).waitFor();
    // One request, three events: each must join (they reach the page between two renders).
    await generic([
      { type: 'pipeline.cancelled', title: 'api build cancelled', subject, occurredAt: ago(9) },
      { type: 'security_gate.passed', title: 'api security gate passed', subject: { project: 'acme/api', commit: sha }, occurredAt: ago(8) },
      { type: 'finding.new', title: 'api: a medium finding', severity: 'warning', subject: { project: 'acme/api', commit: sha }, occurredAt: ago(7) },
    ]);
    await waitFor(async () => (await page.locator('.timeline__entry').count()) === 4, 10_000, 'all four events in the thread');
    expect(await page.locator('.timeline__title a').allTextContents()).toEqual(['api build started', 'api build cancelled', 'api security gate passed', 'api: a medium finding']);
    await expect(page.locator('.stage[data-stage="ci"] .stage__outcome').textContent()).resolves.toBe('cancelled');
    await expect(page.locator('.stage[data-stage="gate"] .stage__outcome').textContent()).resolves.toBe('passed');
    expect(browser.problems).toEqual([]);
  });
});

// A board bigger than one page (BOARD_PAGE_DEFAULT = 200): Now loads the first page worst
// first with the counts of all, the rest as it is scrolled to, still grouped by project;
// live updates reach loaded and not-yet-loaded things alike.
describe('Now on a board of more than one page', { timeout: 120_000 }, () => {
  const SECRET = 'e2e-board-pages-secret';
  const PROJECTS = ['alpha', 'beta', 'gamma'];
  const THINGS = 260;
  // 20 red (b000…b019), the rest green; each thing since its own minute, the oldest first.
  const event = (n: number, type = n < 20 ? 'pipeline.failed' : 'pipeline.succeeded', minutesAgo = 2000 - n) => ({
    type,
    title: `${PROJECTS[n % 3]} ci ${type === 'pipeline.failed' ? 'failed' : 'passed'} on b${String(n).padStart(3, '0')}`,
    subject: { project: PROJECTS[n % 3], pipeline: 'ci', branch: `b${String(n).padStart(3, '0')}` },
    occurredAt: ago(minutesAgo),
  });
  let hub: HubProcess;
  let browser: Browser;
  const send = (events: unknown[]) => sendEvents(`${hub.ingressUrl}/hooks/ci`, SECRET, events);

  beforeAll(async () => {
    const dir = tempDir('herald-e2e-board-pages-');
    const configFile = writeConfig(dir, { sources: [{ id: 'ci', kind: 'generic', name: 'Buildkite', secret: 'env:HERALD_E2E_PAGES' }] });
    hub = await startHub({ configFile, env: { HERALD_E2E_PAGES: SECRET } });
    for (let n = 0; n < THINGS; n += 50) await send(Array.from({ length: Math.min(50, THINGS - n) }, (_, i) => event(n + i)));
    await waitFor(async () => (await hub.api<{ counts: { passing: number } }>('board.list', { limit: 0 })).counts.passing === THINGS - 20, 20_000, 'the board to hold every thing');
    browser = await launchBrowser({ viewport: { width: 1280, height: 900 } });
    await signIn(browser.page, hub);
  });
  afterAll(async () => {
    await browser?.close();
    await hub?.kill();
  });

  const branches = () => browser.page.locator('.board-item__name').allTextContents();

  it('shows the first page worst first and counts all of it; scrolling down loads the rest, grouped by project', async () => {
    const { page } = browser;
    await page.locator('.page-header__meta', { hasText: '20 failing · 240 passing' }).waitFor();
    expect(await page.locator('.board-item').count()).toBe(200);
    // The tab's title leads with what is red (the browser UI has no tray icon).
    await expect.poll(() => page.title(), { timeout: 5_000 }).toBe('(20) Now · Herald');
    await expect(page.getByTestId('board-shown').textContent()).resolves.toBe('Showing 200 of 260');
    // A group counts what is shown while pages are left to load, and says so.
    await expect(page.locator('.board-group__counts').first().textContent()).resolves.toMatch(/ shown so far$/);
    // The red come first in every group, and every group's first item is red.
    expect(await page.locator('.board-group .board-item:first-child').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.state))).toEqual(['failing', 'failing', 'failing']);

    // Scrolled to the end: the next page loads by itself; nothing is shown twice; the groups stay three.
    await page.getByRole('button', { name: 'Show more' }).scrollIntoViewIfNeeded();
    await expect.poll(() => page.locator('.board-item').count(), { timeout: 10_000 }).toBe(THINGS);
    expect(await page.getByRole('button', { name: 'Show more' }).count()).toBe(0);
    const names = await branches();
    expect(new Set(names).size).toBe(THINGS);
    expect(await page.locator('.board-group__title > span:first-child').allTextContents()).toEqual(['alpha', 'beta', 'gamma']);
    // All loaded: the groups' counts are whole.
    expect(await page.locator('.board-group__counts').allTextContents()).toEqual(['7 failing · 80 passing', '7 failing · 80 passing', '6 failing · 80 passing']);
    expect(browser.problems).toEqual([]);
  });

  it('live: a thing not yet loaded turning red appears at the top, a loaded one turning green moves down; the counts follow', async () => {
    const { page } = browser;
    await page.reload();
    await page.locator('.board-item').nth(199).waitFor();
    expect(await page.locator('.board-item').count()).toBe(200);
    // b258 and b259 (green, on no page yet) fail; b000 (red, loaded) passes.
    await send([event(258, 'pipeline.failed', 1), event(259, 'pipeline.failed', 1), event(0, 'pipeline.succeeded', 1)]);
    await page.locator('.board-item[data-state="failing"]', { hasText: 'on b259' }).waitFor();
    await page.locator('.page-header__meta', { hasText: '21 failing · 239 passing' }).waitFor();
    await expect.poll(() => page.title(), { timeout: 5_000 }).toBe('(21) Now · Herald');
    expect(await page.locator('.board-item', { hasText: 'on b000' }).count()).toBe(0); // green now: on a later page
    await page.getByRole('button', { name: 'Show more' }).scrollIntoViewIfNeeded();
    await expect.poll(() => page.locator('.board-item').count(), { timeout: 10_000 }).toBe(THINGS);
    expect(new Set(await branches()).size).toBe(THINGS);
    await expect(page.locator('.board-item', { hasText: 'passed on b000' }).getAttribute('data-state')).resolves.toBe('passing');
    expect(browser.problems).toEqual([]);
  });

  it('a mute added elsewhere reloads what was loaded, not just the first page', async () => {
    const { page } = browser;
    await page.reload();
    await page.locator('.board-item').nth(199).waitFor();
    await page.getByRole('button', { name: 'Show more' }).scrollIntoViewIfNeeded();
    await expect.poll(() => page.locator('.board-item').count(), { timeout: 10_000 }).toBe(THINGS);
    const red = await hub.api<{ items: Array<{ lastEventId: string }> }>('board.list', { states: ['failing'], limit: 1 });
    await hub.api('mutes.add', { eventId: red.items[0]!.lastEventId, untilPasses: true });
    await page.locator('.board-item .badge', { hasText: 'muted until green' }).waitFor();
    expect(await page.locator('.board-item').count()).toBe(THINGS);
    const mutes = await hub.api<{ items: Array<{ key: string }> }>('mutes.list');
    for (const mute of mutes.items) await hub.api('mutes.remove', { key: mute.key });
    await expect.poll(() => page.locator('.board-item .badge', { hasText: 'muted until green' }).count(), { timeout: 5_000 }).toBe(0);
    expect(await page.locator('.board-item').count()).toBe(THINGS);
  });

  it('"Show more" from the keyboard: the focus goes to the first thing the page brought, not back to the top', async () => {
    const { page } = browser;
    await page.reload();
    await page.locator('.board-item').nth(199).waitFor();
    const firstPage = new Set(await page.locator('.board-item').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.key)));
    await page.getByRole('button', { name: 'Show more' }).focus();
    await expect.poll(() => page.locator('.board-item').count(), { timeout: 10_000 }).toBe(THINGS);
    await expect
      .poll(() => page.evaluate(() => ({ tag: document.activeElement?.className, key: (document.activeElement?.closest('.board-item') as HTMLElement | null)?.dataset.key })), { timeout: 5_000 })
      .toMatchObject({ tag: 'board-item__title' });
    const key = await page.evaluate(() => (document.activeElement?.closest('.board-item') as HTMLElement | null)?.dataset.key);
    expect(firstPage.has(key)).toBe(false);
    expect(browser.problems).toEqual([]);
  });

  it('a board that cannot be loaded says so in the header (not "Loading…") and loads on "Try again"', async () => {
    const { page } = browser;
    let refuse = true;
    // The store unreachable (PostgreSQL down): the hub answers the page 503, as it does.
    await page.route('**/api/board.list', async (route) => {
      const input = JSON.parse(route.request().postData() ?? '{}') as { limit?: number };
      if (!refuse || input.limit === 0) return route.fallback();
      return route.fulfill({ status: 503, json: { error: { code: 'unavailable', message: 'nothing accepts connections at 127.0.0.1:5432 (is PostgreSQL running, and on this port?)' } } });
    });
    await page.reload();
    const alert = page.getByRole('alert').filter({ hasText: 'Could not load the board: nothing accepts connections at 127.0.0.1:5432' });
    await alert.waitFor();
    const meta = page.locator('.page-header__meta');
    await expect(meta.textContent()).resolves.toBe('Not loaded');
    await expect(meta.getAttribute('data-state')).resolves.toBe('error');
    refuse = false;
    await alert.getByRole('button', { name: 'Try again' }).click();
    await page.locator('.board-item').nth(199).waitFor();
    await expect(alert.count()).resolves.toBe(0);
    await expect(meta.textContent()).resolves.toMatch(/failing · /);
    await page.unroute('**/api/board.list');
    // Chromium logs each refused request to the console; nothing else may have.
    expect(browser.problems.filter((p) => !p.includes('503'))).toEqual([]);
    browser.problems.splice(0);
  });

  it('a storm (over 100 things changed within 100 ms) reaches the page as a reload of what was loaded: the red in place, the counts whole', async () => {
    const { page } = browser;
    await page.reload();
    await page.locator('.board-item').nth(199).waitFor();
    const before = (await hub.api<{ counts: { failing: number; passing: number } }>('board.list', { limit: 0 })).counts;
    // 150 green things fail in one request: one commit, one push window — the hub says
    // board.changed (board-feed.ts), not 150 items, and the page reads its 200 again.
    await send(Array.from({ length: 150 }, (_, i) => event(100 + i, 'pipeline.failed', 0)));
    const failing = before.failing + 150;
    const passing = before.passing - 150;
    await page.locator('.page-header__meta', { hasText: `${failing} failing · ${passing} passing` }).waitFor();
    await expect.poll(() => page.locator('.board-item[data-state="failing"]').count(), { timeout: 10_000 }).toBe(failing);
    expect(await page.locator('.board-item').count()).toBe(200);
    await expect.poll(() => page.title(), { timeout: 5_000 }).toBe(`(${failing}) Now · Herald`);
    expect(browser.problems).toEqual([]);
  });

  it('the api refuses a page over the maximum, naming it', async () => {
    const refused = await browser.page.evaluate(async () => {
      const res = await fetch('/api/board.list', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ limit: 5000 }) });
      return { status: res.status, body: (await res.json()) as { error: { code: string; message: string } } };
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toEqual({ code: 'invalid_input', message: 'limit: must be at most 1000 items a page: follow `next` for the rest' });
  });
});

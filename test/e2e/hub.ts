// The real headless hub for the e2e tests (built: dist/electron + dist/renderer), and the
// few steps every test takes with it.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { HEADLESS, startHubProcess, type HubProcess } from '../helpers/hub-process.js';

export const RENDERER_INDEX = resolve(import.meta.dirname, '../../dist/renderer/index.html');
export const SCREENSHOTS = resolve(import.meta.dirname, '../../test-results/screenshots');

export async function startHub(opts: Parameters<typeof startHubProcess>[0] = {}): Promise<HubProcess> {
  for (const [file, build] of [
    [HEADLESS, 'npm run build'],
    [RENDERER_INDEX, 'npm run build:renderer'],
  ] as const) {
    if (!existsSync(file)) throw new Error(`${file} is missing: run \`${build}\` before the e2e tests`);
  }
  return startHubProcess(opts);
}

/** Open the link the hub prints: it sets the token cookie and lands on Now, the page Herald opens on. */
export async function signIn(page: Page, hub: HubProcess): Promise<void> {
  await page.goto(`${hub.apiUrl}/?token=${encodeURIComponent(hub.token)}`);
  await page.getByRole('heading', { name: 'Now', level: 1 }).waitFor();
}

/** Go to a page through the sidebar, as a user would. */
export async function openPage(page: Page, name: 'Now' | 'History' | 'Sources' | 'Channels' | 'Rules' | 'Settings'): Promise<void> {
  await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: new RegExp(`^${name}`) }).click();
  await page.getByRole('heading', { name, level: 1 }).waitFor();
}

/** POST events to a generic source's ingress URL, as a CI job would. */
export async function sendEvents(url: string, secret: string, events: unknown): Promise<Response> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` },
    body: JSON.stringify(events),
  });
  if (!response.ok) throw new Error(`ingress answered ${response.status}: ${await response.text()}`);
  return response;
}

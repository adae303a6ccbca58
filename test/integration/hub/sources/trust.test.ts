// What a user sees of a source that cannot work: a secret that does not resolve here (an
// unset variable, a missing or world-readable file) and requests ingress refused (a wrong
// secret, a wrong content type). The real headless hub as a child process, its ingress on
// its own thread, secrets from real files and the environment.
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HubProcess, startHubProcess, tempDir, waitFor, writeConfig } from '../../../helpers/hub-process.js';

const SECRET = 'ci-secret-for-tests';
const FILED = 'filed-secret-for-tests';

interface SourceView {
  config: { id: string };
  needsSecret?: string;
  attention?: string;
  lastRejected?: { at: string; status: number; reason: string };
  rejectedLastHour?: number;
  secrets: Record<string, { set: boolean; ref?: string }>;
}

describe('sources that cannot work say so', () => {
  let hub: HubProcess;
  const dir = tempDir();
  const secretFile = join(dir, 'secrets', 'filed.secret');

  beforeAll(async () => {
    const configFile = writeConfig(dir, {
      sources: [
        { id: 'ci', kind: 'generic', name: 'CI', secret: 'env:HERALD_TEST_SECRET' },
        { id: 'filed', kind: 'generic', name: 'Filed', secret: `file:${secretFile}` },
        { id: 'unset', kind: 'generic', name: 'Unset', secret: 'env:HERALD_TEST_UNSET' },
      ],
    });
    hub = await startHubProcess({ configFile, env: { HERALD_TEST_SECRET: SECRET } });
  });
  afterAll(async () => {
    await hub?.kill();
  });

  const post = (id: string, secret: string, contentType = 'application/json') =>
    fetch(`${hub.ingressUrl}/hooks/${id}`, {
      method: 'POST',
      headers: { 'content-type': contentType, authorization: `Bearer ${secret}` },
      body: JSON.stringify({ type: 'pipeline.failed', title: 'nightly failed' }),
    });
  const view = async (id: string) => (await hub.api<SourceView[]>('sources.list')).find((s) => s.config.id === id)!;
  const status = async (id: string) =>
    (await hub.api<{ sources: Array<{ id: string; attention?: string }> }>('hub.status')).sources.find((s) => s.id === id)!;

  it('warns at start naming each source by id', async () => {
    // Printed after the URLs the hub process helper waits for.
    await waitFor(() => hub.output().includes('source "unset"'), 5_000, 'the start-up warnings');
    expect(hub.output()).toContain(`warning:  source "filed" secret: file ${secretFile} does not exist`);
    expect(hub.output()).toContain('warning:  source "unset" secret: environment variable HERALD_TEST_UNSET is not set');
    expect(hub.output()).not.toMatch(/sources\.\d/);
  });

  it('a source whose secret does not resolve needs it, in its view and in the status', async () => {
    const unset = await view('unset');
    expect(unset.needsSecret).toBe('secret: environment variable HERALD_TEST_UNSET is not set');
    expect(unset.attention).toBe('needs its secret (secret: environment variable HERALD_TEST_UNSET is not set)');
    expect(unset.secrets.secret).toEqual({ set: false, ref: 'env:HERALD_TEST_UNSET' });
    expect((await status('unset')).attention).toBe(unset.attention);
    const ci = await view('ci');
    expect(ci.needsSecret).toBeUndefined();
    expect(ci.attention).toBeUndefined();
    expect((await status('ci')).attention).toBeUndefined();
  });

  it('a file: secret is read when used, and refused while others can read it', async () => {
    expect((await post('filed', FILED)).status).toBe(503);
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(dir, 'secrets'), { recursive: true });
    writeFileSync(secretFile, `${FILED}\n`);
    chmodSync(secretFile, 0o644);
    const open = await post('filed', FILED);
    expect(open.status).toBe(503);
    // The sender is not told the file's path; the hub's owner is, in the source's view.
    expect(((await open.json()) as { error: string }).error).toBe('the secret of source "filed" is unavailable on this hub; send again later');
    expect((await view('filed')).needsSecret).toBe(`secret: file ${secretFile} is open to group or others (mode 0644): run chmod 600 ${secretFile}`);

    chmodSync(secretFile, 0o600);
    expect((await post('filed', FILED)).status).toBe(202);
    const filed = await view('filed');
    expect(filed.needsSecret).toBeUndefined();
    expect(filed.secrets.secret).toEqual({ set: true, ref: `file:${secretFile}` });
    // Not cached by the ingress thread: a rotated file counts at once.
    writeFileSync(secretFile, 'rotated-secret\n');
    expect((await post('filed', FILED)).status).toBe(401);
    expect((await post('filed', 'rotated-secret')).status).toBe(202);
  });

  it('refused requests are counted and shown until the sender gets it right, and logged once a minute', async () => {
    for (let i = 0; i < 3; i++) expect((await post('ci', 'wrong-secret')).status).toBe(401);
    expect((await post('ci', SECRET, 'text/plain')).status).toBe(415);
    const refused = await waitFor(async () => {
      const ci = await view('ci');
      return ci.rejectedLastHour === 4 ? ci : undefined;
    }, 5_000, 'four refusals counted');
    expect(refused.lastRejected).toMatchObject({ status: 415, reason: 'content type must be application/json, got "text/plain"' });
    expect(refused.attention).toBe('refused its last request: 415 content type must be application/json, got "text/plain"');
    expect((await status('ci')).attention).toBe(refused.attention);
    const lines = hub.output().split('\n').filter((l) => l.includes('source "ci" refused'));
    // One line for the burst, the ingress thread handing them over in one batch or more.
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^ingress: source "ci" refused a request: (401 signature or token missing or wrong|415 content type .*?)( \(and [1-3] more not logged\))?$/);

    // Accepted again: no longer the latest, so the source is fine; the refusal stays visible.
    expect((await post('ci', SECRET)).status).toBe(202);
    const ok = await view('ci');
    expect(ok.attention).toBeUndefined();
    expect(ok.lastRejected?.status).toBe(415);
    expect(ok.rejectedLastHour).toBe(4);
  });

  it('an unknown source id is not counted anywhere', async () => {
    expect((await post('nosuch', SECRET)).status).toBe(404);
    expect((await hub.api<SourceView[]>('sources.list')).map((s) => s.config.id)).toEqual(['ci', 'filed', 'unset']);
  });
});

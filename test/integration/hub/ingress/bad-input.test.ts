// Bad input at ingress: each gets its 4xx with a one-line JSON reason, and the store is unchanged.
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HubProcess, startHubProcess, tempDir, waitFor, writeConfig } from '../../../helpers/hub-process.js';

const SECRET = 'bad-input-secret';

describe('ingress refuses bad input without storing anything', () => {
  let hub: HubProcess;

  beforeAll(async () => {
    const configFile = writeConfig(tempDir(), {
      sources: [
        { id: 'ci', kind: 'generic', name: 'CI', secret: 'env:HERALD_BAD_SECRET' },
        { id: 'paused', kind: 'generic', name: 'Paused', enabled: false, secret: 'env:HERALD_BAD_SECRET' },
        { id: 'nosecret', kind: 'generic', name: 'Unset secret', secret: 'env:HERALD_UNSET_VARIABLE' },
      ],
      settings: { ingress: { maxBodyBytes: 4096 } },
    });
    hub = await startHubProcess({ configFile, env: { HERALD_BAD_SECRET: SECRET } });
  });
  afterAll(async () => {
    await hub?.kill();
  });

  const valid = JSON.stringify({ type: 'pipeline.failed', title: 'ok' });
  const sign = (body: string, secret = SECRET) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

  const cases: Array<{ name: string; path?: string; headers?: Record<string, string>; body: string; status: number; reason: RegExp }> = [
    { name: 'malformed JSON', body: '{"type": "pipeline.failed",', status: 400, reason: /not valid JSON/ },
    { name: 'schema error names the field', body: JSON.stringify({ type: 'Pipeline Failed', title: '' }), status: 400, reason: /type: .*dotted lowercase.*title/ },
    { name: 'unknown field', body: JSON.stringify({ type: 'pipeline.failed', title: 'x', colour: 'red' }), status: 400, reason: /colour/ },
    { name: 'one bad event in an array rejects the whole request', body: JSON.stringify([{ type: 'pipeline.failed', title: 'a' }, { type: 'x', title: 'b', severity: 'fatal' }]), status: 400, reason: /1\.severity/ },
    { name: 'wrong bearer secret', headers: { authorization: 'Bearer nope' }, body: valid, status: 401, reason: /signature or token/ },
    { name: 'missing auth', headers: { authorization: '' }, body: valid, status: 401, reason: /signature or token/ },
    { name: 'wrong HMAC signature', headers: { authorization: '', 'x-herald-signature-256': sign(valid, 'other') }, body: valid, status: 401, reason: /signature/ },
    { name: 'oversize body', body: JSON.stringify({ type: 'pipeline.failed', title: 'x', summary: 'y'.repeat(5000) }), status: 413, reason: /larger than the limit of 4096 bytes/ },
    { name: 'wrong content type', headers: { 'content-type': 'text/plain' }, body: valid, status: 415, reason: /application\/json.*text\/plain/ },
    { name: 'unknown source', path: '/hooks/nope', body: valid, status: 404, reason: /unknown source "nope"/ },
    { name: 'paused source', path: '/hooks/paused', body: valid, status: 403, reason: /paused/ },
    // Where the hub keeps the secret is not the sender's to know: the Sources page says it (below).
    { name: 'secret not available', path: '/hooks/nosecret', body: valid, status: 503, reason: /^the secret of source "nosecret" is unavailable on this hub; send again later$/ },
    { name: 'unknown endpoint', path: '/elsewhere', body: valid, status: 404, reason: /POST \/hooks\/<sourceId>/ },
  ];

  for (const c of cases) {
    it(`${c.name} → ${c.status}`, async () => {
      const res = await fetch(`${hub.ingressUrl}${c.path ?? '/hooks/ci'}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRET}`, ...c.headers },
        body: c.body,
      });
      expect(res.status).toBe(c.status);
      const text = await res.text();
      expect(text.includes('\n')).toBe(false);
      const reason = (JSON.parse(text) as { error: string }).error;
      expect(reason).toMatch(c.reason);
    });
  }

  it("shows the hub's owner why the secret was unavailable, which the sender was not told", async () => {
    type View = { config: { id: string }; lastRejected?: { status: number; reason: string } };
    const view = await waitFor(async () => (await hub.api<View[]>('sources.list')).find((s) => s.config.id === 'nosecret' && s.lastRejected), 5_000, 'the refusal');
    expect(view.lastRejected).toMatchObject({ status: 503, reason: expect.stringMatching(/^the secret of source "nosecret" is unavailable: .*HERALD_UNSET_VARIABLE/) });
  });

  it('stored nothing from any of them, and still accepts a good event afterwards', async () => {
    const before = await hub.api<{ total: number }>('events.list', {});
    expect(before.total).toBe(0);
    const ok = await fetch(`${hub.ingressUrl}/hooks/ci`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRET}` },
      body: valid,
    });
    expect(ok.status).toBe(202);
    const after = await hub.api<{ total: number }>('events.list', {});
    expect(after.total).toBe(1);
  });

  it('a redelivery with the same X-Herald-Delivery id is stored once', async () => {
    const send = () =>
      fetch(`${hub.ingressUrl}/hooks/ci`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRET}`, 'x-herald-delivery': 'abc-123' },
        body: JSON.stringify({ type: 'pipeline.failed', title: 'delivered twice' }),
      });
    expect((await send()).status).toBe(202);
    const second = await send();
    expect(second.status).toBe(200);
    expect(await second.json()).toEqual({ duplicate: true });
    const found = await hub.api<{ total: number }>('events.list', { text: 'delivered twice' });
    expect(found.total).toBe(1);
  });
});

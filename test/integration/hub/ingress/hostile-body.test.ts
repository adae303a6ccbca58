// Hostile bodies at ingress, against a real hub: deep nesting, bytes that are not UTF-8,
// lone surrogates, a form content type where only GitHub sends one. Each gets a 4xx naming
// the problem, promptly (never a hang), nothing is stored, and good requests around them
// are unaffected.
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HubProcess, startHubProcess, tempDir, writeConfig } from '../../../helpers/hub-process.js';

const SECRET = 'hostile-secret';
const GITHUB_SECRET = 'hostile-github-secret';

/** `{"type":…,"title":…,"data":{"a":[[[…1…]]]}}`: `levels` arrays under data, levels + 2 deep in all (4,000 levels: 8 KB). */
const nested = (levels: number, title = 'deep') => `{"type":"pipeline.failed","title":"${title}","data":{"a":${'['.repeat(levels)}1${']'.repeat(levels)}}}`;

describe('ingress refuses hostile bodies', () => {
  let hub: HubProcess;
  beforeAll(async () => {
    const configFile = writeConfig(tempDir(), {
      sources: [
        { id: 'ci', kind: 'generic', name: 'CI', secret: 'env:HERALD_HOSTILE_SECRET' },
        { id: 'gh', kind: 'github', name: 'GitHub', secret: 'env:HERALD_HOSTILE_GITHUB' },
        { id: 'gl', kind: 'gitlab', name: 'GitLab', secret: 'env:HERALD_HOSTILE_SECRET' },
      ],
    });
    hub = await startHubProcess({ configFile, env: { HERALD_HOSTILE_SECRET: SECRET, HERALD_HOSTILE_GITHUB: GITHUB_SECRET } });
  });
  afterAll(async () => {
    await hub?.kill();
  });

  const post = async (body: string | Buffer, headers: Record<string, string> = {}, path = '/hooks/ci') => {
    const res = await fetch(`${hub.ingressUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRET}`, ...headers },
      body: typeof body === 'string' ? body : new Uint8Array(body),
      // Every request is answered: a hang fails the test instead of the suite's timeout.
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    return { status: res.status, error: (JSON.parse(text) as { error?: string }).error };
  };
  const total = async () => (await hub.api<{ total: number }>('events.list', {})).total;

  describe('nesting deeper than 64 levels', () => {
    for (const levels of [63, 3_000, 4_000, 100_000]) {
      it(`data nested ${levels.toLocaleString('en')} levels → 400 naming the limit`, async () => {
        const res = await post(nested(levels));
        expect(res).toEqual({ status: 400, error: expect.stringMatching(/nested deeper than 64 levels/) });
      });
    }

    it('62 levels under data is within the limit (64 in all) → 202', async () => {
      expect((await post(nested(62, 'within the limit'))).status).toBe(202);
    });

    it('brackets inside strings do not count', async () => {
      const res = await post(JSON.stringify({ type: 'pipeline.failed', title: '[{'.repeat(100), summary: '\\"[[[[' + '{'.repeat(200) }));
      expect(res.status).toBe(202);
    });

    it('a GitHub body (form-encoded payload too) is held to the same limit', async () => {
      const json = `{"action":"completed","workflow_run":${'{"a":'.repeat(100)}1${'}'.repeat(100)}}`;
      const form = `payload=${encodeURIComponent(json)}`;
      const sign = (body: string) => `sha256=${createHmac('sha256', GITHUB_SECRET).update(body).digest('hex')}`;
      const asJson = await post(json, { 'x-github-event': 'workflow_run', 'x-hub-signature-256': sign(json) }, '/hooks/gh');
      expect(asJson).toEqual({ status: 400, error: expect.stringMatching(/nested deeper than 64 levels/) });
      const asForm = await post(form, { 'content-type': 'application/x-www-form-urlencoded', 'x-github-event': 'workflow_run', 'x-hub-signature-256': sign(form) }, '/hooks/gh');
      expect(asForm).toEqual({ status: 400, error: expect.stringMatching(/nested deeper than 64 levels/) });
    });

    it('a good request sent beside a batch of deep ones is accepted (one bad item never fails another)', async () => {
      const bad = Array.from({ length: 20 }, () => post(nested(3_000)));
      const good = Array.from({ length: 5 }, (_, i) => post(JSON.stringify({ type: 'pipeline.failed', title: `beside ${i}` })));
      expect((await Promise.all(good)).map((r) => r.status)).toEqual([202, 202, 202, 202, 202]);
      expect(new Set((await Promise.all(bad)).map((r) => r.status))).toEqual(new Set([400]));
    });
  });

  describe('text that is not Unicode', () => {
    it('bytes that are not UTF-8 (FF FE) → 400', async () => {
      const body = Buffer.concat([Buffer.from('{"type":"pipeline.failed","title":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
      expect(await post(body)).toEqual({ status: 400, error: expect.stringMatching(/not valid UTF-8/) });
    });

    it('a surrogate encoded in UTF-8 (ED A0 80) → 400', async () => {
      const body = Buffer.concat([Buffer.from('{"type":"pipeline.failed","title":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')]);
      expect(await post(body)).toEqual({ status: 400, error: expect.stringMatching(/not valid UTF-8/) });
    });

    for (const escape of ['\\ud800', '\\udc00', '\\ud800x', '\\ud800\\u0041', '\\uDBFF"', 'ok\\udfff\\ud800']) {
      it(`a lone surrogate escape ("${escape}") → 400`, async () => {
        const res = await post(`{"type":"pipeline.failed","title":"${escape.replace(/"$/, '')}"}`);
        expect(res).toEqual({ status: 400, error: expect.stringMatching(/lone surrogate/) });
      });
    }

    it('a surrogate pair, escaped or as UTF-8, and an escaped backslash before "ud800" are fine → 202', async () => {
      expect((await post('{"type":"pipeline.failed","title":"pair \\ud83d\\ude00 \\uD83D\\uDE00"}')).status).toBe(202);
      expect((await post(JSON.stringify({ type: 'pipeline.failed', title: 'raw 😀 ü' }))).status).toBe(202);
      expect((await post('{"type":"pipeline.failed","title":"not an escape \\\\ud800"}')).status).toBe(202);
    });
  });

  describe('content type', () => {
    for (const [path, headers] of [
      ['/hooks/ci', {}],
      ['/hooks/gl', { 'x-gitlab-token': SECRET, 'x-gitlab-event': 'Pipeline Hook' }],
    ] as const) {
      it(`application/x-www-form-urlencoded to ${path} (not GitHub) → 415`, async () => {
        const res = await post(JSON.stringify({ type: 'pipeline.failed', title: 'form' }), { ...headers, 'content-type': 'application/x-www-form-urlencoded' }, path);
        expect(res).toEqual({ status: 415, error: expect.stringMatching(/application\/json/) });
      });
    }

    it('GitHub still takes its form-encoded payload', async () => {
      const form = `payload=${encodeURIComponent(JSON.stringify({ zen: 'Keep it logically awesome.', hook_id: 42 }))}`;
      const signature = `sha256=${createHmac('sha256', GITHUB_SECRET).update(form).digest('hex')}`;
      const res = await post(form, { 'content-type': 'application/x-www-form-urlencoded', 'x-github-event': 'ping', 'x-hub-signature-256': signature }, '/hooks/gh');
      expect(res.status).toBe(202);
    });

    it('a form payload whose percent-encoding is not UTF-8 → 400', async () => {
      const form = 'payload=%7B%22zen%22%3A%22%FF%FE%22%7D';
      const signature = `sha256=${createHmac('sha256', GITHUB_SECRET).update(form).digest('hex')}`;
      const res = await post(form, { 'content-type': 'application/x-www-form-urlencoded', 'x-github-event': 'ping', 'x-hub-signature-256': signature }, '/hooks/gh');
      expect(res).toEqual({ status: 400, error: expect.stringMatching(/not valid percent-encoded UTF-8/) });
    });
  });

  it('stored none of the refused ones', async () => {
    const titles = (await hub.api<{ items: Array<{ title: string }> }>('events.list', { limit: 100 })).items.map((e) => e.title);
    expect(titles.filter((t) => t === 'deep' || t === 'form' || t.includes('\ufffd'))).toEqual([]);
    expect(await total()).toBe(titles.length);
  });
});

// SecretStore logic with an in-memory keytar (refs, cache, unavailable keychain). The real
// OS keychain round trip is test/integration/hub/config/keychain.test.ts.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  openSecretStore,
  parseSecretRef,
  SecretError,
  secretRefsOf,
  type KeytarLike,
} from '../../../../electron/hub/config/secrets.js';

const SECRET = 'hunter2-do-not-print';

/** An in-memory keychain that counts lookups; `gate` holds a lookup until released. */
function memoryKeytar() {
  const entries = new Map<string, string>();
  const calls = { get: 0 };
  let gate: Promise<void> | undefined;
  const keytar: KeytarLike = {
    async getPassword(service, account) {
      calls.get++;
      const value = entries.get(`${service}/${account}`) ?? null;
      if (gate) await gate;
      return value;
    },
    async setPassword(service, account, password) {
      entries.set(`${service}/${account}`, password);
    },
    async deletePassword(service, account) {
      return entries.delete(`${service}/${account}`);
    },
  };
  const hold = () => {
    let release!: () => void;
    gate = new Promise((r) => (release = r));
    return () => {
      gate = undefined;
      release();
    };
  };
  return { keytar, entries, calls, hold };
}

async function rejection(promise: Promise<unknown>): Promise<SecretError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SecretError);
  return error as SecretError;
}

describe('env: refs', () => {
  it('resolve the variable, and name a missing or empty one', async () => {
    const secrets = await openSecretStore({ env: { HOOK_SECRET: SECRET, EMPTY: '' }, loadKeytar: async () => memoryKeytar().keytar });
    expect(await secrets.resolve('env:HOOK_SECRET')).toBe(SECRET);
    expect(await secrets.has('env:HOOK_SECRET')).toBe(true);
    expect(await secrets.has('env:MISSING')).toBe(false);
    for (const name of ['MISSING', 'EMPTY']) {
      const error = await rejection(secrets.resolve(`env:${name}`));
      expect(error.message).toBe(`environment variable ${name} is not set`);
      expect(error).toMatchObject({ problem: 'not_set', ref: `env:${name}` });
    }
    await secrets.delete('env:HOOK_SECRET'); // the environment's, not ours: nothing happens
    expect(await secrets.resolve('env:HOOK_SECRET')).toBe(SECRET);
  });
});

describe('file: refs (a file holding the secret, as Docker and Kubernetes mount them)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'herald-secret-files-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const secretFile = (name: string, text: string, mode = 0o600) => {
    const file = join(dir, name);
    writeFileSync(file, text);
    chmodSync(file, mode);
    return file;
  };

  it('read the file when used, trailing newline trimmed', async () => {
    const secrets = await openSecretStore({ env: {}, loadKeytar: async () => memoryKeytar().keytar });
    const file = secretFile('hook', `${SECRET}\n`);
    expect(await secrets.resolve(`file:${file}`)).toBe(SECRET);
    expect(await secrets.has(`file:${file}`)).toBe(true);
    // Read when used, not cached: a rotated secret is picked up at once.
    writeFileSync(file, 'rotated\r\n');
    expect(await secrets.resolve(`file:${file}`)).toBe('rotated');
    await secrets.delete(`file:${file}`); // the user's file, not ours: left alone
    expect(await secrets.resolve(`file:${file}`)).toBe('rotated');
  });

  it.skipIf(process.platform === 'win32')('refuse a file group or others can read, saying how to fix it, without the value', async () => {
    const secrets = await openSecretStore({ env: {}, loadKeytar: async () => memoryKeytar().keytar });
    for (const mode of [0o644, 0o640, 0o604, 0o620]) {
      const file = secretFile(`open-${mode.toString(8)}`, SECRET, mode);
      const error = await rejection(secrets.resolve(`file:${file}`));
      expect(error).toMatchObject({ problem: 'insecure', ref: `file:${file}` });
      expect(error.message).toBe(`file ${file} is open to group or others (mode 0${mode.toString(8)}): run chmod 600 ${file}`);
      expect(error.message).not.toContain(SECRET);
      expect(await secrets.has(`file:${file}`)).toBe(false);
    }
  });

  it('name a missing or empty file, and a directory', async () => {
    const secrets = await openSecretStore({ env: {}, loadKeytar: async () => memoryKeytar().keytar });
    const missing = join(dir, 'absent');
    await expect(rejection(secrets.resolve(`file:${missing}`))).resolves.toMatchObject({ problem: 'not_set', message: `file ${missing} does not exist` });
    const empty = secretFile('empty', '\n');
    await expect(rejection(secrets.resolve(`file:${empty}`))).resolves.toMatchObject({ problem: 'not_set', message: `file ${empty} is empty` });
    await expect(rejection(secrets.resolve(`file:${dir}`))).resolves.toMatchObject({ problem: 'invalid_value', message: `file ${dir} is not a regular file` });
  });

  it('need an absolute path', () => {
    expect(parseSecretRef('file:/run/secrets/github')).toEqual({ kind: 'file', name: '/run/secrets/github', ref: 'file:/run/secrets/github' });
    expect(() => parseSecretRef('file:secrets/github')).toThrow(SecretError);
  });
});

describe('refs that are not refs', () => {
  it.each([SECRET, 'keychain:', 'env:1BAD', 'vault:x', 'keychain:a b'])('%s is refused without being echoed', async (ref) => {
    const secrets = await openSecretStore({ env: {}, loadKeytar: async () => memoryKeytar().keytar });
    for (const call of [secrets.resolve(ref), secrets.has(ref), secrets.delete(ref)]) {
      const error = await rejection(call);
      expect(error.problem).toBe('invalid_ref');
      expect(error.message).toBe('not a secret reference: must be keychain:<name>, env:<VAR> or file:<absolute path>');
    }
  });

  it('parseSecretRef splits valid refs', () => {
    expect(parseSecretRef('keychain:github/org@x')).toEqual({ kind: 'keychain', name: 'github/org@x', ref: 'keychain:github/org@x' });
    expect(parseSecretRef('env:HERALD_TOKEN')).toEqual({ kind: 'env', name: 'HERALD_TOKEN', ref: 'env:HERALD_TOKEN' });
  });
});

describe('keychain: refs', () => {
  it('round trip under the service name, and a missing entry names the ref but not a value', async () => {
    const mem = memoryKeytar();
    const secrets = await openSecretStore({ service: 'herald-unit', env: {}, loadKeytar: async () => mem.keytar });
    expect(secrets.status).toEqual({ available: true });
    expect(await secrets.set('ci-hook', SECRET)).toBe('keychain:ci-hook');
    expect(mem.entries.get('herald-unit/ci-hook')).toBe(SECRET);
    expect(await secrets.resolve('keychain:ci-hook')).toBe(SECRET);
    expect(await secrets.has('keychain:ci-hook')).toBe(true);
    await secrets.delete('keychain:ci-hook');
    await secrets.delete('keychain:ci-hook'); // already gone: fine
    expect(await secrets.has('keychain:ci-hook')).toBe(false);
    const error = await rejection(secrets.resolve('keychain:ci-hook'));
    expect(error).toMatchObject({ problem: 'not_found', ref: 'keychain:ci-hook' });
    expect(error.message).toBe('keychain entry "ci-hook" not found (service "herald-unit")');
  });

  it('caches resolved values; set and delete invalidate', async () => {
    const mem = memoryKeytar();
    const secrets = await openSecretStore({ env: {}, loadKeytar: async () => mem.keytar });
    const afterProbe = mem.calls.get;
    await secrets.set('token', 'v1');
    expect(await secrets.resolve('keychain:token')).toBe('v1');
    expect(await secrets.resolve('keychain:token')).toBe('v1');
    expect(await secrets.has('keychain:token')).toBe(true);
    expect(mem.calls.get - afterProbe).toBe(1);

    mem.entries.set('herald/token', 'changed behind our back');
    expect(await secrets.resolve('keychain:token')).toBe('v1'); // still the cached value

    await secrets.set('token', 'v2');
    expect(await secrets.resolve('keychain:token')).toBe('v2');
    expect(mem.calls.get - afterProbe).toBe(2);

    await secrets.delete('keychain:token');
    expect((await rejection(secrets.resolve('keychain:token'))).problem).toBe('not_found');
  });

  it('a lookup that was in flight during a set does not cache the old value', async () => {
    const mem = memoryKeytar();
    const secrets = await openSecretStore({ env: {}, loadKeytar: async () => mem.keytar });
    await secrets.set('token', 'old');
    const release = mem.hold();
    const slow = secrets.resolve('keychain:token'); // reads "old", then waits
    await secrets.set('token', 'new');
    release();
    expect(await slow).toBe('old');
    expect(await secrets.resolve('keychain:token')).toBe('new');
  });

  it('refuses an empty secret', async () => {
    const secrets = await openSecretStore({ env: {}, loadKeytar: async () => memoryKeytar().keytar });
    expect((await rejection(secrets.set('x', ''))).problem).toBe('invalid_value');
  });

  it('keychain failures name the entry and never the value', async () => {
    const failing: KeytarLike = {
      getPassword: async () => null,
      setPassword: async () => {
        throw new Error('Cannot create an item in a locked collection');
      },
      deletePassword: async () => false,
    };
    const secrets = await openSecretStore({ env: {}, loadKeytar: async () => failing });
    const error = await rejection(secrets.set('ci', SECRET));
    expect(error.message).toBe('cannot write keychain entry "ci": Cannot create an item in a locked collection');
    expect(error.message).not.toContain(SECRET);
  });
});

describe('keychain unavailable', () => {
  it('keytar that fails to load: unavailable with what to install; set rejects with it; env refs still work', async () => {
    const secrets = await openSecretStore({
      env: { TOKEN: 'from-env' },
      loadKeytar: async () => {
        throw new Error('libsecret-1.so.0: cannot open shared object file: No such file or directory');
      },
    });
    expect(secrets.status.available).toBe(false);
    if (process.platform === 'linux') expect(secrets.status.reason).toMatch(/^install libsecret-1-0 and run a Secret Service such as gnome-keyring/);
    expect(secrets.status.reason).toContain('libsecret-1.so.0: cannot open shared object file');

    const setError = await rejection(secrets.set('x', SECRET));
    expect(setError.problem).toBe('unavailable');
    expect(setError.message).toBe(`keychain:x: keychain unavailable: ${secrets.status.reason}`);
    expect(setError.message).not.toContain(SECRET);
    expect((await rejection(secrets.resolve('keychain:x'))).problem).toBe('unavailable');
    expect((await rejection(secrets.has('keychain:x'))).problem).toBe('unavailable');
    expect((await rejection(secrets.delete('keychain:x'))).problem).toBe('unavailable');
    expect(await secrets.resolve('env:TOKEN')).toBe('from-env');
  });

  it('a probe that fails (no Secret Service) makes it unavailable with the error', async () => {
    const keytar: KeytarLike = {
      ...memoryKeytar().keytar,
      getPassword: async () => {
        throw new Error('The name org.freedesktop.secrets was not provided by any .service files');
      },
    };
    const secrets = await openSecretStore({ env: {}, loadKeytar: async () => keytar });
    expect(secrets.status.available).toBe(false);
    expect(secrets.status.reason).toContain('org.freedesktop.secrets was not provided');
  });

  it('a probe that never answers times out instead of hanging', async () => {
    const keytar: KeytarLike = { ...memoryKeytar().keytar, getPassword: () => new Promise(() => undefined) };
    const started = Date.now();
    const secrets = await openSecretStore({ env: {}, loadKeytar: async () => keytar, probeTimeoutMs: 200 });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(secrets.status).toEqual({ available: false, reason: expect.stringContaining('no answer from the keychain within 200 ms') });
  });
});

describe('secretRefsOf', () => {
  it.each([
    [{ id: 's', kind: 'generic', name: 'S', enabled: true, secret: 'env:S' }, [{ field: 'secret', ref: 'env:S' }]],
    [
      { id: 'w', kind: 'webhook', name: 'W', enabled: true, url: 'https://x.test/', method: 'POST', headers: { 'X-Plain': 'p' }, secretHeaders: { Authorization: 'keychain:w-auth', 'X-Key': 'env:W_KEY' }, timeoutMs: 1000, concurrency: 1 },
      [
        { field: 'secretHeaders.Authorization', ref: 'keychain:w-auth' },
        { field: 'secretHeaders.X-Key', ref: 'env:W_KEY' },
      ],
    ],
    [{ id: 'd', kind: 'desktop', name: 'D', enabled: true, sound: false, concurrency: 1 }, []],
  ] as const)('%o', (item, expected) => {
    expect(secretRefsOf(item as never)).toEqual(expected);
  });
});

describe('a keychain that never answers', () => {
  it('fails each call after the call timeout instead of hanging (an unanswered unlock prompt)', async () => {
    let probed = false;
    const stuck: KeytarLike = {
      // The probe at open answers; every later call waits forever, as behind a locked keyring.
      getPassword: () => (probed ? new Promise(() => undefined) : ((probed = true), Promise.resolve(null))),
      setPassword: () => new Promise(() => undefined),
      deletePassword: () => new Promise(() => undefined),
    };
    const store = await openSecretStore({ service: 'herald-stuck', loadKeytar: async () => stuck, callTimeoutMs: 100 });
    expect(store.status.available).toBe(true);
    const started = Date.now();
    await expect(store.resolve('keychain:x')).rejects.toThrow(/no answer from the keychain within 100 ms/);
    await expect(store.set('x', 'v')).rejects.toThrow(/cannot write keychain entry "x": no answer/);
    await expect(store.delete('keychain:x')).rejects.toThrow(/cannot delete/);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

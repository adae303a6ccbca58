// The SecretStore against the real OS keychain: keytar → libsecret → gnome-keyring on the
// session D-Bus. Run inside a session with the keyring unlocked, as the test script does:
//   dbus-run-session -- bash -c 'echo -n pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null; npx vitest run test/integration/hub/config/keychain.test.ts'
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import keytar from 'keytar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkSecretRefs } from '../../../../electron/hub/config/config-file.js';
import { validate } from '../../../../electron/hub/config/config-store.js';
import { openSecretStore, SecretError, type SecretStore } from '../../../../electron/hub/config/secrets.js';

// One service per run, so runs never see each other's entries or leftovers.
const service = `herald-test-${process.pid}-${randomUUID().slice(0, 8)}`;
const SECRET = `s3cret-${randomUUID()}`;
let secrets: SecretStore;

beforeAll(async () => {
  secrets = await openSecretStore({ service, env: { HERALD_TEST_TOKEN: 'from-env' } });
  if (!secrets.status.available) {
    throw new Error(
      `the OS keychain must be available for this test (run it under dbus-run-session with gnome-keyring unlocked): ${secrets.status.reason}`,
    );
  }
});

afterAll(async () => {
  for (const { account } of await keytar.findCredentials(service)) await keytar.deletePassword(service, account);
});

describe('SecretStore on the real keychain', () => {
  it('set → resolve → has → delete → resolve fails naming the ref', async () => {
    expect(await secrets.set('github-hook', SECRET)).toBe('keychain:github-hook');
    // It is really in the keychain, not only in our memory.
    expect(await keytar.getPassword(service, 'github-hook')).toBe(SECRET);
    expect(await secrets.resolve('keychain:github-hook')).toBe(SECRET);
    expect(await secrets.has('keychain:github-hook')).toBe(true);

    await secrets.delete('keychain:github-hook');
    expect(await keytar.getPassword(service, 'github-hook')).toBeNull();
    expect(await secrets.has('keychain:github-hook')).toBe(false);
    const error = await secrets.resolve('keychain:github-hook').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SecretError);
    expect((error as SecretError).message).toBe(`keychain entry "github-hook" not found (service "${service}")`);
    expect((error as SecretError).message).not.toContain(SECRET);
  });

  it('a second store (a restarted hub) reads what the first wrote', async () => {
    await secrets.set('slack-token', SECRET);
    const restarted = await openSecretStore({ service, env: {} });
    expect(await restarted.resolve('keychain:slack-token')).toBe(SECRET);
    // Another service name is another namespace.
    const other = await openSecretStore({ service: `${service}-other`, env: {} });
    expect(await other.has('keychain:slack-token')).toBe(false);
  });

  it('caches resolved values; set and delete invalidate the cache', async () => {
    await secrets.set('rotating', 'v1');
    expect(await secrets.resolve('keychain:rotating')).toBe('v1');
    await keytar.setPassword(service, 'rotating', 'changed-outside-herald');
    expect(await secrets.resolve('keychain:rotating')).toBe('v1');
    await secrets.set('rotating', 'v2');
    expect(await secrets.resolve('keychain:rotating')).toBe('v2');
    expect(await keytar.getPassword(service, 'rotating')).toBe('v2');
    await secrets.delete('keychain:rotating');
    await expect(secrets.resolve('keychain:rotating')).rejects.toThrow(SecretError);
  });

  it('env: refs work beside keychain refs', async () => {
    expect(await secrets.resolve('env:HERALD_TEST_TOKEN')).toBe('from-env');
    await expect(secrets.resolve('env:HERALD_TEST_UNSET')).rejects.toThrow('environment variable HERALD_TEST_UNSET is not set');
  });

  it('checkSecretRefs lists what is missing from the keychain and the environment', async () => {
    await secrets.set('present', SECRET);
    const cfg = validate(
      {
        sources: [
          { id: 'a', kind: 'generic', name: 'A', secret: 'keychain:present' },
          { id: 'b', kind: 'generic', name: 'B', secret: 'env:HERALD_TEST_UNSET' },
        ],
        channels: [{ id: 'hook', kind: 'webhook', name: 'Hook', url: 'http://127.0.0.1:9/', secretHeaders: { Authorization: 'keychain:absent' } }],
      },
      'test config',
    );
    expect(await checkSecretRefs(cfg, secrets)).toEqual([
      'source "b" secret: environment variable HERALD_TEST_UNSET is not set',
      `channel "hook" secretHeaders.Authorization: keychain entry "absent" not found (service "${service}")`,
    ]);
  });
});

describe('outside a D-Bus session', () => {
  it('answers "unavailable" within a few seconds, saying what to install, and the process exits', async () => {
    const secretsModule = fileURLToPath(new URL('../../../../electron/hub/config/secrets.ts', import.meta.url));
    const script = `
      const started = Date.now();
      const { openSecretStore } = await import(${JSON.stringify(secretsModule)});
      const store = await openSecretStore({ service: ${JSON.stringify(service)}, env: { TOKEN: 'from-env' } });
      const setError = await store.set('x', 'value').then(() => null, (e) => e.message);
      console.log(JSON.stringify({ ms: Date.now() - started, status: store.status, env: await store.resolve('env:TOKEN'), setError }));
    `;
    const env = { ...process.env };
    // No session bus address, no X display to autolaunch one, no systemd user bus.
    delete env.DBUS_SESSION_BUS_ADDRESS;
    delete env.DISPLAY;
    delete env.XDG_RUNTIME_DIR;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    clearTimeout(killer);

    expect(code, stderr).toBe(0);
    const result = JSON.parse(stdout.trim().split('\n').pop()!) as {
      ms: number;
      status: { available: boolean; reason?: string };
      env: string;
      setError: string | null;
    };
    expect(result.status.available).toBe(false);
    expect(result.status.reason).toMatch(/^install libsecret-1-0 and run a Secret Service such as gnome-keyring/);
    expect(result.ms).toBeLessThan(5_000);
    expect(result.env).toBe('from-env');
    expect(result.setError).toBe(`keychain:x: keychain unavailable: ${result.status.reason}`);
  });
});

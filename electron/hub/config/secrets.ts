// Where secret values live: the OS keychain (keytar), environment variables, or files that
// hold only the secret (`file:`, as Docker and Kubernetes mount secrets: read when used,
// refused when group or others may read them). Config holds only references
// (`keychain:<name>`, `env:<VAR>`, `file:<path>`); this module turns a reference into its
// value. Errors name the reference, never the value, and there is no plaintext fallback
// when the keychain is missing.
import { open } from 'node:fs/promises';
import { SECRET_FIELDS, SecretRefSchema, type ChannelConfig, type SourceConfig } from '../../../shared/config.js';

/** The part of keytar Herald uses; tests may pass their own. */
export interface KeytarLike {
  getPassword(service: string, account: string): Promise<string | null>;
  setPassword(service: string, account: string, password: string): Promise<void>;
  deletePassword(service: string, account: string): Promise<boolean>;
}

export interface SecretStore {
  /** Whether the OS keychain works here; reason says what to install when not. */
  readonly status: { available: boolean; reason?: string };
  /** `keychain:<name>` → the keychain entry; `env:<VAR>` → the environment variable; `file:<path>` → the file's text. */
  resolve(ref: string): Promise<string>;
  /** Writes to the keychain; returns the ref `keychain:<name>`. */
  set(name: string, value: string): Promise<string>;
  /** Removes a keychain entry (absent is fine). `env:` and `file:` refs belong to the user: nothing to do. */
  delete(ref: string): Promise<void>;
  /** Whether the ref has a value. Throws SecretError when it is a keychain ref and there is no keychain. */
  has(ref: string): Promise<boolean>;
}

export type SecretProblem = 'invalid_ref' | 'invalid_value' | 'not_set' | 'not_found' | 'unavailable' | 'keychain_error' | 'insecure';

export class SecretError extends Error {
  constructor(
    message: string,
    readonly problem: SecretProblem,
    /** The reference concerned, when there is a valid one. */
    readonly ref?: string,
    /** The message without the ref prefix, for lists that already say where the ref sits. */
    readonly detail: string = message,
  ) {
    super(message);
    this.name = 'SecretError';
  }
}

export type ParsedSecretRef = { kind: 'keychain' | 'env' | 'file'; name: string; ref: string };

/** Never echoes an invalid ref: a pasted secret in place of a ref must not reach a log. */
export function parseSecretRef(ref: string): ParsedSecretRef {
  if (!SecretRefSchema.safeParse(ref).success) {
    throw new SecretError('not a secret reference: must be keychain:<name>, env:<VAR> or file:<absolute path>', 'invalid_ref');
  }
  const colon = ref.indexOf(':');
  return { kind: ref.slice(0, colon) as ParsedSecretRef['kind'], name: ref.slice(colon + 1), ref };
}

/** A secret file is a few bytes; anything this large is the wrong file. */
const MAX_SECRET_FILE_BYTES = 64 * 1024;

/**
 * The secret in a `file:` ref: the file's text without its trailing line break (what `echo`
 * and editors add). Refused when group or others have any access to it (mode & 0o077), as
 * ssh refuses an open private key; Windows has no such mode bits, so there it is not checked.
 */
async function readSecretFile(parsed: ParsedSecretRef): Promise<string> {
  const path = parsed.name;
  const fail = (detail: string, problem: SecretProblem) => new SecretError(detail, problem, parsed.ref, detail);
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw fail(`file ${path} does not exist`, 'not_set');
    throw fail(`cannot read file ${path}: ${code === 'EACCES' ? 'permission denied' : errorText(error)}`, 'not_set');
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw fail(`file ${path} is not a regular file`, 'invalid_value');
    if (process.platform !== 'win32' && (stat.mode & 0o077) !== 0) {
      const mode = (stat.mode & 0o777).toString(8).padStart(3, '0');
      throw fail(`file ${path} is open to group or others (mode 0${mode}): run chmod 600 ${path}`, 'insecure');
    }
    if (stat.size > MAX_SECRET_FILE_BYTES) throw fail(`file ${path} is larger than ${MAX_SECRET_FILE_BYTES} bytes: not a secret file`, 'invalid_value');
    const value = (await handle.readFile('utf8')).replace(/[\r\n]+$/, '');
    if (value === '') throw fail(`file ${path} is empty`, 'not_set');
    return value;
  } finally {
    await handle.close();
  }
}

/**
 * The secret refs an item holds, keyed by field path as channels receive them
 * (`secret`, `secretHeaders.Authorization`), from SECRET_FIELDS.
 */
export function secretRefsOf(item: SourceConfig | ChannelConfig): Array<{ field: string; ref: string }> {
  const refs: Array<{ field: string; ref: string }> = [];
  const fields = item as unknown as Record<string, unknown>;
  for (const field of SECRET_FIELDS[item.kind] ?? []) {
    const value = fields[field];
    if (typeof value === 'string') {
      refs.push({ field, ref: value });
    } else if (value && typeof value === 'object') {
      for (const [key, ref] of Object.entries(value)) {
        if (typeof ref === 'string') refs.push({ field: `${field}.${key}`, ref });
      }
    }
  }
  return refs;
}

const DEFAULT_SERVICE = 'herald';
/** A missing Secret Service usually fails fast, but a wedged one answers only after D-Bus's 25 s timeout. */
const DEFAULT_PROBE_TIMEOUT_MS = 3_000;
const PROBE_ACCOUNT = '__herald_probe__';
/**
 * A keychain call that waits on an unlock prompt nobody answers (a locked keyring on a
 * server, a prompter with no display) must not hang a request, or the hub's shutdown behind it.
 */
const KEYCHAIN_CALL_TIMEOUT_MS = 10_000;

export interface OpenSecretStoreOptions {
  /** The keychain service name entries are filed under; default `herald`. */
  service?: string;
  env?: NodeJS.ProcessEnv;
  loadKeytar?: () => Promise<KeytarLike>;
  probeTimeoutMs?: number;
  /** How long one keychain call may wait (an unanswered unlock prompt); default 10 s. */
  callTimeoutMs?: number;
}

export async function openSecretStore(opts: OpenSecretStoreOptions = {}): Promise<SecretStore> {
  const service = opts.service ?? DEFAULT_SERVICE;
  const env = opts.env ?? process.env;
  const loadKeytar = opts.loadKeytar ?? importKeytar;
  const probeTimeoutMs = opts.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;

  let keytar: KeytarLike | undefined;
  let status: SecretStore['status'];
  try {
    const loaded = await withTimeout(loadKeytar(), probeTimeoutMs);
    // A lookup of an entry that never exists: it succeeds (null) only when a keychain answers.
    await withTimeout(loaded.getPassword(service, PROBE_ACCOUNT), probeTimeoutMs);
    keytar = loaded;
    status = { available: true };
  } catch (error) {
    status = { available: false, reason: unavailableReason(errorText(error)) };
  }
  return new KeychainSecretStore(service, env, keytar, Object.freeze(status), opts.callTimeoutMs ?? KEYCHAIN_CALL_TIMEOUT_MS);
}

async function importKeytar(): Promise<KeytarLike> {
  const mod = (await import('keytar')) as unknown as { default?: KeytarLike } & KeytarLike;
  return mod.default ?? mod;
}

/** Read after "keychain unavailable: ", in errors and in the hub's status. */
function unavailableReason(underlying: string): string {
  switch (process.platform) {
    case 'linux':
      return (
        'install libsecret-1-0 and run a Secret Service such as gnome-keyring, unlocked, on the session D-Bus ' +
        `(${underlying}); without it, env:<VAR> and file:<path> secret references work`
      );
    case 'darwin':
      return `the macOS Keychain did not answer (${underlying})`;
    case 'win32':
      return `the Windows Credential Manager did not answer (${underlying})`;
    default:
      return `no OS keychain support on ${process.platform} (${underlying}); use env:<VAR> or file:<path> secret references`;
  }
}

class KeychainSecretStore implements SecretStore {
  /** Resolved keychain values: the delivery worker resolves on every send. */
  readonly #cache = new Map<string, string>();
  /** Bumped on every write, so a lookup that started before it does not cache a stale value. */
  #generation = 0;

  constructor(
    private readonly service: string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly keytar: KeytarLike | undefined,
    readonly status: SecretStore['status'],
    private readonly callTimeoutMs: number,
  ) {}

  async resolve(ref: string): Promise<string> {
    const parsed = parseSecretRef(ref);
    if (parsed.kind === 'env') {
      const value = this.env[parsed.name];
      if (!value) throw this.#notSet(parsed);
      return value;
    }
    // Read on every use, never cached: a rotated file is picked up at once.
    if (parsed.kind === 'file') return readSecretFile(parsed);
    const cached = this.#cache.get(parsed.name);
    if (cached !== undefined) return cached;
    const generation = this.#generation;
    const value = await this.#lookup(parsed);
    if (value === null) {
      const detail = `keychain entry "${parsed.name}" not found (service "${this.service}")`;
      throw new SecretError(detail, 'not_found', ref, detail);
    }
    if (generation === this.#generation) this.#cache.set(parsed.name, value);
    return value;
  }

  async set(name: string, value: string): Promise<string> {
    const parsed = parseSecretRef(`keychain:${name}`);
    if (value.length === 0) throw new SecretError(`${parsed.ref}: a secret must not be empty`, 'invalid_value', parsed.ref);
    const keytar = this.#keychain(parsed);
    // Before: nobody reads the old value from the cache meanwhile; after: a lookup that
    // raced the write does not cache what it read.
    this.#invalidate(parsed.name);
    try {
      await withTimeout(keytar.setPassword(this.service, parsed.name, value), this.callTimeoutMs);
    } catch (error) {
      throw this.#keychainError(parsed, 'cannot write', error);
    } finally {
      this.#invalidate(parsed.name);
    }
    return parsed.ref;
  }

  async delete(ref: string): Promise<void> {
    const parsed = parseSecretRef(ref);
    if (parsed.kind !== 'keychain') return;
    const keytar = this.#keychain(parsed);
    this.#invalidate(parsed.name);
    try {
      await withTimeout(keytar.deletePassword(this.service, parsed.name), this.callTimeoutMs);
    } catch (error) {
      throw this.#keychainError(parsed, 'cannot delete', error);
    } finally {
      this.#invalidate(parsed.name);
    }
  }

  async has(ref: string): Promise<boolean> {
    const parsed = parseSecretRef(ref);
    if (parsed.kind === 'env') return Boolean(this.env[parsed.name]);
    if (parsed.kind === 'file') {
      return readSecretFile(parsed).then(
        () => true,
        () => false,
      );
    }
    if (this.#cache.has(parsed.name)) return true;
    return (await this.#lookup(parsed)) !== null;
  }

  async #lookup(parsed: ParsedSecretRef): Promise<string | null> {
    const keytar = this.#keychain(parsed);
    try {
      return await withTimeout(keytar.getPassword(this.service, parsed.name), this.callTimeoutMs);
    } catch (error) {
      throw this.#keychainError(parsed, 'cannot read', error);
    }
  }

  #keychain(parsed: ParsedSecretRef): KeytarLike {
    if (this.keytar) return this.keytar;
    const detail = `keychain unavailable: ${this.status.reason ?? 'unknown reason'}`;
    throw new SecretError(`${parsed.ref}: ${detail}`, 'unavailable', parsed.ref, detail);
  }

  #invalidate(name: string): void {
    this.#generation++;
    this.#cache.delete(name);
  }

  #notSet(parsed: ParsedSecretRef): SecretError {
    const detail = `environment variable ${parsed.name} is not set`;
    return new SecretError(detail, 'not_set', parsed.ref, detail);
  }

  #keychainError(parsed: ParsedSecretRef, what: string, error: unknown): SecretError {
    // keytar's messages come from the OS keychain and never contain the value.
    const detail = `${what} keychain entry "${parsed.name}": ${errorText(error)}`;
    return new SecretError(detail, 'keychain_error', parsed.ref, detail);
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from the keychain within ${ms} ms`)), ms);
    timer.unref();
  });
  promise.catch(() => undefined); // a late failure after the timeout is not unhandled
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

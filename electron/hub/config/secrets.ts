// Where secret values live: the OS keychain (keytar) or, on headless servers, environment
// variables. Config holds only references (`keychain:<name>`, `env:<VAR>`); this module
// turns a reference into its value. Errors name the reference, never the value, and there
// is no plaintext fallback when the keychain is missing.
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
  /** `keychain:<name>` → the keychain entry; `env:<VAR>` → the environment variable. */
  resolve(ref: string): Promise<string>;
  /** Writes to the keychain; returns the ref `keychain:<name>`. */
  set(name: string, value: string): Promise<string>;
  /** Removes a keychain entry (absent is fine). `env:` refs belong to the environment: nothing to do. */
  delete(ref: string): Promise<void>;
  /** Whether the ref has a value. Throws SecretError when it is a keychain ref and there is no keychain. */
  has(ref: string): Promise<boolean>;
}

export type SecretProblem = 'invalid_ref' | 'invalid_value' | 'not_set' | 'not_found' | 'unavailable' | 'keychain_error';

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

export type ParsedSecretRef = { kind: 'keychain' | 'env'; name: string; ref: string };

/** Never echoes an invalid ref: a pasted secret in place of a ref must not reach a log. */
export function parseSecretRef(ref: string): ParsedSecretRef {
  if (!SecretRefSchema.safeParse(ref).success) {
    throw new SecretError('not a secret reference: must be keychain:<name> or env:<VAR>', 'invalid_ref');
  }
  const colon = ref.indexOf(':');
  return { kind: ref.slice(0, colon) as 'keychain' | 'env', name: ref.slice(colon + 1), ref };
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
        `(${underlying}); on a headless server, env:<VAR> secret references work without it`
      );
    case 'darwin':
      return `the macOS Keychain did not answer (${underlying})`;
    case 'win32':
      return `the Windows Credential Manager did not answer (${underlying})`;
    default:
      return `no OS keychain support on ${process.platform} (${underlying}); use env:<VAR> secret references`;
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
    if (parsed.kind === 'env') return;
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

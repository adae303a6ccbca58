// Export and import of the whole config as a file, in the `--config FILE` shape, so the
// same file works for the UI and for a headless hub's `--config`.
import { ConfigVersionError, migrateConfig } from '../../shared/config-migrations.js';
import { HeraldConfigSchema, type HeraldConfig } from '../../shared/config.js';
import { describeZodError } from '../../shared/event.js';

export type ParsedConfigFile = { ok: true; config: HeraldConfig } | { ok: false; problems: string[] };

export async function parseConfigFile(name: string, text: string): Promise<ParsedConfigFile> {
  let data: unknown;
  const body = text.replace(/^\uFEFF/, '');
  if (/\.ya?ml$/i.test(name)) {
    // Loaded only when a YAML file is picked: most people never need the parser.
    const { parseDocument } = await import('yaml');
    const doc = parseDocument(body, { uniqueKeys: true });
    const [first] = doc.errors;
    if (first) {
      const at = first.linePos?.[0];
      return { ok: false, problems: [`${name}${at ? `:${at.line}:${at.col}` : ''}: invalid YAML: ${first.message.split('\n')[0]}`] };
    }
    data = doc.toJS();
  } else {
    try {
      data = JSON.parse(body);
    } catch (error) {
      return { ok: false, problems: [`${name}: invalid JSON: ${(error as Error).message}`] };
    }
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    return { ok: false, problems: [`${name}: expected an object with sources, channels, rules and settings`] };
  }
  // A file exported by an older Herald is brought up to the current shape first.
  let migrated: unknown;
  try {
    migrated = migrateConfig(data).config;
  } catch (error) {
    if (error instanceof ConfigVersionError) return { ok: false, problems: [`${name}: ${error.message}`] };
    throw error;
  }
  const result = HeraldConfigSchema.safeParse(migrated);
  if (!result.success) return { ok: false, problems: describeZodError(result.error).split('; ') };
  return { ok: true, config: result.data };
}

export function exportFileName(now = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `herald-config-${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}.json`;
}

/** Save text as a file through the browser's download (works in Electron too). */
export function downloadText(fileName: string, text: string, type = 'application/json'): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

// GitHub's own OpenAPI description (the @octokit/openapi package, dereferenced: every
// $ref inlined) made into checks for the strict fake: which operations exist (path
// templates per method), which query parameters each takes, and an Ajv validator per
// operation and status for the answers the fake serves. The description is OpenAPI 3.0:
// `nullable: true` becomes a JSON Schema `null` type before Ajv sees it. Loaded once per
// test process (~1 s, the file is 70 MB).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import formatsPlugin from 'ajv-formats';

// ajv-formats is CommonJS: its default export is the plugin itself, or under `.default`.
const addFormats = ((formatsPlugin as unknown as { default?: typeof formatsPlugin }).default ?? formatsPlugin) as unknown as (ajv: Ajv) => Ajv;

type Json = Record<string, any>;

export interface Operation {
  method: string;
  template: string;
  pattern: RegExp;
  pathParams: string[];
  spec: Json;
}

export interface GithubDescription {
  /** The documented operation for a method and path (without the base path), or undefined. */
  match(method: string, path: string): { operation: Operation; params: Record<string, string> } | undefined;
  /** Problems with a request's query parameters: unknown names, values outside their schema. */
  checkQuery(operation: Operation, query: URLSearchParams): string[];
  /** Problems with an answer body for the status (undocumented statuses are checked as GitHub's basic-error). */
  checkAnswer(operation: Operation, status: number, body: unknown): string[];
  /** A documented example answer, deep-copied. */
  example(method: string, template: string, status?: string): any;
}

let loaded: GithubDescription | undefined;

export function githubDescription(): GithubDescription {
  if (loaded) return loaded;
  const dir = dirname(createRequire(import.meta.url).resolve('@octokit/openapi/package.json'));
  const doc = JSON.parse(readFileSync(join(dir, 'generated', 'api.github.com.deref.json'), 'utf8')) as Json;
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
  addFormats(ajv);

  const operations: Operation[] = [];
  for (const [template, item] of Object.entries(doc.paths as Json)) {
    for (const method of ['get', 'post', 'put', 'patch', 'delete']) {
      const spec = (item as Json)[method];
      if (!spec) continue;
      const pathParams: string[] = [];
      const source = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{([^}]+)\\?\}|\{([^}]+)\}/g, (_m, a: string, b: string) => {
        pathParams.push(a ?? b);
        return '([^/]+)';
      });
      operations.push({ method: method.toUpperCase(), template, pattern: new RegExp(`^${source}$`), pathParams, spec });
    }
  }
  // Literal segments first: /user/repos before /users/{username}.
  operations.sort((a, b) => a.pathParams.length - b.pathParams.length);

  const basicError = toJsonSchema(doc.paths['/user'].get.responses['401'].content['application/json'].schema);
  const validators = new Map<string, ValidateFunction>();
  const validatorFor = (operation: Operation, status: number): ValidateFunction => {
    const key = `${operation.method} ${operation.template} ${status}`;
    const cached = validators.get(key);
    if (cached) return cached;
    const documented = operation.spec.responses?.[String(status)]?.content?.['application/json']?.schema;
    const validate = ajv.compile(documented ? toJsonSchema(documented) : basicError);
    validators.set(key, validate);
    return validate;
  };
  const paramValidators = new Map<string, ValidateFunction>();

  loaded = {
    match(method, path) {
      for (const operation of operations) {
        if (operation.method !== method) continue;
        const m = operation.pattern.exec(path);
        if (!m) continue;
        const params: Record<string, string> = {};
        operation.pathParams.forEach((name, i) => (params[name] = decodeURIComponent(m[i + 1]!)));
        return { operation, params };
      }
      return undefined;
    },
    checkQuery(operation, query) {
      const problems: string[] = [];
      const documented = new Map<string, Json>((operation.spec.parameters ?? []).filter((p: Json) => p.in === 'query').map((p: Json) => [p.name, p]));
      for (const [name, value] of query) {
        const param = documented.get(name);
        if (!param) {
          problems.push(`query parameter "${name}" is not documented for ${operation.method} ${operation.template}`);
          continue;
        }
        const key = `${operation.template} ${name}`;
        const validate = paramValidators.get(key) ?? ajv.compile(toJsonSchema(param.schema ?? {}));
        paramValidators.set(key, validate);
        // Query strings are text: a value is typed only when it reads as that type, so `per_page=ten` fails.
        const type = param.schema?.type;
        const typed =
          (type === 'integer' || type === 'number') && /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : type === 'boolean' && /^(true|false)$/.test(value) ? value === 'true' : value;
        if (!validate(typed)) problems.push(`query parameter ${name}=${value}: ${ajv.errorsText(validate.errors)}`);
      }
      return problems;
    },
    checkAnswer(operation, status, body) {
      const validate = validatorFor(operation, status);
      return validate(body) ? [] : [`${operation.method} ${operation.template} ${status}: ${ajv.errorsText(validate.errors, { separator: '; ' })}`];
    },
    example(method, template, status = '200') {
      const content = doc.paths[template]?.[method.toLowerCase()]?.responses?.[status]?.content?.['application/json'];
      if (!content) throw new Error(`no documented ${status} answer for ${method} ${template}`);
      const value = content.examples ? (Object.values(content.examples)[0] as Json).value : content.example;
      return structuredClone(value);
    },
  };
  return loaded;
}

/** OpenAPI 3.0 schema → JSON Schema: `nullable: true` admits null. */
function toJsonSchema(schema: unknown): any {
  if (Array.isArray(schema)) return schema.map(toJsonSchema);
  if (typeof schema !== 'object' || schema === null) return schema;
  const out: Json = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'example' || key === 'examples' || key === 'nullable') continue;
    out[key] = key === 'properties' || key === 'patternProperties' ? Object.fromEntries(Object.entries(value as Json).map(([k, v]) => [k, toJsonSchema(v)])) : toJsonSchema(value);
  }
  if ((schema as Json).nullable === true) {
    if (typeof out.type === 'string') out.type = [out.type, 'null'];
    else if (Array.isArray(out.type)) out.type = [...new Set([...out.type, 'null'])];
    else return { anyOf: [out, { type: 'null' }] };
    if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
  }
  return out;
}

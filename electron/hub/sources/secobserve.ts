// Polls SecObserve (`Authorization: APIToken <token>`):
// - `GET /api/products/` (DRF pages): a product's `security_gate_passed` changing to
//   false → security_gate.failed, to true → security_gate.passed (null = gate disabled:
//   nothing). A product seen for the first time after the baseline counts as coming from
//   null, as SecObserve itself notifies "None → Failed". The gate belongs to the product and
//   is evaluated on its default branch (SecObserve's Branch model has no gate), so the
//   branch is `repository_default_branch_name`.
// - `GET /api/notifications/?ordering=-created`: entries of type "Exception" (a request)
//   or "Task" (a background task) newer than the last seen id → error.exception, the same
//   exception (name, message, function, arguments — SecObserve's own key) at most once
//   per window (default 1 h). Non-superuser tokens see messages as "...", which makes
//   different exceptions of one class look alike: use a superuser's token for exceptions.
// The first poll records a baseline and raises nothing.
import { createHash } from 'node:crypto';
import type { SourceConfig } from '../../../shared/config.js';
import type { EventInput, Subject } from '../../../shared/event.js';
import { apiUrl, getAllPages, integerAt, objectAt, optionalText, shapeError, stringAt, type Validators } from './poll-http.js';
import type { PollContext, PollingSource, PollResult } from './source.js';

export type SecobserveConfig = Extract<SourceConfig, { kind: 'secobserve' }>;

export interface SecobserveProductState {
  name: string;
  passed: boolean | null;
}

export interface SecobserveState {
  products: Record<string, SecobserveProductState>;
  /** Highest notification id seen. */
  notificationCursor: number;
  /** Exception key hash → SecObserve's `created` time (ms) of the one last raised. */
  lastRaised: Record<string, number>;
  notificationValidators?: Validators;
}

export const SECOBSERVE_DEFAULT_INTERVAL_SECONDS = 300;
const PAGE_SIZE = 100;
const EXCEPTION_TYPES = new Set(['Exception', 'Task']);

interface Product {
  id: number;
  name: string;
  passed: boolean | null;
  branch?: string;
  group?: string;
  openCritical?: number;
  openHigh?: number;
}

export function parseProduct(item: unknown, path: string): Product {
  const p = objectAt(item, path);
  const gate = p.security_gate_passed;
  if (gate !== true && gate !== false && gate !== null) {
    throw shapeError(`${path}.security_gate_passed: expected true, false or null, got ${gate === undefined ? 'nothing (the field is missing)' : JSON.stringify(gate)}`);
  }
  const branch = optionalText(p.repository_default_branch_name, 255);
  const group = optionalText(p.product_group_name, 255);
  const count = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
  const openCritical = count(p.open_critical_observation_count);
  const openHigh = count(p.open_high_observation_count);
  return {
    id: integerAt(p.id, `${path}.id`),
    name: stringAt(p.name, `${path}.name`),
    passed: gate,
    ...(branch && { branch }),
    ...(group && { group }),
    ...(openCritical !== undefined && { openCritical }),
    ...(openHigh !== undefined && { openHigh }),
  };
}

interface Notification {
  id: number;
  type: string;
  name: string;
  message?: string;
  fn?: string;
  args?: string;
  created?: string;
  product?: string;
}

export function parseNotification(item: unknown, path: string): Notification {
  const n = objectAt(item, path);
  const message = optionalText(n.message, 4096);
  const fn = optionalText(n.function, 255);
  const args = optionalText(n.arguments, 4096);
  const created = optionalText(n.created, 60);
  const product = optionalText(n.product_name, 255);
  return {
    id: integerAt(n.id, `${path}.id`),
    type: stringAt(n.type, `${path}.type`),
    name: stringAt(n.name, `${path}.name`),
    ...(message && { message }),
    ...(fn && { fn }),
    ...(args && { args }),
    ...(created && { created }),
    ...(product && { product }),
  };
}

const gateWord = (passed: boolean | null) => (passed === null ? 'None' : passed ? 'Passed' : 'Failed');

function productSubject(product: Product): Subject {
  return {
    project: product.name,
    ...(product.branch && { branch: product.branch }),
    ...(product.group && { group: product.group }),
  };
}

/** SecObserve's own rate-limit key: class and message, function, arguments. */
export function exceptionKey(n: Notification): string {
  return createHash('sha256')
    .update([n.name, n.message ?? '', n.fn ?? '', n.args ?? ''].join('\u0000'))
    .digest('hex')
    .slice(0, 32);
}

function isoOrUndefined(text: string | undefined): string | undefined {
  if (!text) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

export function createSecobserveSource(): PollingSource<SecobserveConfig, SecobserveState> {
  return {
    kind: 'secobserve',
    defaultIntervalSeconds: SECOBSERVE_DEFAULT_INTERVAL_SECONDS,
    async poll(ctx: PollContext<SecobserveConfig>, lastState: SecobserveState | undefined): Promise<PollResult<SecobserveState>> {
      const { config } = ctx;
      const token = ctx.secrets.token;
      if (!token) throw new Error('the SecObserve API token is not set');
      const request = {
        headers: { authorization: `APIToken ${token}` },
        signal: ctx.signal,
        timeoutMs: config.timeoutSeconds * 1000,
        ...(config.tls && { tls: config.tls }),
      };
      const nowMs = ctx.now.getTime();
      const events: EventInput[] = [];
      const frontend = config.frontendUrl?.replace(/\/+$/, '');

      // Security gates.
      const productPages = await getAllPages(apiUrl(config.url, '/api/products/', { page_size: PAGE_SIZE }), {
        ...request,
        what: 'products',
        maxPages: 50,
      });
      const watched = config.products ? new Set(config.products) : undefined;
      const products: Record<string, SecobserveProductState> = {};
      productPages.items.forEach((item, i) => {
        const product = parseProduct(item, `products.results[${i}]`);
        if (watched && !watched.has(product.name)) return;
        products[product.id] = { name: product.name, passed: product.passed };
        if (!lastState) return;
        const before = lastState.products[product.id]?.passed ?? null;
        if (product.passed === null || product.passed === before) return;
        events.push({
          type: product.passed ? 'security_gate.passed' : 'security_gate.failed',
          title: `Security gate of ${product.name} ${product.passed ? 'passed' : 'failed'}`.slice(0, 500),
          summary: `Changed from ${gateWord(before)} to ${gateWord(product.passed)}${product.branch ? ` on ${product.branch}` : ''}.${
            product.openCritical !== undefined ? ` Open observations: ${product.openCritical} critical, ${product.openHigh ?? 0} high.` : ''
          }`,
          subject: productSubject(product),
          ...(frontend && { url: `${frontend}/#/products/${product.id}/show` }),
          data: { productId: product.id, securityGatePassed: product.passed, previous: before },
        });
      });

      // Exceptions.
      let notificationCursor = lastState?.notificationCursor ?? 0;
      // Window times are SecObserve's `created` times, so Herald's clock never mixes in.
      const lastRaised: Record<string, number> = { ...lastState?.lastRaised };
      const windowMs = config.exceptionWindowSeconds * 1000;
      let notificationValidators = lastState?.notificationValidators;
      if (config.exceptions) {
        const cursor = notificationCursor;
        const pages = await getAllPages(apiUrl(config.url, '/api/notifications/', { ordering: '-created', page_size: PAGE_SIZE }), {
          ...request,
          what: 'notifications',
          maxPages: 10,
          ...(lastState && notificationValidators && { validators: notificationValidators }),
          // Newest first: a page reaching the cursor means everything older was seen.
          enough: (page) => page.some((n) => typeof (n as { id?: unknown }).id === 'number' && (n as { id: number }).id <= cursor),
        });
        if (!pages.unchanged) {
          notificationValidators = Object.keys(pages.validators).length ? pages.validators : undefined;
          const fresh = pages.items.map((item, i) => parseNotification(item, `notifications.results[${i}]`)).filter((n) => n.id > cursor);
          for (const n of fresh) notificationCursor = Math.max(notificationCursor, n.id);
          if (lastState) {
            let latest = Math.max(0, ...Object.values(lastRaised));
            for (const n of fresh.sort((a, b) => a.id - b.id)) {
              if (!EXCEPTION_TYPES.has(n.type)) continue;
              const key = exceptionKey(n);
              const at = (n.created && Date.parse(n.created)) || nowMs;
              latest = Math.max(latest, at);
              const previous = lastRaised[key];
              if (previous !== undefined && Math.abs(at - previous) < windowMs) continue;
              lastRaised[key] = at;
              const occurredAt = isoOrUndefined(n.created);
              const details = [
                n.message && n.message !== '...' ? n.message : undefined,
                n.fn ? `in background task ${n.fn}` : undefined,
                n.args ? `arguments: ${n.args}` : undefined,
              ].filter(Boolean);
              events.push({
                type: 'error.exception',
                title: `SecObserve: ${n.name}`.slice(0, 500),
                ...(details.length && { summary: details.join('\n').slice(0, 10_000) }),
                ...(n.product && { subject: { project: n.product } }),
                ...(occurredAt && { occurredAt }),
                // The same exception is the same thing happening again: rules throttle it as one.
                dedupKey: `${ctx.config.id}:error.exception:${key}`,
                data: { notificationId: n.id, notificationType: n.type, ...(n.fn && { function: n.fn }) },
              });
            }
            // Forget exceptions whose window has passed (by the newest time seen).
            for (const [key, raisedAt] of Object.entries(lastRaised)) if (latest - raisedAt >= windowMs) delete lastRaised[key];
          }
        }
      }
      return {
        events,
        state: { products, notificationCursor, lastRaised, ...(notificationValidators && { notificationValidators }) },
      };
    },
  };
}

export const secobserveSource = createSecobserveSource();

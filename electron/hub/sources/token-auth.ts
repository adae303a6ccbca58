// A shared secret for tools that cannot sign their webhooks (Kosli, DefectDojo): in the
// URL path (`/hooks/<sourceId>/<secret>`, for tools that take only a URL), as
// `Authorization: Bearer <secret>`, or as `X-Herald-Token: <secret>`.
import { bearerToken, secretsEqual } from '../secret-compare.js';
import type { IncomingRequest } from './source.js';

/** The first segment of the path after `/hooks/<sourceId>/`, URL-decoded (the path arrives still encoded). */
export function pathToken(request: IncomingRequest): string | undefined {
  const segment = request.pathRest.split('/').find((s) => s !== '');
  if (!segment) return undefined;
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

export function tokenOf(request: IncomingRequest): string | undefined {
  const fromPath = pathToken(request);
  if (fromPath !== undefined) return fromPath;
  return bearerToken(request.headers.authorization) ?? request.headers['x-herald-token'] ?? undefined;
}

/** Constant-time check of the presented token against the source's secret. */
export function verifyToken(request: IncomingRequest, secret: string): boolean {
  const token = tokenOf(request);
  return token !== undefined && secretsEqual(token, secret);
}

// Names and shapes both ends of the Electron IPC agree on. The sandboxed preload bundles
// this file, so it must stay free of runtime imports (types only).
import type { ApiErrorCode } from '../../shared/api.js';

export const API_CHANNEL_PREFIX = 'herald:api:';
/** Main → renderer: one ApiUpdate per message. */
export const UPDATE_CHANNEL = 'herald:update';

/** One channel per api method: `herald:api:events.list`. */
export function apiChannel(method: string): string {
  return `${API_CHANNEL_PREFIX}${method}`;
}

/** The shape of a method name (`events.markRead`); main rejects names outside the contract. */
export const API_METHOD_NAME = /^[a-z]+\.[A-Za-z]+$/;

/**
 * What an api call answers over IPC. An Error thrown in ipcMain.handle reaches the renderer
 * as "Error invoking remote method…" with its code lost, so failures travel as data.
 */
export type IpcReply<T> = { ok: true; value: T } | { ok: false; error: { code: ApiErrorCode; message: string } };

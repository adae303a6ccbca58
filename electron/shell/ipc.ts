// The api contract over Electron IPC, main side: one ipcMain.handle per contract method,
// each validating its input with the contract's zod schema before the hub sees it.
import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron';
import {
  API_METHODS,
  ApiError,
  apiContract,
  type Api,
  type ApiHandlers,
  type ApiMethod,
  type ApiOutput,
  type ApiUpdate,
} from '../../shared/api.js';
import { describeZodError } from '../../shared/event.js';
import { apiChannel, UPDATE_CHANNEL, type IpcReply } from './ipc-channels.js';
import { originOf } from './url-policy.js';

/** One entry per contract method: takes the raw (untrusted) input, answers an IpcReply. */
export type IpcHandlerTable = { readonly [M in ApiMethod]: (rawInput: unknown) => Promise<IpcReply<ApiOutput<M>>> };

// Compile-time check: the table's keys are exactly the contract's methods, no more, no fewer.
type SameKeys<A, B> = [Exclude<A, B>, Exclude<B, A>] extends [never, never] ? true : false;
const everyMethodHandled: SameKeys<keyof IpcHandlerTable, keyof typeof apiContract> = true;
void everyMethodHandled;

export interface IpcLogger {
  error(message: string, err: unknown): void;
}

/** Validate, then call the hub. Bad input never reaches the hub; hub errors keep their code. */
export async function callApi<M extends ApiMethod>(
  handlers: ApiHandlers,
  method: M,
  rawInput: unknown,
  log?: IpcLogger,
): Promise<IpcReply<ApiOutput<M>>> {
  const parsed = apiContract[method].input.safeParse(rawInput);
  if (!parsed.success) {
    return { ok: false, error: { code: 'invalid_input', message: `${method}: ${describeZodError(parsed.error)}` } };
  }
  try {
    const handler = handlers[method] as (input: unknown) => Promise<ApiOutput<M>>;
    return { ok: true, value: await handler(parsed.data) };
  } catch (err) {
    if (err instanceof ApiError) return { ok: false, error: { code: err.code, message: err.message } };
    log?.error(`api ${method} failed`, err);
    return { ok: false, error: { code: 'internal', message: `${method} failed: ${err instanceof Error ? err.message : String(err)}` } };
  }
}

export function buildIpcHandlers(handlers: ApiHandlers, log?: IpcLogger): IpcHandlerTable {
  const table: Partial<Record<ApiMethod, (rawInput: unknown) => Promise<IpcReply<unknown>>>> = {};
  for (const method of API_METHODS) table[method] = (rawInput) => callApi(handlers, method, rawInput, log);
  return table as IpcHandlerTable;
}

/** The same validation for the shell's own calls (tray, popups): an Api whose failures throw ApiError. */
export function createValidatedApi(handlers: ApiHandlers, log?: IpcLogger): Api {
  const api: Partial<Record<ApiMethod, (input: unknown) => Promise<unknown>>> = {};
  for (const method of API_METHODS) {
    api[method] = async (input) => {
      const reply = await callApi(handlers, method, input, log);
      if (!reply.ok) throw new ApiError(reply.error.code, reply.error.message);
      return reply.value;
    };
  }
  return api as Api;
}

/**
 * Registers every handler on its channel. Calls from any frame but the app's own pages are
 * refused (a frame that navigated elsewhere must not drive the hub). Returns the unregister.
 */
export function registerIpcHandlers(
  ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>,
  table: IpcHandlerTable,
  isTrustedSender: (frameUrl: string | undefined) => boolean,
): () => void {
  const channels: string[] = [];
  for (const method of Object.keys(table) as ApiMethod[]) {
    const channel = apiChannel(method);
    ipcMain.handle(channel, (event: IpcMainInvokeEvent, rawInput: unknown) => {
      const frameUrl = event.senderFrame?.url;
      if (!isTrustedSender(frameUrl)) {
        throw new Error(`refused ${method} from ${originOf(frameUrl) ?? 'an unknown frame'}`);
      }
      return table[method](rawInput);
    });
    channels.push(channel);
  }
  return () => channels.forEach((c) => ipcMain.removeHandler(c));
}

/** Pushes each hub update to every live window. */
export function forwardUpdates(
  onUpdate: (listener: (update: ApiUpdate) => void) => () => void,
  targets: () => Iterable<Pick<WebContents, 'send' | 'isDestroyed'>>,
): () => void {
  return onUpdate((update) => {
    for (const contents of targets()) if (!contents.isDestroyed()) contents.send(UPDATE_CHANNEL, update);
  });
}

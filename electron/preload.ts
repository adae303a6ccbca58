// The window's only door to the hub: `window.herald`, a HeraldBridge (shared/api.ts) and
// nothing else — no ipcRenderer, no Node. The window is sandboxed, so this file is bundled
// to CommonJS (dist/electron/preload.cjs) with `electron` as its only require.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { ApiInput, ApiMethod, ApiOutput, ApiUpdate, HeraldBridge } from '../shared/api.js';
import { API_METHOD_NAME, apiChannel, UPDATE_CHANNEL, type IpcReply } from './shell/ipc-channels.js';

/** Same name and fields as the HTTP transport's errors; contextBridge passes the message on. */
function apiError(error: { code: string; message: string }): Error {
  return Object.assign(new Error(error.message), { name: 'ApiError', code: error.code });
}

const bridge: HeraldBridge = {
  async invoke<M extends ApiMethod>(method: M, input: ApiInput<M>): Promise<ApiOutput<M>> {
    if (typeof method !== 'string' || !API_METHOD_NAME.test(method)) {
      throw apiError({ code: 'invalid_input', message: `not an api method: ${JSON.stringify(String(method).slice(0, 100))}` });
    }
    const reply = (await ipcRenderer.invoke(apiChannel(method), input)) as IpcReply<ApiOutput<M>>;
    if (reply.ok) return reply.value;
    throw apiError(reply.error);
  },
  subscribe(listener: (update: ApiUpdate) => void): () => void {
    if (typeof listener !== 'function') throw new TypeError('subscribe needs a listener function');
    const onUpdate = (_event: IpcRendererEvent, update: ApiUpdate) => listener(update);
    ipcRenderer.on(UPDATE_CHANNEL, onUpdate);
    return () => {
      ipcRenderer.removeListener(UPDATE_CHANNEL, onUpdate);
    };
  },
};

contextBridge.exposeInMainWorld('herald', bridge);

// The HTTP transport of the api contract, for a browser talking to the headless hub:
// `POST /api/<method>` with JSON, live updates as server-sent events. Auth is the
// `herald_token` cookie the hub set when the user opened its `/?token=…` link.
import {
  API_ERROR_CODES,
  ApiError,
  ApiUpdateSchema,
  HTTP_TRANSPORT,
  type ApiErrorCode,
  type ApiUpdate,
  type HeraldBridge,
} from '../../shared/api.js';

/** 401/403 from the hub: the browser has no valid token (or came from a foreign origin). */
export class AuthRequiredError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'AuthRequiredError';
  }
}

const isErrorCode = (code: unknown): code is ApiErrorCode =>
  typeof code === 'string' && (API_ERROR_CODES as readonly string[]).includes(code);

/** Turn a non-2xx answer into the error the contract names. */
export function errorFromResponse(status: number, body: string): Error {
  let code: unknown;
  let message: string | undefined;
  try {
    const parsed = JSON.parse(body) as { error?: { code?: unknown; message?: unknown } };
    code = parsed.error?.code;
    if (typeof parsed.error?.message === 'string') message = parsed.error.message;
  } catch {
    // Not JSON (a proxy's error page): fall back to the status below.
  }
  if (status === 401 || status === 403) {
    return new AuthRequiredError(status, message ?? (status === 401 ? 'not signed in' : 'forbidden'));
  }
  if (isErrorCode(code)) return new ApiError(code, message ?? code);
  return new ApiError(status >= 500 ? 'internal' : 'invalid_input', message ?? `HTTP ${status}`);
}

type Listener = (update: ApiUpdate) => void;

export function createHttpBridge(baseUrl = ''): HeraldBridge {
  const listeners = new Set<Listener>();
  let source: EventSource | undefined;

  const emit = (update: ApiUpdate) => {
    for (const listener of listeners) listener(update);
  };

  // One EventSource for every subscriber; opened with the first, closed with the last.
  const open = () => {
    let connectedBefore = false;
    const es = new EventSource(baseUrl + HTTP_TRANSPORT.updatesPath, { withCredentials: true });
    es.onopen = () => {
      // After a reconnect we may have missed updates: tell everyone to refetch.
      if (connectedBefore) {
        emit({ type: 'events.changed' });
        emit({ type: 'health.changed' });
        for (const what of ['sources', 'channels', 'rules', 'settings'] as const) emit({ type: 'config.changed', what });
      }
      connectedBefore = true;
    };
    es.onmessage = (message: MessageEvent<string>) => {
      let data: unknown;
      try {
        data = JSON.parse(message.data);
      } catch {
        return;
      }
      const update = ApiUpdateSchema.safeParse(data);
      if (update.success) emit(update.data);
    };
    return es;
  };

  return {
    async invoke(method, input) {
      const response = await fetch(baseUrl + HTTP_TRANSPORT.methodPath(method), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(input ?? {}),
        credentials: 'same-origin',
      });
      const body = await response.text();
      if (!response.ok) throw errorFromResponse(response.status, body);
      return JSON.parse(body);
    },
    subscribe(listener) {
      listeners.add(listener);
      source ??= open();
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0 && source) {
          source.close();
          source = undefined;
        }
      };
    },
  };
}

// A strict fake of an ntfy server's JSON publish (`POST /` with {topic, message, …}), checking
// what ntfy's server checks (binwiederhier/ntfy server/server.go transformBodyJSON and
// handlePublish, server/config.go, server/errors.go):
// - the body: valid JSON within 2 × the 4,096-byte message limit, else 413 {code 41303};
// - the topic: ^[-_A-Za-z0-9]{1,64}$ (40009) and not reserved (40010);
// - the message: UTF-8 and at most 4,096 bytes (this fake refuses what the real server would
//   turn into an attachment); priority 1-5 (40007); tags a list of strings; click a URL;
// - auth: users with a password or an access token (Bearer tk_…); a topic in `protected`
//   needs one (401 {code 40101} without, 403 {code 40301} for a user without access);
// - rate: after `burst` requests, 429 {code 42901} (ntfy: 60 in a burst, then one per 5 s).
// Errors carry ntfy's body: {"code":…,"http":…,"error":…,"link"?}.
import { startFakeServer, type FakeServer, type Reply } from './fake-http.js';

type Json = Record<string, any>;

export interface FakeNtfy extends FakeServer {
  published: Json[];
  rejections: string[];
}

export interface FakeNtfyOptions {
  /** Topics that need auth; others are open (as ntfy.sh's default). */
  protected?: string[];
  users?: Record<string, string>;
  tokens?: string[];
  /** Requests before 429; default unlimited. */
  burst?: number;
}

const TOPIC = /^[-_A-Za-z0-9]{1,64}$/;
const RESERVED = ['docs', 'static', 'file', 'app', 'metrics', 'account', 'settings', 'signup', 'login', 'v1'];
const MESSAGE_LIMIT = 4096;

const error = (code: number, http: number, message: string, link?: string): Reply => ({ status: http, body: { code, http, error: message, ...(link && { link }) } });

export async function startFakeNtfy(options: FakeNtfyOptions = {}): Promise<FakeNtfy> {
  const published: Json[] = [];
  const rejections: string[] = [];
  let count = 0;
  const refuse = (reason: string, reply: Reply) => {
    rejections.push(reason);
    return reply;
  };
  const server = await startFakeServer((req) => {
    if (req.method !== 'POST' && req.method !== 'PUT') return error(40501, 405, 'method not allowed');
    if (req.path !== '/') return error(40401, 404, 'page not found');
    count++;
    if (options.burst !== undefined && count > options.burst) {
      return { ...error(42901, 429, 'limit reached: too many requests', 'https://ntfy.sh/docs/publish/#limitations') };
    }
    if (Buffer.byteLength(req.body) > MESSAGE_LIMIT * 2) return refuse('JSON body too large', error(41303, 413, 'JSON body too large'));
    let msg: Json;
    try {
      msg = JSON.parse(req.body);
    } catch {
      return refuse('invalid JSON', error(40024, 400, 'invalid request: request body must be valid JSON'));
    }
    if (typeof msg.topic !== 'string' || !TOPIC.test(msg.topic)) return refuse(`topic invalid: ${String(msg.topic)}`, error(40009, 400, 'invalid request: topic invalid'));
    if (RESERVED.includes(msg.topic)) return refuse('topic disallowed', error(40010, 400, 'invalid request: topic name is not allowed'));
    if (msg.priority !== undefined && !(Number.isInteger(msg.priority) && msg.priority >= 0 && msg.priority <= 5)) {
      return refuse(`priority ${msg.priority}`, error(40007, 400, 'invalid priority parameter', 'https://ntfy.sh/docs/publish/#message-priority'));
    }
    if (msg.tags !== undefined && !(Array.isArray(msg.tags) && msg.tags.every((t: unknown) => typeof t === 'string'))) return refuse('tags', error(40024, 400, 'invalid request: request body must be valid JSON'));
    if (typeof msg.message === 'string' && Buffer.byteLength(msg.message) > MESSAGE_LIMIT) {
      return refuse(`message ${Buffer.byteLength(msg.message)} bytes`, error(41301, 413, 'attachment too large, or bandwidth limit reached'));
    }
    if (msg.click !== undefined && !/^https?:\/\//.test(msg.click)) return refuse('click', error(40013, 400, 'invalid request: click URL invalid'));
    const auth = req.headers.authorization;
    let user: string | undefined;
    if (auth !== undefined) {
      const bearer = /^Bearer (.+)$/i.exec(auth);
      const basic = /^Basic (.+)$/i.exec(auth);
      if (bearer && options.tokens?.includes(bearer[1]!)) user = 'token';
      else if (basic) {
        const [name, ...rest] = Buffer.from(basic[1]!, 'base64').toString('utf8').split(':');
        if (options.users?.[name!] !== undefined && options.users[name!] === rest.join(':')) user = name;
      }
      if (!user) return refuse('bad credentials', error(40101, 401, 'unauthorized', 'https://ntfy.sh/docs/publish/#authentication'));
    }
    if (options.protected?.includes(msg.topic) && !user) return refuse('topic needs auth', error(40301, 403, 'forbidden', 'https://ntfy.sh/docs/publish/#authentication'));
    published.push(msg);
    return { status: 200, body: { id: `m${published.length}`, time: Math.floor(Date.now() / 1000), event: 'message', topic: msg.topic, message: msg.message } };
  });
  return Object.assign(server, { published, rejections });
}
